"""Numbers that are no count the topic asks for, told by the words around them.

A population ("a city of 1.3 million"), an age ("the youngest was 19"), a designation
("Article 49"), a rate ("10,000 shells a day"), a speaker ("one resident said"), a phone
number, a vote's tally, a unit conversion in brackets, the story's own main shocks: each has
one reading, `none`, so it is never sent to the model. A count of places is sent (the
few-shot example shows the model such a `none`) and its answer overruled (`counts_places`).
"""

from __future__ import annotations

import re

from pipeline.extract.cues import HEDGE
from pipeline.extract.things import TAKING_VERBS
from pipeline.text.numbers import NumberMention
from pipeline.text.sentences import Sentence

# "three times", "twice"-like frequencies and ratios ("three times as many") count no thing.
_FREQUENCY = re.compile(r"\s+times\b", re.IGNORECASE)
# A count of places ("24 towns", "six Ukrainian oblasts") says where something happened; it is
# never a count of the topic's metrics, as the prompt's `none` says, though a small model often
# answers `other`. The number is still sent (the few-shot example shows the model a `none` of
# this kind), and its answer is overruled.
_PLACES = re.compile(
    # "in 38 of the country's 77 districts": a part of the places counted.
    r"(?:\s+of\s+(?:the\s+)?(?:[A-Za-z][\w'’-]*\s+)?[\d,]+)?"
    r"\s+(?:[A-Za-z][\w'’-]*\s+)?(?:towns?|city|cities|villages?|districts?|provinces?|regions?|"
    r"countries|country|counties|county|municipalities|municipality|states|oblasts?|"
    r"prefectures?|neighbou?rhoods?|parts\s+of\s+the)\b",
    re.IGNORECASE,
)
# Places taken or retaken are territory, a count of the war ("recaptured 12 villages").
_TAKEN_BEFORE = re.compile(rf"\b{TAKING_VERBS}\s+(?:(?:{HEDGE}|another)\s+)?$", re.IGNORECASE)

