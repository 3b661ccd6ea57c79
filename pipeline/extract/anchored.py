"""Anchored strategy: numbers are found deterministically; the model only labels them.

Small models copy numbers and quotes badly but can say what a number counts when shown it. So
value, range and hedge come from `pipeline.text.numbers`, the quote is the number's sentence,
the subject is read off the words after the number and the source off the sentence or its
paragraph. The model reads the on-topic paragraphs that hold numbers once, with the numbers
marked, and writes only a metric name per number.

Each number is offered the metrics its clause's cue words name, plus `other` and `none`
(`filter`, the default); `sentence` offers every metric its sentence names, `hint` every metric
of the topic with the cues as hints. The README's Evaluation section gives the measured choice.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from pipeline.backends.base import Backend, LLMRequest
from pipeline.extract.attribution import credit, known_sources
from pipeline.extract.base import Extracted, ExtractionOutcome
from pipeline.extract.cues import (
    ALWAYS,
    HEDGE,
    MetricCues,
    allowed_metrics,
    named_metrics,
    sentence_hints,
    verb_group,
    verb_metrics,
)
from pipeline.extract.not_counts import counts_places, not_a_count
from pipeline.extract.past_events import cites_past_event, story_year
from pipeline.extract.subjects import UNSPECIFIED, subject_after
from pipeline.extract.things import (
    PERSON_METRICS,
    by_its_noun,
    counts_ground_taken,
    counts_identified,
    counts_things,
    list_losses,
    sizes_a_group,
    tallied_item,
)
from pipeline.prompts import Example, PromptError, PromptTemplate, load_prompt
from pipeline.text.article import Article, read_article
from pipeline.text.numbers import MentionKind, NumberMention
from pipeline.text.sentences import Sentence
from pipeline.topic import Topic, topic_cues
from schemas.claims import SCHEMA_VERSION, Claim, LabelMetric, Metric, Qualifier
from schemas.records import Span

log = logging.getLogger(__name__)

PROMPT_NAME = "anchored_label"
# "12":"killed_or_wounded", is the longest label; most are four tokens.
TOKENS_PER_LABEL = 10
# One request holds at most this many numbers or characters: a paragraph longer than that is
# sent in pieces of whole sentences, so no document can outgrow the model's context.
MAX_MENTIONS = 8
MAX_CHARS = 1500
CUE_MODES = ("hint", "filter", "sentence")
_ALWAYS = tuple(a.value for a in ALWAYS)
# "Of the dead, 61 ...", "Of the 400 injured, 12 ...": the whole a number is part of.
_PARTITIVE = re.compile(
    r"^[\s\"“‘']*of\s+(?P<whole>(?:the|these|those)\s+[^,;]{1,60}?),\s*$", re.IGNORECASE
)
# Between two numbers of one elided list: "..., 61 in Malatya and 25", "and another".
_CONJUNCTION = r"(?:,\s*|\s+)(?:and|while|with|but)\s+"
_FURTHER = r"(?:another\s+|a\s+further\s+)?"
# Any character but a sentence's or clause's stop; a month's abbreviation may stand between
# two numbers of a daily tally ("1,500 casualties on Sept. 22, and 1,470 on Sept. 28").
_NO_STOP = r"(?:[^.;:]|(?<=\b[A-Z][a-z]{2})\.|(?<=\b[A-Z][a-z]{3})\.)"
_ELIDED_JOIN = re.compile(rf"{_NO_STOP}{{0,60}}?(?:{_CONJUNCTION}|,\s*){_FURTHER}", re.IGNORECASE)
_ELIDED_FAR = re.compile(rf"{_NO_STOP}{{0,160}}?{_CONJUNCTION}{_FURTHER}", re.IGNORECASE)
_ELIDED_PLACE_FIRST = re.compile(
    r"[^,.;:]{0,40}?,\s*(?:[A-Z][\w'’.-]*\s+)(?:(?:[A-Z][\w'’.-]*|of|the)\s+){0,5}"
)
_ELIDED_BY_PLACE = re.compile(r"\s+(?:more\s+)?in\s+(?:the\s+)?[A-Za-z]")
# A part of the number before it: "17 of them", "of whom 1,100", "including nine".
_PART_OF_PREVIOUS_AFTER = re.compile(r"\s+of\s+(?:them|whom)\b", re.IGNORECASE)
_PART_OF_PREVIOUS_BEFORE = re.compile(
    r"(?:\b(?:of\s+whom|of\s+them|of\s+which|including|among\s+them|among\s+whom)|"
    # A breakdown after a dash or a colon: "52 officers were injured - 41 gendarmes, ..."
    r"\d[^.;]*(?:\s[-–—]|:))"
    rf"(?:\s+{HEDGE})?\s*$",
    re.IGNORECASE,
)
# Between two numbers of one list of things, with no verb of its own: "deployed 1,800 soldiers
# and 120 boats", "520 firefighters, 140 fire engines and 11 aircraft were sent".
_LIST_JOIN = re.compile(
    r"\s*(?:[A-Za-z][\w'’-]*\s+){0,5}?[A-Za-z][\w'’-]*\s*(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)"
    rf"(?:(?:another|{HEDGE})\s+)?",
    re.IGNORECASE,
)
_PART_OF_NEXT = re.compile(r"\s+(?:out\s+)?of\s+(?:the\s+|these\s+|those\s+|its\s+|their\s+)?")
_VERB_LIKE = re.compile(
    r"\b(?:\w+(?:ed|ing)|were|was|is|are|have|has|had|been|be|said|says|say)\b", re.IGNORECASE
)
# A determiner right before a small number: it points back at things already named.
_REFERRING = re.compile(
    r"\b(?:the|all|both|these|those|its|their|his|her|our|your)\s+(?:other\s+)?$", re.IGNORECASE
)


def _literal(*values: object) -> Any:
    # A Literal built at run time: the allowed values depend on the passage.
    return Literal.__getitem__(values)


@cache
def labels_model(options: tuple[tuple[str, ...], ...]) -> type[BaseModel]:
    """A schema holding one metric name per mention, keyed by its id, each limited to its options.

    The answer is only what the model must decide, `{"labels":{"1":"killed","2":"none"}}`:
    about four generated tokens a number. Writing each id before its label keeps a small model
    on the right number (a bare list drifts by one). The grammar llama.cpp builds from it cannot
    skip, add or reorder a label, nor answer a metric outside the options.
    """
    fields: dict[str, Any] = {
        f"m{i}": (_literal(*allowed), Field(alias=str(i)))
        for i, allowed in enumerate(options, start=1)
    }
    by_id: type[BaseModel] = create_model("Labels", **fields)
    model: type[BaseModel] = create_model("MentionLabels", labels=(by_id, ...))
    return model


def answered_labels(parsed: BaseModel, n: int) -> list[LabelMetric]:
    """The labels of a `labels_model` answer, in mention order."""
    labels = getattr(parsed, "labels", None)
    return [LabelMetric(getattr(labels, f"m{i}")) for i in range(1, n + 1)]


def mark(sentences: list[Sentence], mentions: list[NumberMention], first_id: int = 1) -> str:
    """The sentences as one passage, each mention written as [id:number]."""
    parts: list[str] = []
    previous = -1
    i = first_id
    for s in sentences:
        text = s.text
        inside = [m for m in mentions if s.start <= m.start < s.end]
        marks = []
        for m in inside:
            marks.append((m, i))
            i += 1
        for m, k in reversed(marks):
            lo, hi = m.start - s.start, m.end - s.start
            text = f"{text[:lo]}[{k}:{text[lo:hi]}]{text[hi:]}"
        if parts and s.paragraph != previous:
            parts.append("\n")
        elif parts:
            parts.append(" ")
        parts.append(text)
        previous = s.paragraph
    return "".join(parts)


def _clauses(sentence: Sentence, mentions: list[NumberMention]) -> Iterator[tuple[str, str]]:
    """(after, before) for each mention: its clause up to the neighbouring mentions."""
    for k, m in enumerate(mentions):
        next_start = mentions[k + 1].start if k + 1 < len(mentions) else sentence.end
        prev_end = mentions[k - 1].end if k > 0 else sentence.start
        after = sentence.text[m.end - sentence.start : next_start - sentence.start]
        before = sentence.text[prev_end - sentence.start : m.start - sentence.start]
        yield after, before


def mention_options(
    cues: MetricCues, sentence: Sentence, mentions: list[NumberMention]
) -> list[tuple[str, ...]]:
    """Filter mode: each mention's allowed metrics, from its clause's cues."""
    return [
        tuple(metric.value for metric in allowed_metrics(cues, after, before))
        for after, before in _clauses(sentence, mentions)
    ]


def list_heads(sentence: Sentence, mentions: list[NumberMention]) -> list[int]:
    """For each mention, the index of the first number of the list it is in (its own index
    when it is in none): "deployed 1,800 soldiers and 120 boats" gives [0, 0]."""
    heads: list[int] = []
    for k in range(len(mentions)):
        joined = k and _listed_together(sentence, mentions[k - 1], mentions[k])
        heads.append(heads[-1] if joined else k)
    return heads


def named_in_sentence(
    cues: MetricCues,
    sentence: Sentence,
    mentions: list[NumberMention],
    heads: list[int] | None = None,
) -> list[tuple[LabelMetric, ...]]:
    """The metrics each mention's clause names. A number listed after another ("launched 146
    drones and four missiles") is governed by the verb before the list's first number."""
    heads = list_heads(sentence, mentions) if heads is None else heads
    clauses = [
        (_past_inclusion(sentence, mentions, k) or after, before)
        for k, (after, before) in enumerate(_clauses(sentence, mentions))
    ]
    return [
        tuple(named_metrics(cues, after, clauses[head][1]))
        for (after, _), head in zip(clauses, heads, strict=True)
    ]


