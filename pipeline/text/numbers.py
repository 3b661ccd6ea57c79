"""Find every number in English news text, say what kind of number it is, and read its value.

Validation checks that each extracted claim's number is written in the characters it cites, and
flags counts in an article that no claim accounts for. Both need every spelling of a number
("2,700", "2.7 thousand", "two dozen", "10,000 to 12,000") and need to tell counts, which may be
claims, from numbers that only look like them: years, dates, ages, durations, model designations,
percentages, money, measures (distances, weights, calibres) and clock times.

Choices worth knowing (each keeps false claims out at the cost of a rare miss):

* A number whose value is not whole ("2.5", "3.5%", "two and a half") is consumed but not
  reported: claims are integers, and reporting "2" and "5" from "2.5" would be wrong.
* A bare "one" is not reported as a count unless hedged ("at least one") or followed by a word
  for a person or a thing ("one soldier was killed", "one tank"), because it is mostly a
  pronoun or determiner ("one of the", "no one"). It still counts inside compounds ("twenty-one",
  "one hundred"), ranges ("one to two") and non-count kinds ("a one-year deal"), and
  `values_in` includes 1 whenever the word appears, so a claim of 1 can still be verified.
* A lone "a"/"an" is never a number; only "a dozen", "a hundred", "a thousand", "a million"...
* Vague plurals ("hundreds", "thousands", "dozens", "tens of thousands") are not numbers, nor is
  a scale word without a number ("several thousand").
* Glued "m"/"b" ("10m") mean million/billion only after a currency sign or before a count noun;
  otherwise they are metres or similar and the token is a designation ("a 5m wall", "100m").
  Any other letters glued after digits ("155mm", "5G") make a designation, reported as
  model_number, as do digits with a leading zero ("007").
* "X to Y" and "X-Y" are ranges only when X < Y, so scores ("won 3-1") and falls ("from 500 to
  300") stay two numbers; a rise ("from 300 to 500") is read as one range.
* Hedges are only read for quantities (count, money, percent, age, duration): "some F-16s" or
  "around 3pm" keep qualifier "exact". A trailing hedge ("300 or more", "300-plus", "300+") sets
  the qualifier but not `hedge_start`, which only marks words before the number.
* Slash dates ("9/11", "24/7") and ISO dates are kind date; their value is the first number for
  slash dates and the year for ISO dates.
"""

from __future__ import annotations

import re
from bisect import bisect_left, insort
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache

__all__ = [
    "ABOUT",
    "AT_LEAST",
    "EXACT",
    "MORE_THAN",
    "QUALIFIERS",
    "UP_TO",
    "MentionKind",
    "NumberMention",
    "find_mentions",
    "parse_number",
    "values_in",
]


class MentionKind(StrEnum):
    # The member name is part of the interface; it shadows str.count, which nothing here uses.
    count = "count"  # type: ignore[assignment]
    year = "year"
    date = "date"
    ordinal = "ordinal"
    age = "age"
    duration = "duration"
    model_number = "model_number"
    percent = "percent"
    measure = "measure"
    money = "money"
    time = "time"


# Same names as schemas.claims.Qualifier; plain strings keep this module free of pydantic.
EXACT = "exact"
ABOUT = "about"
AT_LEAST = "at_least"
MORE_THAN = "more_than"
UP_TO = "up_to"
QUALIFIERS = (EXACT, ABOUT, AT_LEAST, MORE_THAN, UP_TO)


@dataclass(frozen=True)
class NumberMention:
    """One number in a text. `text == source[start:end]`; for a range `value == low`."""

    start: int
    end: int
    text: str
    value: int
    low: int | None
    high: int | None
    kind: MentionKind
    qualifier: str = EXACT
    hedge_start: int | None = None

    @property
    def is_candidate(self) -> bool:
        """Whether the number may be a claim (a count of something), not a year, date, etc."""
        return self.kind == MentionKind.count


# --- Vocabulary -----------------------------------------------------------------------------

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
}  # fmt: skip
_TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_MULTIPLIERS = {"hundred": 100, "dozen": 12, **_SCALES}
_NUMBER_WORDS = {*_UNITS, *_TEENS, *_TENS, *_MULTIPLIERS}
# Words that may sit inside a spelled-out number without being one ("two and a half million").
_RUN_WORDS = _NUMBER_WORDS | {"and", "a", "half"}

_SUFFIX_SCALES = {
    "k": 10**3, "m": 10**6, "mn": 10**6, "mln": 10**6,
    "b": 10**9, "bn": 10**9, "tn": 10**12, "trn": 10**12,
}  # fmt: skip
# "m" and "b" also abbreviate metres, bytes, etc., so they need corroboration to mean a scale.
_AMBIGUOUS_SUFFIXES = {"m", "b"}

_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50,
    "sixtieth": 60, "seventieth": 70, "eightieth": 80, "ninetieth": 90, "hundredth": 100,
    "thousandth": 1000, "millionth": 10**6,
}  # fmt: skip

