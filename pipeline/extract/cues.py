"""Which metrics the words of a number's clause name (topic configuration).

A small model confuses "another 1,000 have been injured" with killed. The words around a number
say cheaply what it probably counts; the anchored strategy shows them to the model as hints.
They are hints, not a filter: a cue earlier in the sentence ("The death toll ... has climbed to
212") or none at all must not keep the right metric out of reach.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

from schemas.claims import LabelMetric

ALWAYS = (LabelMetric.other, LabelMetric.none)
# The hedges that may stand between a number and the words that say what it is ("of whom
# about 1,100", "rose to more than 212"): one list for every pattern that skips them.
HEDGE = (
    r"(?:about|around|some|nearly|almost|roughly|approximately|over|more\s+than|at\s+least|"
    r"just\s+over|well\s+over|close\s+to|up\s+to|an\s+estimated|just\s+under|under|"
    r"fewer\s+than|less\s+than|no\s+fewer\s+than|no\s+less\s+than)"
)


def inflections(cue: str) -> list[str]:
    """A cue and the other forms of its verb: a topic file lists "killed", headlines write
    "kills" and "killing", "evacuated" stands for "evacuates" and "evacuating"."""
    if " " in cue:
        # Each verb of a phrase takes its forms: "kills and injures", "pulling out alive".
        return [" ".join(words) for words in product(*(inflections(w) for w in cue.split()))]
    if not cue.lower().endswith("ed") or len(cue) < 5:
        return [cue]
    stem, e_stem = cue[:-2], cue[:-1]  # kill / kille, injur / injure
    return [cue, stem + "s", stem + "ing", e_stem + "s"]


_NEGATED = re.compile(r"\b(?:not|never|n't|no\s+one\s+was)\s+(?:yet\s+)?(?:be\s+|been\s+)?$", re.I)


# eq=False: cues compare and hash by identity, so a clause's metrics can be cached per cues.
@dataclass(frozen=True, eq=False)
class MetricCues:
    patterns: Mapping[LabelMetric, re.Pattern[str]]
    # Events outrank the metrics whose cues merely name who is counted ("troops", "missiles").
    events: frozenset[LabelMetric] = frozenset()

    @classmethod
    def from_config(
        cls, table: Mapping[str, Sequence[str]], noun_metrics: Sequence[str] = ()
    ) -> MetricCues:
        patterns = {}
        for metric, words in table.items():
            forms = {form for w in words for form in inflections(w)}
            alternatives = "|".join(re.escape(w) for w in sorted(forms, key=len, reverse=True))
            # A cue is a whole word, or its plural: "dead" is not "deadline", "sent" is not
            # "sentenced".
            patterns[LabelMetric(metric)] = re.compile(
                rf"\b(?:{alternatives})(?:e?s)?\b", re.IGNORECASE
            )
        nouns = {LabelMetric(m) for m in noun_metrics}
        return cls(patterns, frozenset(m for m in patterns if m not in nouns))

    def spanning(self, text: str) -> list[LabelMetric]:
        """The metrics with a cue that is the whole of `text`."""
        return [metric for metric, p in self.patterns.items() if p.fullmatch(text)]

    def found(self, text: str) -> list[tuple[int, LabelMetric]]:
        """(offset, metric) for every cue in `text`; a compound cue hides its parts."""
        return [(start, metric) for start, _, metric in self.found_spans(text)]

    def found_spans(self, text: str) -> list[tuple[int, int, LabelMetric]]:
        """(start, end, metric) for every cue in `text`; a compound cue hides its parts."""
        hits: list[tuple[int, int, LabelMetric]] = []
        for metric, pattern in self.patterns.items():
            hits += [
                (m.start(), m.end(), metric)
                for m in pattern.finditer(text)
                # "could not be saved", "were not injured": what did not happen names nothing.
                if not _NEGATED.search(text, max(0, m.start() - 20), m.start())
            ]
        hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
        kept: list[tuple[int, int, LabelMetric]] = []
        covered_to = -1
        for start, end, metric in hits:
            if start >= covered_to:
                kept.append((start, end, metric))
                covered_to = end
        return kept


# Words between a verb and its number that do not change what is counted ("sent around 300").
_FILLER = frozenset(
    [
        "about",
        "around",
        "some",
        "approximately",
        "nearly",
        "almost",
        "roughly",
        "over",
        "estimated",
        "an",
        "a",
        "the",
        "at",
        "least",
        "more",
        "than",
        "up",
        "to",
        "another",
        "as",
        "many",
        "of",
        "by",
        "had",
        "has",
        "have",
        "been",
        "were",
        "was",
        "only",
        "just",
        "under",
        "fewer",
        "less",
        "no",
        "well",
        "close",
        "total",
        # "brought out a family of four": the family is who the verb befell.
        "family",
    ]
)
_WORD = re.compile(r"[\w'’-]+")
# Room for modifiers: "220 short-range ballistic missiles", "140 KN-23 and KN-24 missiles".
NOUN_WINDOW = 6


def _governing_word(before: str) -> str:
    """The last word before a number once hedges and auxiliaries are skipped, with the two
    words before it, which may make one verb with it ("shot down 142", "kills and injures
    1,400")."""
    words: list[str] = _WORD.findall(before)
    for k in range(len(words) - 1, -1, -1):
        if words[k].lower() not in _FILLER:
            return " ".join(words[max(0, k - 2) : k + 1])
    return ""


# Where a number's clause ends after it: "killing 2,400 people, injuring another 7,900" gives
# 24,000 nothing of "injuring". Dashes are left alone ("300 troops - most conscripts - died").
_CLAUSE_END = re.compile(r"[,;:(\[]")
# After a number, a subordinate clause also starts another ("has risen to 2,900 as rescue
# workers searched": the rescuers are not what 2,900 counts), as does "and that". Before it,
# "as" is a hedge ("as many as 300").
_CLAUSE_END_AFTER = re.compile(
    r"[,;:(\[]|(?<!listed)(?<!reported)(?<!confirmed)(?<!registered)(?<!counted)\s(?:as|"
    r"while|after|before|when|because|but|although|though|whereas|amid|"
    # What a group is sent to do is not what it counts: "1,300 soldiers arrived to help
    # recover bodies".
    r"(?:in\s+order\s+)?to\s+(?:help|locate|find|search|recover|reinforce|assist|clear|support|"
    r"bolster|aid|retrieve|look)|"
    r"and\s+that|and\s+the\s+(?:number|toll|count|total|figure)s?)\s",
    re.IGNORECASE,
)


def _clause_after(after: str) -> str:
    """The words after a number up to the end of its clause."""
    return _CLAUSE_END_AFTER.split(after, 1)[0]


def _governing_before(before: str) -> str:
    """The governing word of a number (`_governing_word`) within its clause before it."""
    return _governing_word(_CLAUSE_END.split(before)[-1])


def _governing_metrics(cues: MetricCues, word: str) -> list[LabelMetric]:
    """The metrics the verb governing a number names. A bare verb right before a number is
    read as the cue's past form ("Floods kill 26", "displace 4,000"); elsewhere a bare "march"
    or "wound" is as often a noun."""
    if not word:
        return []
    words = word.split()
    last = words[-1]
    # A cue of the last words together ("shot down", "kills and injures"), not one of an
    # earlier word alone ("dead and 300").
    for n in range(len(words), 1, -1):
        found = cues.spanning(" ".join(words[-n:]))
        if found:
            return found
    for form in (last, last + "ed", last + "d", last + last[-1:] + "ed"):
        found = [m for _, m in cues.found(form)]
        if found:
            return found
    return []


def named_metrics(cues: MetricCues, after: str, before: str) -> list[LabelMetric]:
    """The metrics a number's clause names.

    The event verb right before the number ("killing 300", "had sent 11,000") and the events
    after it in its clause ("300 troops were killed") are named: "killed 300 and wounded 2,700"
    names both for 300, and the model reads which. With no event, the verb before and the noun
    after ("11,000 troops") do.
    """
    return list(_named(cues, after, before))


# After "killed 4,310 people", a verb after "and" starts a verb phrase of its own ("and
# injured at least 9,000"): it is the next number's, not this one's. "were" makes it this
# number's ("300 were killed and wounded").
_NEW_VERB_PHRASE = re.compile(
    r"^(?:\s+(?!(?:were|was|are|is|have|has|had|been)\b)[\w'’-]+){0,3}\s*,?\s+(?:and|or)\s+"
    r"(?!(?:were|was|are|is|have|has|had|been|also)\b)[\w'’-]+(?:ed|ing)\b",
    re.IGNORECASE,
)


# A short aside right after a number is part of its noun phrase: "250,000 (artillery) rounds".
_ASIDE = re.compile(r"^\s*\([^()]{1,40}\)")


# Each number's clause is read several times (the metrics it may be, its hints, the check that
# the label agrees): once is enough. Sized for the clauses of a few documents in flight.
@lru_cache(maxsize=4096)
def _named(cues: MetricCues, after: str, before: str) -> tuple[LabelMetric, ...]:
    clause = _clause_after(_ASIDE.sub("", after, count=1))
    governing = _governing_metrics(cues, _governing_before(before))
    if governing == [LabelMetric.other] and LabelMetric.other in cues.events:
        # The topic says what this verb's numbers are ("released 246 prisoners", "fired 148
        # missiles"): whatever the noun after it names, they are `other`.
        return (LabelMetric.other,)
    events = [m for m in governing if m in cues.events]
    if not (events and _NEW_VERB_PHRASE.match(clause)):
        events += [m for m in _first_group(cues, clause) if m in cues.events]
    if events:
        return tuple(dict.fromkeys(events))
    # The noun says what is counted when the verb could send either: "sent 40 howitzers".
    head = " ".join(_WORD.findall(clause)[:NOUN_WINDOW])
    return tuple(dict.fromkeys([*(m for _, m in cues.found(head)), *governing]))


# Between two events of one verb group: "were killed and injured", "killed, wounded or".
_COORDINATION = re.compile(
    r"\s*(?:,\s*)?(?:and|or)?\s*(?:(?:were|was|had|have|has|been|are|is)\s+)*", re.IGNORECASE
)


_AUXILIARY = re.compile(r"\b(?:were|was|are|is|had|have|has|been)\b", re.IGNORECASE)


def verb_group(cues: MetricCues, after: str) -> list[LabelMetric]:
    """The metrics of the first verb group in a number's clause after it ("29 have since been
    released"), none for a clause with only a noun ("24 protesters")."""
    return _first_group(cues, _clause_after(after))


def _first_group(cues: MetricCues, clause: str) -> list[LabelMetric]:
    """The metrics of the first verb group in a number's clause after it: in "3,000 troops
    arrived to replace units that had suffered losses", only "arrived" says what 3,000 is.
    The words of a metric that names who is counted ("troops") are no verb group."""
    # "searching for the missing", "treating the injured": a cue after "the" is a noun.
    spans = [s for s in cues.found_spans(clause) if not _THE_BEFORE.search(clause, 0, s[0])]
    while spans and spans[0][2] not in cues.events and _is_noun(clause[spans[0][0] : spans[0][1]]):
        spans = spans[1:]
    if not spans:
        return []
    group, end = [spans[0]], spans[0][1]
    for span in spans[1:]:
        if not _COORDINATION.fullmatch(clause, end, span[0]):
            break
        group.append(span)
        end = span[1]
    # "2,100 prisoners were set free": the verb says what befell them, the noun only who
    # they are.
    verbs = [s for s in group if not _is_noun(clause[s[0] : s[1]])]
    noun_first = _is_noun(clause[group[0][0] : group[0][1]])
    if verbs and noun_first and _AUXILIARY.search(clause, group[0][1], verbs[0][0]):
        group = verbs
    return [metric for _, _, metric in group]


_THE_BEFORE = re.compile(r"\bthe\s+$", re.IGNORECASE)


def _is_noun(word: str) -> bool:
    """Whether a cue word is used as a noun ("troops"), not as a verb ("arrived", "sent")."""
    # A phrase with a verb in it is a verb ("set free", "shot down"); "death toll" is a noun.
    return not any(w.endswith(("ed", "ing")) or w in _IRREGULAR_VERBS for w in word.lower().split())


_IRREGULAR_VERBS = frozenset(
    ["sent", "send", "sends", "brought", "flown", "flew", "held", "set", "shot"]
)


def verb_metrics(cues: MetricCues, before: str, after: str) -> list[LabelMetric]:
    """The metrics named by the verb governing a number from before it ("deployed 1,800
    soldiers") or by the words of its clause after its noun ("11 aircraft were sent"), leaving
    out the noun right after it ("58 arrests")."""
    word = _governing_before(before)
    # "brigades of 4,500": a noun before a number is no verb of it.
    verb = word and not _is_noun(word.split()[-1])
    governing = [m for m in _governing_metrics(cues, word) if verb or m in cues.events]
    clause = _clause_after(after)
    head = " ".join(_WORD.findall(clause)[:1])
    later = clause[clause.find(head) + len(head) :] if head else clause
    return list(dict.fromkeys([*governing, *_first_group(cues, later)]))


def allowed_metrics(cues: MetricCues, after: str, before: str) -> list[LabelMetric]:
    """The metrics a number's clause names, then `other` and `none`, which are always allowed.
    With no cue at all, only those two are offered: a count of dead, wounded or deployed troops
    is written with words for it."""
    return list(dict.fromkeys([*_named(cues, after, before), *ALWAYS]))


def sentence_hints(cues: MetricCues, after: str, before: str, sentence: str) -> list[LabelMetric]:
    """The metrics to suggest for a number: its clause's cues, else any cue in the sentence."""
    near = [m for m in allowed_metrics(cues, after, before) if m not in ALWAYS]
    if near:
        return near
    found = [m for _, m in cues.found(sentence)]
    events = [m for m in found if m in cues.events]
    return list(dict.fromkeys(events or found))