# "at least 14 people, including three students and a shopkeeper, were killed": what the
# number counts is said after the parenthesis, which holds numbers of its own. So it is after
# another parenthesis when a verb follows it ("Two people, a man in his 80s and a woman, were in
# serious condition"). The number must have a noun of its own: in "brought the total to 7,412,
# including deaths in Syria, since ...", what follows the parenthesis is no verb of the number.
_INCLUSION = re.compile(
    r"(?P<noun>\s+[A-Za-z][^,;.]{0,40}?)(?:,\s*(?:including\b[^,;]{0,100}|[^,;]{1,80}(?=,\s*(?:"
    r"were|was|are|is|have|has|had|will|would|remain|remained|remains)\b)),\s*"
    # "40 people including police, staff and reporters were hospitalised"
    r"|\s+including\b[^;.]{1,100}?\s(?=(?:were|was|are|is|have|has|had)\s))",
    re.IGNORECASE,
)


def _past_inclusion(sentence: Sentence, mentions: list[NumberMention], k: int) -> str | None:
    """A number's words with an "including ..." parenthesis after it left out, up to the next
    number outside it; None when no such parenthesis follows the number."""
    end = mentions[k].end - sentence.start
    found = _INCLUSION.match(sentence.text, end)
    if found is None:
        return None
    later = [m.start - sentence.start for m in mentions[k + 1 :]]
    stop = next((x for x in later if x >= found.end()), len(sentence.text))
    return found["noun"] + " " + sentence.text[found.end() : stop]


