"""Counts of things, not people, and the tallies they stand in.

"Losses over the day, including 730 troops, 41 artillery systems and 66 drones": the troops
are the loss, the systems and drones `other`, whatever their nouns name elsewhere ("artillery"
is a supply only when supplied). Ground taken, bodies identified and the size of a group
("a 140-strong team") are read here too: each overrules what a small model would answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import takewhile

from pipeline.extract.cues import HEDGE, MetricCues, verb_group
from pipeline.extract.subjects import UNSPECIFIED, subject_after
from pipeline.text.numbers import NumberMention
from pipeline.text.sentences import Sentence
from schemas.claims import LabelMetric

# Metrics that count people: a number whose noun is a thing ("8,412 tanks", "44 unmanned aerial
# vehicles") is none of them, whatever "losses" or "lost" before it says.
PERSON_METRICS = frozenset(
    [
        LabelMetric.killed,
        LabelMetric.wounded,
        LabelMetric.killed_or_wounded,
        LabelMetric.captured,
        LabelMetric.missing,
        LabelMetric.rescued,
        LabelMetric.displaced,
        LabelMetric.arrested,
    ]
)
# The metrics a tally of losses is written with ("losses include", "the toll, with").
_LOSSES = frozenset(
    [
        LabelMetric.killed,
        LabelMetric.wounded,
        LabelMetric.killed_or_wounded,
        LabelMetric.captured,
        LabelMetric.missing,
    ]
)
THING = re.compile(
    r"(?:tanks?|vehicles?|cars?|trucks?|buses|aircraft|planes?|jets?|helicopters?|drones?|uavs?|"
    r"missiles?|rockets?|shells?|bombs?|weapons?|guns?|howitzers?|launchers?|systems?|pieces|"
    r"equipment|warships?|ships?|boats?|vessels?|buildings?|homes?|houses?|bridges?|roads?|"
    r"containers?|shipments?|settlements?|villages?|towns?|hamlets?|"
    # An area taken, flooded or burned: "took 64 square miles".
    r"miles|kilometres|kilometers|km|hectares|acres)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Tally:
    """What a list of numbers is a tally of: a loss of people (`metric`, as "losses" or "the
    toll" names it) or a destruction or loss of things (`other`). A destruction counts only
    the things of the list ("destroyed 40 tanks"), a loss of things all its numbers ("tank
    losses, with 312")."""

    metric: LabelMetric
    things_only: bool = False

    def of(self, things: bool) -> LabelMetric | None:
        """The metric of one number of the list that counts things or not."""
        if things:
            return LabelMetric.other
        return None if self.things_only else self.metric


def list_losses(
    cues: MetricCues, sentence: Sentence, mentions: list[NumberMention], heads: list[int]
) -> list[Tally | None]:
    """For each mention, the loss or destruction its list is a tally of, if any: the cue
    nearest before the list, with no other number between, names a loss of people or a
    destruction ("losses over the day, including 730 troops, 41 artillery systems and 66
    drones", "the losses include 5,120 tanks", "had lost 21 fighting vehicles")."""
    out: list[Tally | None] = []
    for head in heads:
        start = _after_noun(sentence, mentions[head - 1]) if head else sentence.start
        before = sentence.text[start - sentence.start : mentions[head].start - sentence.start]
        found = cues.found_spans(before)
        if not found and head:
            # "5,120 tanks, 9,870 armoured vehicles (AFVs), and 8,800": the tally goes on.
            out.append(out[heads[head - 1]] if _TALLY_GOES_ON.fullmatch(before) else None)
            continue
        if not found or not _TALLY_LINK.match(before, found[-1][1]):
            out.append(None)
        elif _THING_BEFORE.search(before, 0, found[-1][0]) and found[-1][2] in _LOSSES:
            out.append(Tally(LabelMetric.other))  # "tank losses", "equipment lost"
        elif found[-1][2] in _LOSSES:
            out.append(Tally(found[-1][2]))
        elif found[-1][2] is LabelMetric.other and LabelMetric.other in cues.events:
            out.append(Tally(LabelMetric.other, things_only=True))
        else:
            out.append(None)
    return out


_THING_BEFORE = re.compile(
    rf"\b(?:{THING.pattern}|artillery|equipment|hardware|armou?r|materiel)\s+$", re.IGNORECASE
)


# Between a loss and the first number of its tally: "losses in 24 hours, including", "the
# losses include", "losses since the invasion began to a staggering", "a toll, with".
_TALLY_LINK = re.compile(
    r"[^.;]*?(?:\bincluding|\binclude[sd]?|\bwith|\bto|\bat(?!\s+least)|\balongside|\bas\s+well\s+as|"
    r"\btotall?ing|\btotall?ed|\btotals|"
    r"\bplus|:|—|–)(?:\s+[A-Za-z][\w-]*){0,2}\s*$"
    # The loss is the verb of the list: "had lost 21 fighting vehicles, 17 artillery pieces".
    rf"|(?:\s+(?:{HEDGE}|another|a\s+further))?\s*$",
    re.IGNORECASE,
)


_TALLY_GOES_ON = re.compile(
    r"\s*(?:\([^()]{1,30}\)\s*)?(?:,\s*)?"
    r"(?:(?:and|alongside|along\s+with|together\s+with|as\s+well\s+as|plus)\s+)?",
    re.IGNORECASE,
)


def _after_noun(sentence: Sentence, mention: NumberMention) -> int:
    """Where the words that say what a number counts end ("500 missing people|")."""
    noun = subject_after(sentence, mention)
    if noun == UNSPECIFIED:
        return mention.end
    return sentence.text.find(noun, mention.end - sentence.start) + len(noun) + sentence.start


def tallied_item(cues: MetricCues, sentence: Sentence, mention: NumberMention) -> bool:
    """Whether a number of people is one of a tally's items, not the subject of a verb of its
    own ("730 troops," not "12,000 troops were deployed")."""
    return not verb_group(cues, sentence.text[mention.end - sentence.start :])


def by_its_noun(
    cues: MetricCues, sentence: Sentence, mention: NumberMention, metrics: list[LabelMetric]
) -> list[LabelMetric]:
    """A count of things keeps, of the metrics that name who or what is counted, those its
    own noun names: "sent 60 howitzers" is a supply, not the deployment "sent" also names."""
    by_noun = {m for _, m in cues.found(subject_after(sentence, mention))}
    nounish = {m for m in cues.patterns if m not in cues.events}
    if not by_noun & nounish:
        return metrics
    return [m for m in metrics if m not in nounish or m in by_noun]


def _noun_words(sentence: Sentence, mention: NumberMention) -> list[str]:
    """The words of the noun a number counts: they end where a relative clause or an "of"
    begins ("62 fishermen whose boats")."""
    words = re.findall(r"[A-Za-z]+", subject_after(sentence, mention))
    return list(takewhile(lambda w: w.lower() not in _NOUN_END, words))


def counts_things(sentence: Sentence, mention: NumberMention) -> bool:
    """Whether the noun a number counts is a thing, not people: the last word of the words
    after it ("16,730 armoured fighting vehicles")."""
    head = _noun_words(sentence, mention)
    # "815 systems destroyed", "180 square miles altogether", "57 square miles last week".
    while len(head) > 1 and (
        head[-1].lower().endswith(("ed", "ly")) or head[-1].lower() in _AFTER_NOUN
    ):
        head.pop()
    return bool(head) and THING.fullmatch(head[-1]) is not None


_TERRITORY = re.compile(
    r"settlements?|villages?|towns?|hamlets?|localities|miles|kilomet(?:er|re)s|km|hectares|acres",
    re.IGNORECASE,
)
# A verb of taking ground, anywhere before in the clause: "took control of 2,340 square
# kilometres and 57 settlements".
TAKING_VERBS = (
    r"(?:re)?(?:captured?|captures|capturing|seized?|seizing|took|taken|taking|liberated?|"
    r"liberating|occupied|occupying|retook|control\s+of|controls|controlled|controlling)"
)
_TAKING = re.compile(rf"\b{TAKING_VERBS}\b[^.;:]{{0,160}}$", re.IGNORECASE)


# Bodies identified, autopsied or handed to families are the work after a disaster, not its
# toll: "had identified 27 of them", "41 bodies await identification".
_IDENTIFIED = re.compile(
    r"\b(?:identified|unidentified|identification|identify|autops(?:y|ies|ied)|"
    r"delivered\s+to\s+(?:their\s+)?families|returned\s+to\s+(?:their\s+)?families)\b",
    re.IGNORECASE,
)


_THE_DEAD = re.compile(
    r"\b(?:bodies|body|victims|dead|deceased|remains|autops(?:y|ies|ied)|perished|died)\b",
    re.IGNORECASE,
)


def counts_identified(sentence: Sentence, mention: NumberMention) -> bool:
    """Whether a number's clause counts bodies identified, not deaths."""
    start, end = mention.start - sentence.start, mention.end - sentence.start
    before = re.split(r"[,;:]|\b(?:and|while|but)\b", sentence.text[:start])[-1]
    after = re.split(r"[,;:]|\b(?:and|while|but)\b", sentence.text[end:])[0]
    named = _IDENTIFIED.search(before[-60:]) or _IDENTIFIED.search(after)
    # Of the dead, not of suspects "identified from camera footage".
    return named is not None and _THE_DEAD.search(sentence.text) is not None


# "a 140-strong team", "the 1,500-strong contingent": the size of a group sent or present.
# A crowd of that size is no group sent: "a 2,000-strong march".
_STRONG = re.compile(
    r"-strong\b(?!\s+(?:crowds?|marche?s?|rall(?:y|ies)|protests?|demonstrations?|mobs?))",
    re.IGNORECASE,
)


def sizes_a_group(sentence: Sentence, mention: NumberMention) -> bool:
    """Whether a number is the size of a group sent or present ("a 140-strong team")."""
    return _STRONG.match(sentence.text, mention.end - sentence.start) is not None


def counts_ground_taken(sentence: Sentence, mention: NumberMention) -> bool:
    """Whether a number counts ground taken, places or area ("seized 12 villages", "in
    control of 1,200 square kilometres and 90 settlements"): a count of the war for `other`,
    never people sent or lost, whoever the sentence says took it."""
    head = _noun_words(sentence, mention)
    return (
        bool(head)
        and any(_TERRITORY.fullmatch(w) for w in head[:3])
        and _TAKING.search(sentence.text[: mention.start - sentence.start]) is not None
    )


_AFTER_NOUN = frozenset(
    [
        "altogether",
        "overall",
        "alone",
        "so",
        "far",
        "last",
        "this",
        "week",
        "weekend",
        "day",
        "days",
        "month",
        "months",
        "year",
        "night",
        "overnight",
        "today",
        "yesterday",
    ]
)


_NOUN_END = frozenset(["whose", "who", "whom", "which", "that", "of"])