_HEDGES = {
    "about": ABOUT, "around": ABOUT, "approximately": ABOUT, "approx.": ABOUT,
    "roughly": ABOUT, "some": ABOUT, "nearly": ABOUT, "almost": ABOUT, "circa": ABOUT,
    "an estimated": ABOUT, "estimated": ABOUT, "close to": ABOUT, "an approximate": ABOUT,
    "at least": AT_LEAST, "no fewer than": AT_LEAST, "no less than": AT_LEAST,
    "not fewer than": AT_LEAST, "not less than": AT_LEAST, "a minimum of": AT_LEAST,
    "at minimum": AT_LEAST,
    "more than": MORE_THAN, "over": MORE_THAN, "in excess of": MORE_THAN,
    "upwards of": MORE_THAN, "upward of": MORE_THAN, "above": MORE_THAN,
    "greater than": MORE_THAN, "well over": MORE_THAN, "just over": MORE_THAN,
    "up to": UP_TO, "as many as": UP_TO, "as much as": UP_TO, "fewer than": UP_TO,
    "less than": UP_TO, "under": UP_TO, "no more than": UP_TO, "not more than": UP_TO,
    "a maximum of": UP_TO, "at most": UP_TO, "below": UP_TO, "just under": UP_TO,
}  # fmt: skip
# Hedges that also introduce a year ("around 2010"), so they do not make a bare 4-digit a count.
_YEAR_COMPATIBLE_HEDGES = {"about", "around", "circa"}

# Nouns that make "2000 troops" a count rather than a year; also used to confirm "March 30
# troops" is not a date and "1.5m people" is a million. Generic news nouns, not a topic list.
_COUNT_NOUNS = (
    "people|persons|individuals|troops|soldiers|servicemen|servicemembers|personnel|fighters|"
    "militants|insurgents|combatants|rebels|civilians|residents|refugees|migrants|children|"
    "women|men|casualties|deaths|dead|killed|wounded|injured|victims|prisoners|hostages|"
    "detainees|captives|missiles|rockets|drones|shells|rounds|bombs|munitions|mines|grenades|"
    "tanks|vehicles|aircraft|jets|planes|helicopters|ships|vessels|boats|weapons|guns|rifles|"
    "howitzers|units|brigades|battalions|workers|employees|staff|members|officers|police|"
    "officials|votes|voters|cases|homes|houses|buildings|households|families|tonnes|tons|"
    "barrels|strong"
)
# Words allowed between a number and its noun ("2000 North Korean troops", "2000 more troops").
_NOUN_ADJECTIVES = (
    "more|additional|extra|new|foreign|armed|enemy|combat|military|ballistic|cruise|"
    "artillery|civilian|regular|reserve|elite"
)

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_CURRENCY = (
    r"(?:(?<![A-Za-z])(?:US|U\.S\.|A|AU|C|CA|NZ|HK|S))?\$|[£€¥₹₽₩₴₪]"
    r"|(?<![A-Za-z])(?:USD|EUR|GBP|JPY|CNY|RMB|RUB|UAH|INR|CHF|Rs\.?)"
)

# --- Patterns -------------------------------------------------------------------------------

# A pattern whose every match starts with a digit opens with `(?=[0-9])` (or the characters
# its matches start with): it changes no match, and testing one character before the
# lookbehinds makes a scan of a long text 2-4x faster.
_DIGIT_QTY_RE = re.compile(
    r"(?=[0-9])(?<![A-Za-z0-9.])(?<![0-9],)"
    r"(?P<num>[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])"
    # Thousands grouped by a space, as many outlets write them ("11 000", "2\u202f600").
    r"|[0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+(?![0-9]|[.,][0-9])"
    r"|[0-9]+)(?P<frac>\.[0-9]+)?"
    r"(?:(?P<word>[\s-]+(?:hundred(?:\s+(?:thousand|million|billion))?"
    r"|thousand|million|billion|trillion|dozen)\b)"
    r"|(?P<suffix>k|mn|mln|m|bn|b|trn|tn)(?![A-Za-z0-9])"
    r"|(?![A-Za-z0-9]))",
    re.IGNORECASE,
)
_WORD_RE = re.compile(r"[A-Za-z]+")
# A whole word (as `_WORD_RE` reads words) that spelled-out numbers are made of: a run of them
# is what `_word_quantities` reads, so the other words of the text are never looked at.
_RUN_WORD_RE = re.compile(
    rf"(?<![A-Za-z])(?:{'|'.join(sorted(_RUN_WORDS, key=len, reverse=True))})(?![A-Za-z])",
    re.IGNORECASE | re.ASCII,
)
_RUN_GAP_RE = re.compile(r"\s+|-")

_RANGE_GAP_RE = re.compile(
    rf"\s*[-–]\s*(?:{_CURRENCY})?\s?|\s+(?:to|through)\s+(?:{_CURRENCY})?\s?"
)
_AND_GAP_RE = re.compile(rf"\s+and\s+(?:{_CURRENCY})?\s?")
_OR_GAP_RE = re.compile(r"\s+or\s+")
_BETWEEN_RE = re.compile(rf"(?<![A-Za-z])between\s+(?:(?:{_CURRENCY})\s?)?$", re.IGNORECASE)
_DASH_GAP_RE = re.compile(r"\s*[-–]\s*")