def list_verbs(
    cues: MetricCues, sentence: Sentence, mentions: list[NumberMention], heads: list[int]
) -> list[tuple[LabelMetric, ...]]:
    """For each mention, the metrics the verbs of its list name, before its first number or
    after its last ("deployed 1,800 soldiers and 120 boats", "3 out of 7 missiles fired"):
    not its noun, which names only itself ("58 arrests, 12 raids")."""
    clauses = list(_clauses(sentence, mentions))
    last = {head: k for k, head in enumerate(heads)}
    return [tuple(verb_metrics(cues, clauses[head][1], clauses[last[head]][0])) for head in heads]


def event_named(
    cues: MetricCues, sentence: Sentence, mentions: list[NumberMention]
) -> list[LabelMetric | None]:
    """For each mention, the event its clause names, the metric its list's verbs name, or the
    event a linking word ties it to, if any ("11 officers had been hurt", "launched 187
    drones", "mobilised 1,050 personnel", "the death toll has risen to four"): such a number
    is a count of the topic, never `none`, whatever a small model answers. A metric named only
    by a noun ("1,500 police officers") is no such proof."""
    out: list[LabelMetric | None] = []
    heads = list_heads(sentence, mentions)
    verbs = list_verbs(cues, sentence, mentions, heads)
    for mention, named, shared, loss, things in zip(
        mentions,
        named_in_sentence(cues, sentence, mentions, heads),
        verbs,
        list_losses(cues, sentence, mentions, heads),
        things_in_lists(sentence, mentions),
        strict=True,
    ):
        before = sentence.text[: mention.start - sentence.start]
        linked = [] if named else linked_cues(cues, before)
        found = (
            [m for m in named if m in cues.events]
            or list(shared)
            or [m for m in linked if m in cues.events]
        )
        tallied = loss.of(things) if loss else None
        if tallied is LabelMetric.other:
            # A tally of losses: equipment lost is `other`, whatever its noun names
            # ("artillery" is no supply).
            found = [LabelMetric.other]
        elif tallied and tallied_item(cues, sentence, mention) and not found:
            found = [tallied]
        elif things:
            # Things "lost" or "killed" are still a count of the story: equipment lost.
            found = [LabelMetric.other if m in PERSON_METRICS else m for m in found]
            found = by_its_noun(cues, sentence, mention, found)
        if counts_ground_taken(sentence, mention) or counts_identified(sentence, mention):
            found = [LabelMetric.other]
        elif sizes_a_group(sentence, mention):
            found = [LabelMetric.deployed]
        if not found and out and out[-1] is not None and _part_of_previous(sentence, mention):
            # "17 were injured, including two children": a part is what its whole is.
            found = [out[-1]]
        specific = [m for m in found if m is not LabelMetric.other]
        chosen = specific or found
        out.append(chosen[0] if chosen else None)
    return out


def mention_hints(
    cues: MetricCues, sentence: Sentence, mentions: list[NumberMention]
) -> list[tuple[str, ...]]:
    """Hint mode: the metrics each mention's words suggest (its clause first, then the sentence)."""
    return [
        tuple(m.value for m in sentence_hints(cues, after, before, sentence.text))
        for after, before in _clauses(sentence, mentions)
    ]


