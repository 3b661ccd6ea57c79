"""Where each number of an article sits and what became of it: the document page's layout.

Pure: the text, the stored claims' spans and values, and the topic test in; paragraphs of plain
and marked segments out. Every number `pipeline.text.numbers` finds is marked once: with the claim
stored for it, or with why it is no claim (not a count, not picked, in an off-topic paragraph).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from pipeline.text.article import Article, TopicTest
from pipeline.text.numbers import NumberMention
from schemas.records import ClaimStatus


class MarkKind(StrEnum):
    verified = "verified"
    rejected = "rejected"
    not_claim = "not-a-claim"  # a count in an on-topic paragraph that no claim rests on
    not_count = "not-a-count"  # a year, date, percentage, ...: never a candidate
    off_topic = "off-topic"  # a number in a paragraph not about the topic: never read


@dataclass(frozen=True)
class ClaimAnchor:
    """What placing a stored claim needs: its id, status, numbers and where it was found."""

    claim_id: str
    status: str
    value: int
    low: int | None
    high: int | None
    spans: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Mark:
    kind: MarkKind
    mention_kind: str  # count, year, date, ... (pipeline.text.numbers.MentionKind)
    claim_id: str | None = None


@dataclass(frozen=True)
class Segment:
    text: str
    mark: Mark | None = None


@dataclass(frozen=True)
class Paragraph:
    start: int
    end: int
    # None: no topic to judge by (its file is gone), so nothing is called off-topic.
    on_topic: bool | None
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Layout:
    paragraphs: tuple[Paragraph, ...]
    # Claims no number of the text can carry: a quote not found, a number not written in it.
    unplaced: tuple[str, ...]


def claims_number(mention: NumberMention, claim: ClaimAnchor) -> bool:
    """Whether `mention` states the claim's figure (its value, or its range's ends)."""
    if claim.low is not None and (claim.low, claim.high) == (mention.low, mention.high):
        return True
    return claim.value in {mention.value, mention.low, mention.high}


def place_claims(
    mentions: Sequence[NumberMention], claims: Sequence[ClaimAnchor]
) -> tuple[dict[int, ClaimAnchor], list[str]]:
    """Mention index -> the claim it carries, and the ids of claims left without a mention.

    A claim takes the first free mention of its figure inside one of its spans, in span order;
    two claims of one figure in one sentence so land on its two mentions, not both on the first.
    """
    taken: dict[int, ClaimAnchor] = {}
    unplaced: list[str] = []
    for claim in claims:
        at = next(
            (
                i
                for start, end in claim.spans
                for i, m in enumerate(mentions)
                if start <= m.start and m.end <= end and i not in taken and claims_number(m, claim)
            ),
            None,
        )
        if at is None:
            unplaced.append(claim.claim_id)
        else:
            taken[at] = claim
    return taken, unplaced


def _kind_of(mention: NumberMention, claim: ClaimAnchor | None, on_topic: bool | None) -> Mark:
    if claim is not None:
        kind = MarkKind.rejected if claim.status == ClaimStatus.rejected else MarkKind.verified
        return Mark(kind, mention.kind.value, claim.claim_id)
    if on_topic is False:
        return Mark(MarkKind.off_topic, mention.kind.value)
    if not mention.is_candidate:
        return Mark(MarkKind.not_count, mention.kind.value)
    return Mark(MarkKind.not_claim, mention.kind.value)


def layout(text: str, claims: Sequence[ClaimAnchor], on_topic: TopicTest | None) -> Layout:
    """The text as paragraphs of segments, every number mention marked once."""
    article = Article(text)
    mentions = list(article.mentions)
    placed, unplaced = place_claims(mentions, claims)
    paragraphs = []
    for para in article.paragraphs:
        if not para.text.strip():
            continue
        start, end = para.start, para.end
        topical = None if on_topic is None else article.topical_reason(start, on_topic) is not None
        segments: list[Segment] = []
        cursor = start
        for i in article.mention_indices(start, end):
            m = mentions[i]
            # A mention running over a line break belongs to no paragraph; its claim (if any)
            # is listed with the unplaced ones below.
            if m.end > end:
                continue
            if m.start > cursor:
                segments.append(Segment(text[cursor : m.start]))
            segments.append(Segment(m.text, _kind_of(m, placed.get(i), topical)))
            cursor = m.end
        if cursor < end:
            segments.append(Segment(text[cursor:end]))
        paragraphs.append(Paragraph(start, end, topical, tuple(segments)))
    shown = {
        s.mark.claim_id
        for p in paragraphs
        for s in p.segments
        if s.mark is not None and s.mark.claim_id
    }
    lost = [c.claim_id for c in placed.values() if c.claim_id not in shown]
    return Layout(tuple(paragraphs), tuple(unplaced + lost))