_CURRENCY_BEFORE_RE = re.compile(rf"(?:{_CURRENCY})\s?$")
_MONEY_AFTER_RE = re.compile(
    r"\s+(?:(?:US|U\.S\.|American|Canadian|Australian|Hong\s+Kong|Singapore)\s+)?"
    r"(?:dollars?|euros?|pounds?\s+sterling|pounds?(?!\s+of\b)|sterling|yuan|renminbi|yen|"
    r"roubles?|rubles?|rupees?|hryvnias?|shekels?|francs?|USD|EUR|GBP|naira|pesos?|taka|"
    r"shillings?|liras?|lire|dinars?|dirhams?|riyals?|rials?|baht|ringgit|zloty|zlotys|forints?|"
    r"koruna|korun|kronor|kronur|kroner|krona|krone|rupiah|kwacha|cedis?|birr|tenge|manats?|"
    r"kyats?|afghanis?|bolivars?)\b",
    re.IGNORECASE,
)
# "won" is also a verb ("the party won"), so it names Korean money only after a scale word.
_WON_AFTER_RE = re.compile(r"\s+won\b")
_PERCENT_AFTER_RE = re.compile(
    r"\s*%|[\s-]+(?:per\s?cent|pct|percentage\s+points?)\b", re.IGNORECASE
)
# A distance, weight, speed or calibre ("700 kilometres", "155mm"), not a count of anything.
# Areas stay counts: "captured 143 square miles" is a claim about the war.
_MEASURE_AFTER_RE = re.compile(
    r"[\s-]*(?:km|kms|kilomet(?:re|er)s?|miles?|metres?|meters?|feet|foot|ft|kg|kilos?|"
    r"kilograms?|tonnes?|tons?|mm|millimet(?:re|er)s?|cm|centimet(?:re|er)s?|mph|km/h|kph|"
    r"knots?|nautical\s+miles?|litres?|liters?|gallons?|inch|inches|yards?|degrees?|"
    r"magnitude|barrels?|cubic\s+[a-z]+)\b"
    # The height of a building ("a 9-story block", "six-storey"), not a count of anything.
    r"|-stor(?:e)?ys?\b",
    re.IGNORECASE,
)
_AGE_AFTER_RE = re.compile(r"[\s-]+(?:year|month|week|day)s?[\s-]+olds?\b", re.IGNORECASE)
# News style gives a person's age between commas after the name: "Kim Jong Un, 41, said".
_APPOSITION_BEFORE_RE = re.compile(r"\b[A-Z][\w'’.-]*,\s$")
_APPOSITION_AFTER_RE = re.compile(r",\s|\.(?:\s|$)")
# Where a sentence opens: the name before an age must not stand there ("Since then, 12, ...").
_SENTENCE_OPENS_BEFORE_RE = re.compile(r"(?:^|[.!?:;\"“(]\s*)$")
# A spelled number glued to a word's prefix: "sub-zero".
_WORD_PREFIX_BEFORE_RE = re.compile(r"[A-Za-z]-$")
_AGE_BEFORE_RE = re.compile(r"(?<![A-Za-z])(?:aged|ages|age(?:\s+of)?)\s+$", re.IGNORECASE)
_DURATION_AFTER_RE = re.compile(
    r"[\s-]+(?:seconds?|minutes?|hours?|days?|nights?|weeks?|fortnights?|months?|years?|"
    r"decades?|century|centuries|millenni(?:um|a))\b",
    re.IGNORECASE,
)
# "One person drowned", "one soldier was killed", "hit one launcher": a bare "one" right before
# a word for a person or a thing counts it; "one of the", "one day", "no one" do not.
_ONE_COUNTED_RE = re.compile(
    # Up to two describing words between: "one elderly man", "one injured passenger".
    r"\s+(?:(?!of\b|the\b|a\b|an\b)[A-Za-z][\w'’-]*\s+){0,2}?(?:person|man|woman|child|boy|girl|baby|"
    r"soldier|officer|policeman|police\s+officer|firefighter|rescuer|civilian|resident|worker|"
    r"protester|demonstrator|student|pilot|victim|tourist|journalist|passenger|migrant|"
    r"death|fatality|casualty|body|"
    # "downed 23 drones and hit one launcher": one thing is counted too.
    r"missile|drone|rocket|tank|helicopter|aircraft|plane|jet|ship|boat|vessel|building|house|"
    r"home|bridge|vehicle|system|launcher|howitzer|gun)\b",
    re.IGNORECASE,
)
# "two in Lahore and one in Quetta": a bare "one" that ends a list of counts by place is one
# of them.
_ELIDED_ONE_BEFORE_RE = re.compile(
    rf"\b(?:[0-9][0-9,]*|{'|'.join(sorted({*_UNITS, *_TEENS, *_TENS} - {'zero', 'one'}))})\b"
    r"[^.;:!?]{1,80}(?:,|\band)\s+$",
    re.IGNORECASE,
)
_ELIDED_ONE_AFTER_RE = re.compile(r"\s+in\b")
_FRACTION_AFTER_RE = re.compile(
    r"[\s-]+(?:halves|thirds|quarters?|fourths|fifths|sixths|sevenths|eighths|ninths|tenths)\b",
    re.IGNORECASE,
)
_MONTH_BEFORE_RE = re.compile(rf"\b{_MONTH}\.?\s+$")
# The second day of a span whose month is written once: "between May 3 and 9".
_MONTH_DAY_BEFORE_RE = re.compile(
    rf"\b{_MONTH}\.?\s+[0-9]{{1,2}}(?:st|nd|rd|th)?\s*(?:and|to|through|until|-|–)\s*$"
)
# A day of the month in brackets after its weekday, as some wires write it: "on Tuesday (30)".
_WEEKDAY_BEFORE_RE = re.compile(
    r"\b(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\s*\($", re.IGNORECASE
)
_MONTH_AFTER_RE = re.compile(rf"\s+(?:of\s+)?{_MONTH}\b")
# The year in "October 2024", "March 3, 2024" and "3 March 2024".
_MONTH_BEFORE_YEAR_RE = re.compile(rf"\b{_MONTH}\.?(?:\s+[0-9]{{1,2}}(?:st|nd|rd|th)?)?,?\s+$")
_YEAR_PREP_RE = re.compile(
    r"(?<![A-Za-z])(?:in|since|until|till|during|before|after|early|late|mid|year|fiscal|"
    r"summer|spring|autumn|fall|winter|circa)[\s-]+$",
    re.IGNORECASE,
)
_COUNT_NOUN_AFTER_RE = re.compile(
    rf"(?:\s+(?:[A-Z][A-Za-z'’-]*|{_NOUN_ADJECTIVES})){{0,2}}[\s-]+(?:{_COUNT_NOUNS})\b"
)
_HEDGE_RE = re.compile(
    r"(?<![A-Za-z])(?P<phrase>"
    + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(_HEDGES, key=len, reverse=True))
    + r")(?:\s+of)?\s+$",
    re.IGNORECASE,
)
_TRAILING_HEDGE_RE = re.compile(
    r"(?P<plus>\+(?![0-9])|-plus\b)|\s+or\s+(?P<more>more)\b|\s+or\s+(?P<so>so)\b"
    r"|\s+or\s+(?P<less>fewer|less)\b",
    re.IGNORECASE,
)
_BARE_ONE_RE = re.compile(r"\bone\b", re.IGNORECASE)