# What ties a number to a measure named earlier in its sentence ("the toll rose to", "put
# losses at", "has passed"), once hedges are skipped.
_LINKED = re.compile(
    r"\b(?:to|at|reach|reached|reaches|reaching|pass|passed|passes|passing|past|surpass|"
    r"surpassed|surpasses|surpassing|top|topped|tops|topping|exceed|exceeded|exceeds|exceeding|"
    r"hit|hits|hitting|approaching|nearing|by|cross|crosses|crossed|crossing|"
    r"above|from|is|was|are|were|be|stands|stood|numbering|near|nears|neared|approach|"
    r"approaches|approached|include|includes|included|"
    r"totalled|totaled|totals|totalling|totaling|of|"
    # A toll that rose past a figure: "the toll has now risen over 7,200".
    r"risen|rose|rises|rising|climbed|climbs|jumped|soared|grown|grew|increased)"
    # A figure may stand in quotes: "put the number of casualties at 'around 70'".
    rf"(?:\s+[\"“‘']?(?:{HEDGE}|the))*\s*[\"“‘']?$",
    re.IGNORECASE,
)


def leading_cues(cues: MetricCues, before: str) -> list[LabelMetric]:
    """The metrics named before a number in its sentence: its events if it names any, as in a
    clause ("The death toll among conscripts has climbed to 212"), else its nouns."""
    found = [m for _, m in cues.found(before)]
    events = [m for m in found if m in cues.events]
    return list(dict.fromkeys(events or found))


def things_in_lists(sentence: Sentence, mentions: list[NumberMention]) -> list[bool]:
    """`counts_things` for each mention; one whose noun is left out takes the noun of the
    number right after it ("840 and 815 systems"), else of the one before it that it
    shares words with ("shot down 142 of the drones, while another 38 were lost")."""
    out = [counts_things(sentence, m) for m in mentions]
    elided = [subject_after(sentence, m) == UNSPECIFIED for m in mentions]
    took_next = [False] * len(mentions)
    for k in range(len(mentions) - 2, -1, -1):
        between = sentence.text[
            mentions[k].end - sentence.start : mentions[k + 1].start - sentence.start
        ]
        if elided[k] and _BARE_JOIN.fullmatch(between):
            out[k], took_next[k] = out[k + 1], True
    for k in range(1, len(mentions)):
        if (
            elided[k]
            and not took_next[k]
            and _shares_previous(sentence, mentions[k], mentions[k - 1].end)
        ):
            out[k] = out[k - 1]
    return out


_BARE_JOIN = re.compile(rf"\s*,?\s*(?:and|or|to)?\s*(?:{HEDGE}\s+)?", re.IGNORECASE)


def linked_cues(cues: MetricCues, before: str) -> list[LabelMetric]:
    """The metrics of the measure a linking word ties a number to, nearest first ("270 dead
    and the injured count had climbed to 900": the injured); none without such a word."""
    return leading_cues(cues, before)[::-1] if _LINKED.search(before) else []


def _shares_previous(sentence: Sentence, mention: NumberMention, previous_end: int) -> bool:
    """Whether a number with no words of its own shares the metric of the number before it:
    its words are left out ("five killed in Austria and six in Poland") or it is a part of
    that number ("62 were detained, 17 of them women", "of whom some 1,100")."""
    if _part_of_previous(sentence, mention):
        return True
    start, end = mention.start - sentence.start, mention.end - sentence.start
    join = sentence.text[previous_end - sentence.start : start]
    if subject_after(sentence, mention) != UNSPECIFIED:
        return False
    # "Six died in Forlì-Cesena, including a couple swept off a bridge, and three in Ravenna":
    # a number followed by its place may stand further from the one it shares words with.
    by_place = _ELIDED_BY_PLACE.match(sentence.text, end) and _ELIDED_FAR.fullmatch(join)
    # "Civic Hospital is treating 140, Mercy Centre 38, St Anne 12": each place, then its number.
    place_first = _ELIDED_PLACE_FIRST.fullmatch(join)
    return bool(_ELIDED_JOIN.fullmatch(join) or by_place or place_first)


def _part_of_previous(sentence: Sentence, mention: NumberMention) -> bool:
    """Whether a number is a part of the whole before it: "including 24 protesters", "of whom
    300", "17 of them"."""
    start, end = mention.start - sentence.start, mention.end - sentence.start
    return bool(
        _PART_OF_PREVIOUS_AFTER.match(sentence.text, end)
        or _PART_OF_PREVIOUS_BEFORE.search(sentence.text[:start])
    )


def _listed_together(sentence: Sentence, first: NumberMention, second: NumberMention) -> bool:
    between = sentence.text[first.end - sentence.start : second.start - sentence.start]
    if _PART_OF_NEXT.fullmatch(between):
        return True  # "140 of the 152 deaths"
    return bool(_LIST_JOIN.fullmatch(between)) and not _VERB_LIKE.search(between)