# What a number after these words is: a population ("a city of about 1.3 million people"), an
# age ("gave his age as 21", "the youngest was 19", "as young as 14"), or a designation ("Article
# 49", "Section 163", "a Category 4 storm", "upper 6 on the intensity scale"), never a count the
# topic asks for.
_SECTIONS = r"(?:article|section|clause|paragraph|chapter)"
_NOT_A_COUNT_BEFORE = re.compile(
    r"(?:\b(?:(?:mega)?city|town|village|country|nation|settlement|population|metropolis)\s+of|"
    r"\bhome\s+to|\b(?:level|mark|threshold)\s+of|"
    # Telephone numbers: "emergency lines: 999, 911", "call 0800 722 203".
    r"\b(?:(?:hot|help)?lines?|call|dial)\s*:?\s*(?:[\d\s,]+(?:or\s+)?)?|\b0\d{2,4}\s|"
    r"\bage[ds]?\s+(?:as|of|was|is|from|to|at)|\b(?:youngest|oldest)\b[^.;]{0,40}\b(?:was|is|were|are)|"
    r"\b(?:youngest|oldest)|\bas\s+(?:young|old)\s+as|\bage[ds]?\s+[\w-]+\s+(?:and|to|or)|"
    rf"\b(?:{_SECTIONS}s?|category|categories|magnitude|"
    r"intensity|level|upper|lower|no\.|number|resolution|amendment)|"
    # A threshold: "of which 2 were above 7".
    r"\b(?:were|was|are|is)\s+(?:above|below)|"
    # "Articles 12 and 15": the later designations of a list.
    rf"\b{_SECTIONS}s\s+[\d,\s]+(?:and|or))"
    rf"(?:\s+{HEDGE})?\s*$",
    re.IGNORECASE,
)
# A rate ("10,000 shells a day"): the guide counts only totals. And the first of two numbers
# joined by a hyphen that is no range ("beat Torino 2-1", "hotline 8911-5061"): a score or code.
_NOT_A_PREPOSITION = (
    r"(?!(?:during|in|at|of|on|after|before|amid|against|for|from|over|across|near|since|"
    r"with|by|to)\b)"
)
_NOT_A_COUNT_AFTER = re.compile(
    r"(?:\s+[A-Za-z][\w'’-]*){0,4}?\s+(?:(?:a|per|each|every)\s+(?:day|week|month|hour|night|year)|"
    r"daily|nightly|weekly|monthly|annually|yearly)\b"
    # Who speaks is no count ("one resident said", "two officials told"), nor is how many
    # gatherings there were ("two rallies were held").
    rf"|(?:\s+{_NOT_A_PREPOSITION}[A-Za-z][\w'’-]*){{1,2}}?\s+"
    r"(?:said|says|told|added|recalled|explained)\b(?!\s+to\b)"
    rf"|(?:\s+{_NOT_A_PREPOSITION}[A-Za-z][\w'’-]*)?\s+(?:rallies|demonstrations|marches|"
    r"meetings|gatherings|sit-ins)\b"
    # A vote's tally: "approved by 188 votes to 97 against".
    r"|(?:\s+[A-Za-z][\w'’-]*)?\s+votes?\b|\s+against\b"
    r"|-\d|\s+inhabitants\b",
    re.IGNORECASE,
)
# The same area or distance again in another unit: "1,200 square kilometres (about 460 square
# miles)" is one figure, the bracket only converts it.
_CONVERSION_BEFORE = re.compile(
    r"\b(?:kilomet(?:er|re)s?|km|miles?|hectares?|acres?|metres?|meters?|feet|ft)\s*[(\[]\s*"
    rf"(?:{HEDGE}\s+)?$",
    re.IGNORECASE,
)
# The story's own main shocks ("the two earthquakes that devastated"), few by nature, are not
# a count of it; more quakes after them are aftershocks, which are.
_MAIN_QUAKES = re.compile(
    r"(?:\s+(?!more\b|further\b|other\b|new\b)[\w“”\"'-]+)?\s+(?:earthquakes|quakes)\b",
    re.IGNORECASE,
)
MAIN_QUAKES = 3
# "9 of the dead were under 18": an age, not a count.
_UNDER_AN_AGE = re.compile(r"\b(?:were|was|are|is|aged)\s+under\s*$", re.IGNORECASE)
_SCORE_OR_CODE_BEFORE = re.compile(r"\d-$")


def not_a_count(sentence: Sentence, mention: NumberMention) -> bool:
    """Whether the words around a number say it is no count: see the module docstring."""
    after = sentence.text[mention.end - sentence.start :]
    before = sentence.text[: mention.start - sentence.start]
    return bool(
        _FREQUENCY.match(after)
        or _NOT_A_COUNT_BEFORE.search(before)
        or _NOT_A_COUNT_AFTER.match(after)
        or _SCORE_OR_CODE_BEFORE.search(before)
        or _CONVERSION_BEFORE.search(before)
        or (mention.value <= MAIN_QUAKES and _MAIN_QUAKES.match(after))
        or (mention.value <= 21 and _UNDER_AN_AGE.search(before))
    )


# Where people were taken or went ("treated at three hospitals", "visited five police
# stations"), not buildings hit ("damaged 20 hospitals", a count of the story).
_INSTITUTIONS = re.compile(
    r"\s+(?:[A-Za-z][\w'’-]*\s+)?(?:hospitals|clinics|police\s+stations)\b", re.I
)
_TO_OR_AT = re.compile(
    rf"\b(?:at|in|to|across|among|between|from|visited)\s+(?:{HEDGE}\s+)?$", re.IGNORECASE
)


def counts_places(sentence: Sentence, mention: NumberMention) -> bool:
    """Whether a number counts places ("24 towns", "at three hospitals") that were not taken
    ("recaptured 12 villages" is territory, a count of the war)."""
    start, end = mention.start - sentence.start, mention.end - sentence.start
    if _INSTITUTIONS.match(sentence.text, end) and _TO_OR_AT.search(sentence.text, 0, start):
        return True
    return bool(
        _PLACES.match(sentence.text, end) and not _TAKEN_BEFORE.search(sentence.text, 0, start)
    )