_TIME_RE = re.compile(
    r"(?=[0-9])(?:(?<![0-9:.,])(?P<hour>[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?"
    r"(?:\s*(?:[ap]\.m\.|[ap]\.?m\b))?(?![0-9:])"
    r"|(?<![A-Za-z0-9:.,])(?P<hour12>1[0-2]|0?[0-9])\s*(?:[ap]\.m\.|[ap]\.?m\b)"
    r"|(?<![0-9])(?P<hour24>[01][0-9]|2[0-3])[0-5][0-9]\s*(?:GMT|UTC|BST|CET|EST|EDT|hrs)\b)",
    re.IGNORECASE,
)
_ISO_DATE_RE = re.compile(
    r"(?=[0-9])(?<![0-9-])(?P<year>(?:18|19|20)[0-9]{2})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"(?![0-9])"
)
_SLASH_DATE_RE = re.compile(
    r"(?=[0-9])(?<![0-9/.,])(?P<first>[0-9]{1,2})/[0-9]{1,2}(?:/(?:[0-9]{4}|[0-9]{2}))?(?![0-9/])"
)
_ORDINAL_DIGITS_RE = re.compile(
    r"(?=[0-9])(?<![A-Za-z0-9.,])(?P<num>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:st|nd|rd|th)\b",
    re.IGNORECASE,
)
_ORDINAL_WORDS_RE = re.compile(
    rf"\b(?<![A-Za-z]-)(?:(?P<tens>{'|'.join(_TENS)})[\s-])?"
    rf"(?P<ord>{'|'.join(_ORDINAL_WORDS)})\b",
    re.IGNORECASE,
)
_DECADE_RE = re.compile(
    r"(?=[0-9'’])(?:(?<![A-Za-z0-9'’])(?P<full>1[5-9][0-9]0|20[0-9]0)s\b"
    r"|['’](?P<short>[0-9]0)s\b"
    r"|(?<![A-Za-z0-9'’.,])(?P<bare>[1-9]0)s\b)"
)
# "in their 20s" is an age, "the 90s" a decade.
_POSSESSIVE_BEFORE_RE = re.compile(
    r"\b(?:his|her|their|my|your|our)\s+(?:(?:early|mid|late)[\s-]+)?$", re.IGNORECASE
)
_MODEL_HYPHEN_RE = re.compile(
    r"(?<![A-Za-z0-9-])(?P<prefix>[A-Za-z]+)-(?P<num>[0-9]+)[A-Za-z0-9]*(?![A-Za-z0-9])"
)
# Hyphenated words before a number that are not designations ("mid-2024", "top-10").
_NOT_MODEL_PREFIXES = {
    "mid", "pre", "post", "early", "late", "top", "over", "under", "non", "anti", "ex",
    "circa", "aged", "age", "some", "about", "around", "nearly", "almost", "up", "the", "a",
    "an", "and", "to", "from", "between", "in", "since", "by", "of", "plus",
}  # fmt: skip
# Lower-case prefixes that still form a designation; upper case is the general signal.
_LOWERCASE_MODEL_PREFIXES = {"covid"}
_MODEL_GLUED_RE = re.compile(
    r"(?<![A-Za-z0-9-])[A-Za-z]+(?P<num>[0-9]+)[A-Za-z0-9]*(?![A-Za-z0-9])"
)
_DESIGNATION_RE = re.compile(
    r"(?=[0-9])(?<![A-Za-z0-9.,])(?P<num>[0-9]+(?:\.[0-9]+)?)(?P<suffix>[A-Za-z]+)(?![A-Za-z0-9])"
)


# --- Parsing values -------------------------------------------------------------------------