def _share_in_lists(
    options: list[tuple[str, ...]],
    cued: list[bool],
    heads: list[int],
    verbs: list[tuple[str, ...] | None],
) -> list[tuple[str, ...]]:
    """A number of a list (`list_heads`) whose own words name no metric (`cued` False) is
    offered the metrics the list's other numbers are offered: one verb governs the whole list,
    before or after it ("1,200 police officers and 400 soldiers had been deployed"). A number
    with a noun of its own shares only what the list's verbs name (`verbs`): in "58 arrests,
    12 raids", "arrests" names only the first."""
    shared: dict[int, list[str]] = {}
    for k, head in enumerate(heads):
        if cued[k]:
            shared.setdefault(head, []).extend(x for x in options[k] if x != "none")
    out = []
    for k, (opts, head) in enumerate(zip(options, heads, strict=True)):
        offered = shared.get(head, [])
        own_verbs = verbs[k]
        if own_verbs is not None:
            offered = [x for x in offered if x in own_verbs]
        out.append(tuple(dict.fromkeys([*offered, *opts])) if not cued[k] and offered else opts)
    return out


def drop_shadowed_other(claims: list[Extracted]) -> list[Extracted]:
    """An `other` claim whose value a named metric also has in the same document is that
    figure again where its words were vaguer ("Quake deaths pass 3,100" ... "the count is
    3,100"): a small model's `other` there is a second reading, not a second figure."""
    named = {c.claim.value for c in claims if c.claim.metric is not Metric.other}
    return [c for c in claims if c.claim.metric is not Metric.other or c.claim.value not in named]


def claim_from_label(
    metric: LabelMetric, mention: NumberMention, sentence: Sentence, source: str | None
) -> Claim:
    return Claim(
        metric=Metric(metric.value),
        value=mention.value,
        low=mention.low,
        high=mention.high,
        qualifier=Qualifier(mention.qualifier),
        subject=subject_after(sentence, mention),
        source=source,
        quote=sentence.text,
    )


def units(
    sentences: list[Sentence], mentions: dict[int, list[NumberMention]]
) -> Iterator[list[Sentence]]:
    """Runs of sentences sent together: the number-bearing paragraphs, in order, several to a
    request until it would hold too much. A paragraph without a number to label is not sent,
    and each request pays the template and the answer's wrapping once for several paragraphs."""
    paragraphs: dict[int, list[int]] = {}
    for index, sentence in enumerate(sentences):
        paragraphs.setdefault(sentence.paragraph, []).append(index)
    unit: list[Sentence] = []
    held = chars = 0
    for indexes in paragraphs.values():
        n = sum(len(mentions.get(i, ())) for i in indexes)
        if not n:
            continue
        for index in indexes:
            sentence = sentences[index]
            k = len(mentions.get(index, ()))
            if unit and (held + k > MAX_MENTIONS or chars + len(sentence.text) > MAX_CHARS):
                if held:
                    yield unit
                unit, held, chars = [], 0, 0
            unit.append(sentence)
            held += k
            chars += len(sentence.text) + 1
    if held:
        yield unit