def _parse_words(words: Sequence[str]) -> Fraction | None:
    """Value of a spelled-out number, or None unless the words form one well-formed number.

    The grammar is strict on purpose: a run like "five six" or "twenty thirty" is two numbers,
    and the caller splits it by trying shorter prefixes.
    """
    ws = [w.lower() for w in words]
    factor = Fraction(1)
    if ws[:2] == ["half", "a"]:
        # "half a million" is "a million" halved.
        factor = Fraction(1, 2)
        ws = ws[1:]
    if not ws:
        return None
    if ws == ["zero"]:
        return Fraction(0)
    total = Fraction(0)
    group = Fraction(0)
    last = ""
    prev_scale = 0
    i = 0
    while i < len(ws):
        w = ws[i]
        following = ws[i + 1] if i + 1 < len(ws) else ""
        if w == "a":
            if i != 0 or following not in _MULTIPLIERS:
                return None
            group, last = Fraction(1), "a"
        elif w == "and":
            if ws[i + 1 : i + 3] == ["a", "half"] and last in ("unit", "teen", "tens"):
                # "two and a half" ends the number or is scaled by what follows.
                after = ws[i + 3] if i + 3 < len(ws) else ""
                if after and after not in _SCALES and after != "dozen":
                    return None
                group += Fraction(1, 2)
                last = "half"
                i += 3
                continue
            if last not in ("hundred", "scale") or following not in (*_UNITS, *_TEENS, *_TENS):
                return None
            last = "and"
        elif w in _UNITS:
            if w == "zero" or last not in ("", "tens", "hundred", "scale", "and"):
                return None
            group += _UNITS[w]
            last = "unit"
        elif w in _TEENS or w in _TENS:
            if last not in ("", "hundred", "scale", "and"):
                return None
            group += _TEENS.get(w) or _TENS[w]
            last = "teen" if w in _TEENS else "tens"
        elif w == "hundred":
            if last not in ("unit", "teen", "a") or group >= 100:
                return None
            group *= 100
            last = "hundred"
        elif w in _SCALES:
            scale = _SCALES[w]
            if last not in ("unit", "teen", "tens", "hundred", "a", "half"):
                return None
            if prev_scale and scale >= prev_scale:
                return None
            total += group * scale
            group, prev_scale, last = Fraction(0), scale, "scale"
        elif w == "dozen":
            # A bare "dozen" ("several dozen marchers") is as vague as "dozens".
            if i != len(ws) - 1 or last not in ("unit", "teen", "tens", "a", "half"):
                return None
            group = (group or Fraction(1)) * 12
            last = "dozen"
        else:
            return None
        i += 1
    if last in ("", "and", "a"):
        return None
    return (total + group) * factor


def _digit_value(num: str, frac: str | None) -> Fraction:
    return Fraction(re.sub(r"[,\s\u202f]", "", num) + (frac or ""))


def _suffix_scale(suffix: str) -> int:
    return _SUFFIX_SCALES[suffix.lower()]


def _word_scale(word: str) -> int:
    scale = 1
    # "21-hundred" writes the scale after a hyphen.
    for w in re.split(r"[\s-]+", word):
        if w:  # a line break before the scale word leaves an empty piece
            scale *= _MULTIPLIERS[w.lower()]
    return scale


def parse_number(s: str) -> int | None:
    """The integer a number string denotes ("3,000", "twenty-five", "2.7 thousand", "a dozen",
    "300k"), or None if it is not exactly one number or not a whole one."""
    s = s.strip()
    m = _DIGIT_QTY_RE.fullmatch(s)
    if m:
        value = _digit_value(m["num"], m["frac"])
        if m["word"]:
            value *= _word_scale(m["word"])
        elif m["suffix"]:
            value *= _suffix_scale(m["suffix"])
    else:
        words = re.split(r"[\s-]+", s)
        if not all(_WORD_RE.fullmatch(w) for w in words):
            return None
        parsed = _parse_words(words)
        if parsed is None:
            return None
        value = parsed
    return int(value) if value.denominator == 1 else None


# --- Finding numbers ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Quantity:
    """A number as written, before deciding what kind it is."""

    start: int
    end: int
    value: Fraction
    unscaled: Fraction  # before a trailing scale word, for "10-12 thousand"
    scale: int  # the trailing scale, 1 if none
    digits: str | None  # the digits as written ("2,700"); None for spelled-out numbers
    bare_one: bool = False

    @property
    def year_like(self) -> bool:
        return (
            self.digits is not None
            and self.scale == 1
            and re.fullmatch(r"1[89][0-9]{2}|20[0-9]{2}|2100", self.digits) is not None
        )


@dataclass(frozen=True)
class _Group:
    """One quantity, or two joined into a range."""

    low: _Quantity
    high: _Quantity | None
    low_value: Fraction
    high_value: Fraction | None
    between_start: int | None  # where "between" starts in "between X and Y"
    year_range: bool  # "1939-45": the second year borrows the first's century

    @property
    def start(self) -> int:
        return self.low.start

    @property
    def end(self) -> int:
        return (self.high or self.low).end


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    priority: int  # lower wins between spans of equal length
    mention: NumberMention | None  # None: consumed text that must not be read as another number


def _count_noun_follows(text: str, end: int) -> bool:
    return _COUNT_NOUN_AFTER_RE.match(text, end) is not None


def _currency_before(text: str, start: int) -> re.Match[str] | None:
    return _CURRENCY_BEFORE_RE.search(text, max(0, start - 6), start)


def _digit_quantities(text: str) -> list[_Quantity]:
    found: list[_Quantity] = []
    for m in _DIGIT_QTY_RE.finditer(text):
        scale = 1
        if m["word"]:
            scale = _word_scale(m["word"])
        elif m["suffix"]:
            if m["suffix"].lower() in _AMBIGUOUS_SUFFIXES and not (
                _currency_before(text, m.start()) or _count_noun_follows(text, m.end())
            ):
                continue  # left to _DESIGNATION_RE
            scale = _suffix_scale(m["suffix"])
        unscaled = _digit_value(m["num"], m["frac"])
        digits = m["num"] + (m["frac"] or "")
        found.append(_Quantity(m.start(), m.end(), unscaled * scale, unscaled, scale, digits))
    return _join_compounds(text, found)


def _join_compounds(text: str, found: list[_Quantity]) -> list[_Quantity]:
    """One number for "12 thousand 873" and "1 million 255 thousand 500", as agencies
    (Turkey's AFAD among them) write them: a scaled part followed, after one space, by a
    smaller part that fits under its scale."""
    out: list[tuple[_Quantity, int]] = []  # with the scale the next part must stay under
    for q in found:
        if out:
            prev, under = out[-1]
            # Each part is written under a thousand ("2 million 2023" is a count and a year).
            part = q.value.denominator == 1 and 0 < q.unscaled < 1000 and q.value < under
            # "1.5 million 152-mm rounds" is a count and a calibre.
            glued = text[q.end : q.end + 1] == "-"
            if (
                under >= 1000
                and part
                and not glued
                and prev.unscaled.denominator == 1
                and text[prev.end : q.start] == " "
            ):
                value = prev.value + q.value
                out[-1] = (_Quantity(prev.start, q.end, value, value, 1, None), q.scale)
                continue
        out.append((q, q.scale))
    return [q for q, _ in out]


def _word_quantities(text: str, covered: set[int]) -> list[_Quantity]:
    """Spelled-out numbers: maximal runs of number words, split into the longest valid parts."""
    # Only number words are kept: two of them with another word between are no run, as the
    # gap between them must be a space or a hyphen (`_RUN_GAP_RE`).
    tokens = [
        (m[0].lower(), m.start(), m.end())
        for m in _RUN_WORD_RE.finditer(text)
        if m.start() not in covered  # "dozen" in "2 dozen" belongs to the digits
    ]
    found: list[_Quantity] = []
    i = 0
    while i < len(tokens):
        if tokens[i][0] not in _RUN_WORDS:
            i += 1
            continue
        j = i + 1
        while (
            j < len(tokens)
            and tokens[j][0] in _RUN_WORDS
            and _RUN_GAP_RE.fullmatch(text, tokens[j - 1][2], tokens[j][1])
        ):
            j += 1
        run = tokens[i:j]
        k = 0
        while k < len(run):
            for n in range(len(run) - k, 0, -1):
                words = [w for w, _, _ in run[k : k + n]]
                value = _parse_words(words)
                if value is None:
                    continue
                scale_words = [w for w in words if w in _MULTIPLIERS]
                scale = _MULTIPLIERS[words[-1]] if scale_words == words[-1:] else 1
                found.append(
                    _Quantity(
                        start=run[k][1],
                        end=run[k + n - 1][2],
                        value=value,
                        unscaled=value / scale,
                        scale=scale,
                        digits=None,
                        bare_one=words == ["one"],
                    )
                )
                k += n
                break
            else:
                k += 1
        i = j
    return found


def _thousands_shared(a: _Quantity, b: _Quantity) -> bool:
    return (
        a.digits is not None
        and b.digits is not None
        and a.scale == b.scale == 1
        and re.fullmatch(r"[1-9][0-9]{0,2}", a.digits) is not None
        and re.fullmatch(r"[1-9][0-9]{0,2},000", b.digits) is not None
        and b.value / 2 <= a.value * 1000 < b.value
    )


def _try_range(text: str, a: _Quantity, b: _Quantity) -> _Group | None:
    between = _BETWEEN_RE.search(text, max(0, a.start - 40), a.start)
    # "five or six minutes": a span of time given loosely, one duration.
    loose_duration = _OR_GAP_RE.fullmatch(text, a.end, b.start) and _DURATION_AFTER_RE.match(
        text, b.end
    )
    if (
        not _RANGE_GAP_RE.fullmatch(text, a.end, b.start)
        and not (between and _AND_GAP_RE.fullmatch(text, a.end, b.start))
        and not loose_duration
    ):
        return None
    between_start = between.start() if between else None
    high = b.value
    if (
        a.year_like
        and b.digits is not None
        and len(b.digits) == 2
        and _DASH_GAP_RE.fullmatch(text, a.end, b.start)
    ):
        borrowed = a.value // 100 * 100 + b.value
        if borrowed > a.value:
            return _Group(a, b, a.value, borrowed, between_start, year_range=True)
        return None
    # "10-12 thousand": the scale written once applies to both ends when that keeps low < high.
    if a.scale == 1 and b.scale > 1 and a.unscaled * b.scale < high:
        low = a.unscaled * b.scale
    elif _thousands_shared(a, b):
        # "14 to 15,000": the thousands written once, as a speaker says "fourteen to fifteen
        # thousand".
        low = a.value * 1000
    elif a.value < high:
        low = a.value
    else:
        return None
    if low.denominator != 1 or high.denominator != 1:
        return None
    return _Group(a, b, low, high, between_start, year_range=False)


def _group_ranges(text: str, quantities: list[_Quantity]) -> list[_Group]:
    groups: list[_Group] = []
    i = 0
    while i < len(quantities):
        a = quantities[i]
        pair = _try_range(text, a, quantities[i + 1]) if i + 1 < len(quantities) else None
        if pair is not None:
            groups.append(pair)
            i += 2
        else:
            groups.append(_Group(a, None, a.value, None, None, year_range=False))
            i += 1
    return groups


def _leading_hedge(text: str, lead: int) -> re.Match[str] | None:
    return _HEDGE_RE.search(text, max(0, lead - 40), lead)