class AnchoredStrategy:
    name = "anchored"
    # 2: sentence attribution wins over the model; 3: tighter metric cues; 4: continuation
    # paragraphs count as on-topic, wider noun window, no "the passage" sources; 5: measures and
    # appositive ages are not counts; 6: one call per paragraph, cues as hints, subject from text;
    # 7: a clause without cues is offered its sentence's; 8: only a number linked to an earlier
    # measure ("the toll rose to N") is offered that measure's cues; 9: the model answers only
    # a metric per number, the source is read off the paragraph; 10: counts of places are never
    # claims, populations and ages are not sent, a part ("Of the dead, 61") or an elided number
    # ("and six in Poland") is offered the metric it shares, "one person" counts; 11: cues are
    # whole words, a clause ends at "as"/"while"/..., a headline verb counts ("Floods kill 26"),
    # the numbers of one list share its verb, a number whose clause names an event is never
    # none, an `other` reading of a figure named elsewhere is dropped, designations, rates and
    # scores are not sent (paragraphs inside a story are read: `Article.topical_reason`); 12:
    # a number's verb is read past an "including ..." parenthesis, a list member with a noun of
    # its own shares only the list's verbs and nouns, more links ("nears", "are", "included")
    # and hedges ("just under"), a cue phrase of verbs takes their forms ("kills and injures"),
    # only the first verb group after a number counts, a topic's `other` verb outranks the
    # noun after it ("released 246 prisoners"), a count of things is never one of people;
    # 13: a tally of losses makes its things `other` and gives its people the loss ("losses
    # include 730 troops, 41 artillery systems"), an area is `other`, a figure of a past
    # event cited for comparison is not sent ("the 1962 quake, which killed 12,000"), a verb
    # after "and" belongs to the next number, the verb after a noun outranks it ("prisoners
    # were set free"), a daily tally shares its metric across dates, every part of a breakdown
    # is what befell the whole, a thing's own noun beats the verb ("sent 60 howitzers"),
    # places taken are territory, speakers, gatherings, thresholds and yearly rates are not
    # sent, each place then its number shares the list's metric ("Mercy Centre 38"); 14: ages
    # after a name from 1, dates in brackets after a weekday and a span's second day, unit
    # conversions in brackets, tallies, votes, phone numbers and the story's main shocks are
    # not sent, ground taken and bodies identified are `other`, "a 140-strong team" is
    # deployed, a purpose clause ends a number's clause, rises link a toll, a cue after "not"
    # names nothing, sentences inside a quotation are split (`sentences.py`), a glued story
    # is read only if its headline is about the topic (`article.py`)
    version = "14"

    def __init__(
        self,
        backend: Backend,
        topic: Topic,
        prompt: PromptTemplate | None = None,
        *,
        cue_mode: str = "filter",
    ) -> None:
        if cue_mode not in CUE_MODES:
            raise ValueError(f"cue_mode must be one of {', '.join(CUE_MODES)}, not {cue_mode!r}")
        self.backend = backend
        self.topic = topic
        self.prompt = prompt or load_prompt(PROMPT_NAME)
        self.cue_mode = cue_mode
        if cue_mode != "filter":
            self.version = f"{self.version}-{cue_mode}"
        self.cues = topic_cues(topic)
        self.known = known_sources(topic.aliases())
        self.vocabulary = tuple(topic.label_metrics)
        self.system_vars = {
            "topic": topic.description,
            "metrics": [{"name": k, "text": v} for k, v in topic.metrics.items()],
        }
        self.examples = self._examples()

    def response_schema(self) -> dict[str, Any]:
        return labels_model((self.vocabulary,)).model_json_schema()

    def extract(self, text: str | Article) -> ExtractionOutcome:
        article = text if isinstance(text, Article) else read_article(text)
        outcome = ExtractionOutcome(self.prompt.name, self.prompt.version)
        # Only the paragraphs about the topic that hold a candidate number are split into
        # sentences: the others have nothing to label, and splitting is most of the cost of a
        # long document.
        sentences: list[Sentence] = []
        newest = story_year(article.mentions)
        by_sentence: dict[int, list[NumberMention]] = {}
        for paragraph in article.paragraphs:
            held = article.mention_indices(paragraph.start, paragraph.end)
            if not any(article.mentions[i].is_candidate for i in held):
                continue
            if article.topical_reason(paragraph.start, self.topic.on_topic) is None:
                log.debug("skipping off-topic paragraph %r", paragraph.text[:80])
                continue
            for sentence in article.paragraph_sentences(paragraph.index):
                inside = self._to_label(article, sentence, newest)
                if inside:
                    by_sentence[len(sentences)] = inside
                sentences.append(sentence)
        position = {id(s): i for i, s in enumerate(sentences)}
        for unit in units(sentences, by_sentence):
            self._label_unit(outcome, unit, [by_sentence.get(position[id(s)], []) for s in unit])
        outcome.claims = drop_shadowed_other(outcome.claims)
        return outcome

    def _to_label(self, article: Article, sentence: Sentence, newest: int) -> list[NumberMention]:
        """The candidate numbers of one of the article's sentences the model must read;
        `newest` is the story's year (`story_year`)."""
        inside = article.mentions_in(sentence.start, sentence.end)
        candidates = [m for m in inside if m.is_candidate]
        years = [m for m in inside if m.kind is MentionKind.year]
        return self._needing_a_label(sentence, candidates, years, newest)

    def _needing_a_label(
        self,
        sentence: Sentence,
        mentions: list[NumberMention],
        years: Sequence[NumberMention] = (),
        newest: int = 0,
    ) -> list[NumberMention]:
        """The mentions the model must read; the others have one reading, `none`, and cost no
        tokens: a frequency ("met three times"), a population or an age ("a city of 1.3
        million people", "the youngest was 19"), a figure of a past event cited for
        comparison (`cites_past_event`, against the sentence's `years` and the story's
        `newest` year), and a small number that refers back to things already named ("the
        two nations", "all three countries") when no word of its clause names a metric."""
        kept = []
        named = mention_options(self.cues, sentence, mentions)
        for m, options in zip(mentions, named, strict=True):
            before = sentence.text[: m.start - sentence.start]
            if cites_past_event(sentence, m, years, newest) or not_a_count(sentence, m):
                continue
            spelled = not any(ch.isdigit() for ch in m.text)
            cueless = set(options) <= set(_ALWAYS)
            if spelled and m.value <= 10 and cueless and _REFERRING.search(before):
                continue
            kept.append(m)
        return kept

    def _options(self, sentence: Sentence, mentions: list[NumberMention]) -> list[tuple[str, ...]]:
        if self.cue_mode == "sentence":
            # Every metric the sentence names, the number's own clause first; a sentence that
            # names none leaves every metric open rather than only `other` and `none`.
            named = [m.value for m in leading_cues(self.cues, sentence.text)]
            out = []
            for near in mention_options(self.cues, sentence, mentions):
                opts = [x for x in dict.fromkeys([*near, *named]) if x not in _ALWAYS]
                out.append(
                    tuple(x for x in [*opts, *_ALWAYS] if x in self.vocabulary)
                    if opts
                    else self.vocabulary
                )
            return out
        if self.cue_mode == "filter":
            return self._filter_options(sentence, mentions)
        return [self.vocabulary] * len(mentions)

    def _filter_options(
        self, sentence: Sentence, mentions: list[NumberMention]
    ) -> list[tuple[str, ...]]:
        """Filter mode: each number's options are the metrics its words name, else those of a
        measure it is linked to, the whole it is part of, or the number it shares words with;
        a part named only by its noun ("including 24 protesters") also gets its whole's
        events."""
        out: list[tuple[str, ...]] = []
        cued: list[bool] = []
        # What each number was offered from words outside its own: a link, a whole, the number
        # before it. Its list's other numbers share that as they share its verb.
        borrowed: list[tuple[str, ...]] = []
        previous: tuple[str, ...] = ()
        previous_end = -1
        heads = list_heads(sentence, mentions)
        events = {m.value for m in self.cues.events}
        # The whole's events, for each number that is a part of the number before it.
        wholes: dict[int, tuple[str, ...]] = {}
        for m, named in zip(
            mentions, named_in_sentence(self.cues, sentence, mentions, heads), strict=True
        ):
            own = tuple(x.value for x in named)
            lent: tuple[str, ...] = ()
            before = sentence.text[: m.start - sentence.start]
            if not named:
                # "The death toll ... has climbed to 212": the metric is named before the
                # number, out of the clause's reach, and a linking word ties the two.
                linked = linked_cues(self.cues, before)
                # "Of the dead, 61 were in Malatya": a part of a whole the sentence opened with.
                partitive = _PARTITIVE.search(before)
                whole = leading_cues(self.cues, partitive["whole"]) if partitive else []
                if linked or whole:
                    lent = tuple(c.value for c in linked or whole)
                elif previous and _shares_previous(sentence, m, previous_end):
                    lent = previous
            elif (
                not events & set(own)
                and _part_of_previous(sentence, m)
                and not verb_group(self.cues, sentence.text[m.end - sentence.start :])
            ):
                # "hospitalised 31 people, including 24 protesters": what befell the whole
                # befell its part, whatever the part's own noun names.
                whole_events = previous or tuple(c.value for c in leading_cues(self.cues, before))
                lent = tuple(x for x in whole_events if x in events)
            if _part_of_previous(sentence, m) and events & set(lent):
                wholes[len(out)] = tuple(x for x in lent if x in events)
            near = (*lent, *own, *_ALWAYS)
            previous = tuple(x for x in near if x not in _ALWAYS) or previous
            previous_end = m.end
            out.append(tuple(x for x in dict.fromkeys(near) if x in self.vocabulary))
            borrowed.append(lent)
            # Cued: its own words, a link, a whole or the number before name a metric.
            cued.append(bool(named) or any(x not in _ALWAYS for x in out[-1]))
        # A number with a noun of its own shares the list's verbs, what its list's first number
        # borrowed, and the metrics that name who is counted ("520 firefighters, 140 fire
        # engines"), not another number's event noun ("58 arrests, 12 raids"); one whose noun is
        # left out ("and 400 more") shares all.
        nouns = [m.value for m in self.cues.patterns if m not in self.cues.events]
        verbs = [
            None
            if subject_after(sentence, m) == UNSPECIFIED
            else (*(x.value for x in v), *borrowed[head], *nouns)
            for m, v, head in zip(
                mentions, list_verbs(self.cues, sentence, mentions, heads), heads, strict=True
            )
        ]
        people = {m.value for m in PERSON_METRICS}
        losses = list_losses(self.cues, sentence, mentions, heads)
        final = []
        for m, opts, loss, things, head in zip(
            mentions,
            _share_in_lists(out, cued, heads, verbs),
            losses,
            things_in_lists(sentence, mentions),
            heads,
            strict=True,
        ):
            tallied = loss.of(things) if loss else None
            of_whole = wholes.get(head)
            if (
                of_whole
                and not events & set(opts) - set(of_whole)
                and not verb_group(self.cues, sentence.text[m.end - sentence.start :])
            ):
                # A breakdown: "52 officers were injured - 30 gendarmes, four members of the
                # riot unit, eight traffic police officers": every part is what befell the
                # whole, not who its noun says it is.
                opts = tuple(dict.fromkeys([*of_whole, *_ALWAYS]))
            elif (
                tallied is LabelMetric.other
                or counts_ground_taken(sentence, m)
                or counts_identified(sentence, m)
            ):
                opts = tuple(x for x in opts if x in _ALWAYS)
            elif sizes_a_group(sentence, m):
                opts = (LabelMetric.deployed.value, *_ALWAYS)
            elif things:
                kept = {x.value for x in by_its_noun(self.cues, sentence, m, self._metrics(opts))}
                opts = tuple(x for x in opts if x not in people and (x in kept or x in _ALWAYS))
            elif tallied and tallied_item(self.cues, sentence, m):
                # "overall losses ... to 402,300 personnel": people of a tally of losses.
                opts = tuple(dict.fromkeys([tallied.value, *opts]))
            final.append(tuple(x for x in opts if x in self.vocabulary))
        return final

    @staticmethod
    def _metrics(options: tuple[str, ...]) -> list[LabelMetric]:
        return [LabelMetric(x) for x in options if x not in _ALWAYS]

    def render(
        self, unit: list[Sentence], mentions: list[list[NumberMention]]
    ) -> tuple[dict[str, Any], tuple[tuple[str, ...], ...]]:
        """The user message's variables for a run of sentences, and each number's options:
        the one rendering that live requests and the few-shot examples share."""
        flat = [m for ms in mentions for m in ms]
        options: list[tuple[str, ...]] = []
        hints: list[tuple[str, ...]] = []
        for s, ms in zip(unit, mentions, strict=True):
            if ms:
                options += self._options(s, ms)
                hints += mention_hints(self.cues, s, ms)
        items = [
            {
                "id": i,
                "text": m.text,
                "hint": ", ".join(h for h in hint if h in opts),
                # `none` is always allowed (the system prompt says so); `other` is shown, as a
                # model answers only what it sees.
                "options": "/".join(o for o in opts if o != "none")
                if self.cue_mode != "hint"
                else "",
            }
            for i, (m, opts, hint) in enumerate(zip(flat, options, hints, strict=True), 1)
        ]
        return {"passage": mark(unit, flat), "mentions": items}, tuple(options)

    def _examples(self) -> list[Example]:
        """The prompt's example passages, rendered exactly as a live request would be, with
        their labels as the answer. A label the topic does not offer there becomes `other`
        (or `none`), so an example never shows the model an answer its grammar forbids."""
        rendered = []
        for example in self.prompt.examples:
            if example.passage is None:
                rendered.append(example)
                continue
            article = Article(example.passage)
            sentences = list(article.sentences)
            newest = story_year(article.mentions)
            mentions = [self._to_label(article, s, newest) for s in sentences]
            user_vars, options = self.render(sentences, mentions)
            if len(options) != len(example.labels):
                raise PromptError(
                    f"{self.prompt.name}: an example marks {len(options)} numbers but gives "
                    f"{len(example.labels)} labels: {example.passage[:60]!r}"
                )
            answer = {
                str(i): label if label in opts else ("other" if "other" in opts else "none")
                for i, (label, opts) in enumerate(zip(example.labels, options, strict=True), 1)
            }
            rendered.append(
                Example(
                    user=self.prompt.render_user(user_vars),
                    assistant=json.dumps({"labels": answer}, separators=(",", ":")),
                )
            )
        return rendered

    def _label_unit(
        self,
        outcome: ExtractionOutcome,
        unit: list[Sentence],
        mentions: list[list[NumberMention]],
    ) -> None:
        flat = [(s, m) for s, ms in zip(unit, mentions, strict=True) for m in ms]
        user_vars, options = self.render(unit, mentions)
        request = LLMRequest(
            messages=self.prompt.messages(self.system_vars, user_vars, self.examples),
            response_model=labels_model(options),
            prompt_name=self.prompt.name,
            prompt_version=self.prompt.version,
            schema_version=SCHEMA_VERSION,
            max_tokens=24 + TOKENS_PER_LABEL * len(flat),
        )
        result = self.backend.complete(request)
        outcome.count(result)
        if result.parsed is None:
            outcome.errors.append(f"passage at {unit[0].start}: {result.error}")
            return
        labels = answered_labels(result.parsed, len(flat))
        events = [
            e for s, ms in zip(unit, mentions, strict=True) for e in event_named(self.cues, s, ms)
        ]
        labels = [
            event if label is LabelMetric.none and event is not None else label
            for label, event in zip(labels, events, strict=False)
        ]
        named_subject: dict[int, str] = {}
        same = {id(s): [t for t in unit if t.paragraph == s.paragraph] for s in unit}
        for metric, (sentence, mention) in zip(labels, flat, strict=False):
            if metric is LabelMetric.none or counts_places(sentence, mention):
                continue
            # Who says it is read off the text, never generated: a name costs the model ~10
            # tokens, and a small model credits whichever agency sits nearest.
            paragraph = same[id(sentence)]
            source = credit(
                [t.text for t in paragraph],
                paragraph.index(sentence),
                mention.start - sentence.start,
                mention.end - sentence.start,
                self.known,
            )
            claim = claim_from_label(metric, mention, sentence, source)
            if claim.subject == UNSPECIFIED and id(sentence) in named_subject:
                # "300 of Pyongyang's troops were killed and another 2,700 wounded": the second
                # number's noun is left out, and it is the first one's.
                claim = claim.model_copy(update={"subject": named_subject[id(sentence)]})
            if claim.subject != UNSPECIFIED:
                named_subject[id(sentence)] = claim.subject
            anchor = Span(start=sentence.start, end=sentence.end, method="anchored")
            outcome.claims.append(Extracted(claim, anchor))