def _is_date(text: str, g: _Group, lead: int, end: int) -> bool:
    if g.low.digits is None or g.low.scale != 1 or not 1 <= g.low_value <= 31:
        return False
    if g.high_value is not None and g.high_value > 31:
        return False
    if _WEEKDAY_BEFORE_RE.search(text, max(0, lead - 12), lead) and text.startswith(")", end):
        return True
    near_month = bool(
        _MONTH_BEFORE_RE.search(text, max(0, lead - 12), lead)
        or _MONTH_AFTER_RE.match(text, end)
        or _MONTH_DAY_BEFORE_RE.search(text, max(0, lead - 24), lead)
    )
    # "In March 30 troops were killed": the noun wins over the month.
    return near_month and not _count_noun_follows(text, end)


def _is_year(text: str, g: _Group, lead: int, end: int, hedge: re.Match[str] | None) -> bool:
    if not g.low.year_like:
        return False
    if g.high is not None and not (g.year_range or g.high.year_like):
        return False
    if _MONTH_BEFORE_YEAR_RE.search(text, max(0, lead - 20), lead):
        return True
    if _YEAR_PREP_RE.search(text, max(0, lead - 12), lead):
        return True
    if hedge is not None and hedge["phrase"].lower() not in _YEAR_COMPATIBLE_HEDGES:
        return False
    return not _count_noun_follows(text, end)


def _is_apposed_age(text: str, g: _Group, start: int, end: int) -> bool:
    # Children are named with their age too ("Ana Diaz, 7, was found"): any age from 1.
    if g.high is not None or g.low.digits is None or not 1 <= g.low_value <= 110:
        return False
    before = _APPOSITION_BEFORE_RE.search(text, max(0, start - 40), start)
    after = _APPOSITION_AFTER_RE.match(text, end)
    if before is None or after is None:
        return False
    if g.low_value >= 14 and after[0].startswith(","):
        return True
    # A child's age, or an age that ends the sentence, only after a name that does not open
    # the sentence: "Since then, 12, including two, died" is a count.
    opens = _SENTENCE_OPENS_BEFORE_RE.search(text[max(0, before.start() - 3) : before.start()])
    return opens is None


def _money_after(text: str, g: _Group, end: int) -> re.Match[str] | None:
    if (g.high or g.low).scale >= 10**6:
        return _MONEY_AFTER_RE.match(text, end) or _WON_AFTER_RE.match(text, end)
    return _MONEY_AFTER_RE.match(text, end)


def _classify(text: str, g: _Group) -> NumberMention | None:
    if g.low_value.denominator != 1 or (g.high_value is not None and g.high_value.denominator != 1):
        return None  # see module docstring: non-integers are consumed but not reported
    start, end = g.start, g.end
    kind: MentionKind | None = None
    currency = _currency_before(text, start)
    if currency:
        kind, start = MentionKind.money, currency.start()
    elif m := _money_after(text, g, end):
        kind, end = MentionKind.money, m.end()
    elif m := _PERCENT_AFTER_RE.match(text, end):
        kind, end = MentionKind.percent, m.end()
    elif m := _MEASURE_AFTER_RE.match(text, end):
        kind, end = MentionKind.measure, m.end()

    lead = g.between_start if g.between_start is not None else start
    hedge = _leading_hedge(text, lead)
    if g.low.digits is None and _WORD_PREFIX_BEFORE_RE.search(text, max(0, start - 2), start):
        return None  # "sub-zero", "non-one": a word's prefix, not a count
    if kind is None:
        if g.low.digits is not None and re.match(r"0[0-9]", g.low.digits):
            kind = MentionKind.model_number
        elif (
            _AGE_AFTER_RE.match(text, end)
            or _AGE_BEFORE_RE.search(text, max(0, lead - 12), lead)
            or _is_apposed_age(text, g, lead, end)
        ):
            kind = MentionKind.age
        elif _DURATION_AFTER_RE.match(text, end):
            kind = MentionKind.duration
        elif _is_date(text, g, lead, end):
            kind = MentionKind.date
        elif _is_year(text, g, lead, end, hedge):
            kind = MentionKind.year
        else:
            kind = MentionKind.count

    qualifier, hedge_start = EXACT, g.between_start
    if kind in (MentionKind.year, MentionKind.date, MentionKind.model_number):
        hedge_start = None
    elif hedge is not None:
        qualifier = _HEDGES[re.sub(r"\s+", " ", hedge["phrase"].lower())]
        hedge_start = hedge.start()
    elif trailing := _TRAILING_HEDGE_RE.match(text, end):
        if trailing["plus"]:
            qualifier = MORE_THAN
        elif trailing["more"]:
            qualifier = AT_LEAST
        elif trailing["so"]:
            qualifier = ABOUT
        else:
            qualifier = UP_TO

    if kind == MentionKind.count:
        if (
            g.high is None
            and g.low.bare_one
            and qualifier == EXACT
            and not _ONE_COUNTED_RE.match(text, end)
            and not (
                _ELIDED_ONE_AFTER_RE.match(text, end)
                and _ELIDED_ONE_BEFORE_RE.search(text, max(0, start - 120), start)
            )
        ):
            return None  # see module docstring: a bare "one" is mostly a pronoun
        if _FRACTION_AFTER_RE.match(text, end):
            return None  # "two-thirds" is a fraction, not two of something

    is_range = g.high_value is not None
    return NumberMention(
        start=start,
        end=end,
        text=text[start:end],
        value=int(g.low_value),
        low=int(g.low_value) if is_range else None,
        high=int(g.high_value) if g.high_value is not None else None,
        kind=kind,
        qualifier=qualifier,
        hedge_start=hedge_start,
    )


def _special_spans(text: str) -> list[_Span]:
    """Numbers fused with other characters, whose form alone fixes their kind."""
    spans: list[_Span] = []

    def add(m: re.Match[str], priority: int, kind: MentionKind | None, value: int | None) -> None:
        mention = None
        if kind is not None and value is not None:
            mention = NumberMention(m.start(), m.end(), m[0], value, None, None, kind)
        spans.append(_Span(m.start(), m.end(), priority, mention))

    for m in _TIME_RE.finditer(text):
        add(m, 0, MentionKind.time, int(m["hour"] or m["hour12"] or m["hour24"]))
    for m in _ISO_DATE_RE.finditer(text):
        add(m, 1, MentionKind.date, int(m["year"]))
    for m in _SLASH_DATE_RE.finditer(text):
        add(m, 2, MentionKind.date, int(m["first"]))
    for m in _ORDINAL_DIGITS_RE.finditer(text):
        value = int(m["num"].replace(",", ""))
        by_month = _MONTH_BEFORE_RE.search(text, max(0, m.start() - 12), m.start()) or (
            _MONTH_AFTER_RE.match(text, m.end())
        )
        kind = MentionKind.date if by_month and 1 <= value <= 31 else MentionKind.ordinal
        add(m, 3, kind, value)
    for m in _ORDINAL_WORDS_RE.finditer(text):
        tens = _TENS[m["tens"].lower()] if m["tens"] else 0
        add(m, 4, MentionKind.ordinal, tens + _ORDINAL_WORDS[m["ord"].lower()])
    for m in _DECADE_RE.finditer(text):
        if m["full"]:
            add(m, 5, MentionKind.year, int(m["full"]))
        elif m["short"]:
            add(m, 5, MentionKind.year, 1900 + int(m["short"]))
        elif _POSSESSIVE_BEFORE_RE.search(text, max(0, m.start() - 20), m.start()):
            add(m, 5, MentionKind.age, int(m["bare"]))
        else:
            add(m, 5, MentionKind.year, 1900 + int(m["bare"]))
    for m in _MODEL_HYPHEN_RE.finditer(text):
        prefix = m["prefix"]
        designation = prefix.lower() in _LOWERCASE_MODEL_PREFIXES or (
            prefix != prefix.lower() and prefix.lower() not in _NOT_MODEL_PREFIXES
        )
        if designation:
            add(m, 6, MentionKind.model_number, int(m["num"]))
    for m in _MODEL_GLUED_RE.finditer(text):
        add(m, 7, MentionKind.model_number, int(m["num"]))
    for m in _DESIGNATION_RE.finditer(text):
        suffix = m["suffix"].lower()
        if suffix in _SUFFIX_SCALES and not (
            suffix in _AMBIGUOUS_SUFFIXES
            and not (_currency_before(text, m.start()) or _count_noun_follows(text, m.end()))
        ):
            continue  # a scaled quantity such as "300k" or "£3m"
        number = Fraction(m["num"])
        add(m, 8, MentionKind.model_number, int(number) if number.denominator == 1 else None)
    return spans


class _Taken:
    """Disjoint, non-empty spans of the text, and whether another span overlaps one of them:
    a bisect, not a scan, so a long document's thousands of numbers cost n log n, not n²."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def overlaps(self, start: int, end: int) -> bool:
        # The last span starting before `end` ends last of those (they are disjoint): only it
        # can reach past `start`.
        i = bisect_left(self._starts, end) - 1
        return i >= 0 and self._ends[i] > start

    def add(self, start: int, end: int) -> None:
        insort(self._starts, start)
        insort(self._ends, end)


def _without_overlaps(spans: list[_Span]) -> list[_Span]:
    """Longest span first, then by priority; the result is sorted by position."""
    kept: list[_Span] = []
    taken = _Taken()
    for span in sorted(spans, key=lambda s: (s.start - s.end, s.priority, s.start)):
        if not taken.overlaps(span.start, span.end):
            kept.append(span)
            taken.add(span.start, span.end)
    return sorted(kept, key=lambda s: s.start)


def find_mentions(text: str) -> list[NumberMention]:
    """Every number in `text`, in order and non-overlapping, each with its kind and hedge."""
    specials = _without_overlaps(_special_spans(text))
    taken = _Taken()
    for s in specials:
        taken.add(s.start, s.end)

    def free(q: _Quantity) -> bool:
        return not taken.overlaps(q.start, q.end)

    digit_quantities = [q for q in _digit_quantities(text) if free(q)]
    covered = {pos for q in digit_quantities for pos in range(q.start, q.end)}
    quantities = sorted(
        digit_quantities + [q for q in _word_quantities(text, covered) if free(q)],
        key=lambda q: q.start,
    )
    mentions = [s.mention for s in specials if s.mention is not None]
    for group in _group_ranges(text, quantities):
        mention = _classify(text, group)
        # A currency sign or "%" pulled into a quantity must not eat into a special.
        if mention is not None and not taken.overlaps(mention.start, mention.end):
            mentions.append(mention)
    return sorted(mentions, key=lambda m: m.start)


@lru_cache(maxsize=1024)
def quote_mentions(text: str) -> tuple[NumberMention, ...]:
    """`find_mentions` of a short text, kept: each check of a claim reads its quote's numbers,
    and every claim of a sentence quotes the same sentence."""
    return tuple(find_mentions(text))


def values_in(text: str) -> set[int]:
    """Every integer the text writes down, in any form; used to check a claim against a quote."""
    values: set[int] = set()
    for m in quote_mentions(text):
        values.add(m.value)
        if m.low is not None:
            values.add(m.low)
        if m.high is not None:
            values.add(m.high)
    if _BARE_ONE_RE.search(text):
        values.add(1)  # see module docstring: "one" is not a mention but is still written
    return values
