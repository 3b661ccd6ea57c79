"""The grounding checks: pure functions `(claim, text, ...) -> CheckResult`, each one stored.

A claim is verified only when its quote is found in the article, every number it states is
written inside that span, its range is consistent and it belongs to the topic. The qualifier
check only flags: a hedge the model missed is worth showing, not worth losing the figure over.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from pipeline.text.align import locate
from pipeline.text.numbers import find_mentions, values_in
from schemas.claims import Claim, Qualifier
from schemas.records import CheckResult, Span

TopicTest = Callable[[str], bool]


def check_quote_located(claim: Claim, text: str) -> tuple[CheckResult, Span | None]:
    span = locate(claim.quote, text)
    if span is None:
        return (
            CheckResult(
                name="quote_located",
                passed=False,
                detail=f"the quote {claim.quote[:120]!r} is not in the article; copy the "
                "sentence exactly as written",
            ),
            None,
        )
    detail = f"{span.method} match at {span.start}-{span.end}"
    if span.method == "fuzzy":
        detail += f" (score {span.score})"
    return CheckResult(name="quote_located", passed=True, detail=detail), span


def claimed_numbers(claim: Claim) -> list[int]:
    numbers = [claim.value]
    numbers += [n for n in (claim.low, claim.high) if n is not None and n not in numbers]
    return numbers


def check_numbers_in_span(claim: Claim, span_text: str) -> CheckResult:
    present = values_in(span_text)
    missing = [n for n in claimed_numbers(claim) if n not in present]
    if missing:
        return CheckResult(
            name="numbers_in_span",
            passed=False,
            detail=f"{', '.join(f'{n:,}' for n in missing)} not written in the quoted text "
            f"(it contains {', '.join(f'{n:,}' for n in sorted(present)) or 'no numbers'})",
        )
    return CheckResult(name="numbers_in_span", passed=True, detail="all numbers found")


def check_range(claim: Claim) -> CheckResult:
    if claim.low is None and claim.high is None:
        return CheckResult(name="range_consistent", passed=True, detail="not a range")
    if claim.low is None or claim.high is None:
        return CheckResult(
            name="range_consistent", passed=False, detail="a range needs both low and high"
        )
    if not claim.low <= claim.value <= claim.high or claim.low > claim.high:
        return CheckResult(
            name="range_consistent",
            passed=False,
            detail=f"need low <= value <= high, got {claim.low} <= {claim.value} <= {claim.high}",
        )
    return CheckResult(name="range_consistent", passed=True, detail="low <= value <= high")


def hedge_in_span(claim: Claim, span_text: str) -> Qualifier | None:
    """The qualifier the text itself puts on the claimed number, if that number is found."""
    for mention in find_mentions(span_text):
        if mention.value == claim.value or (claim.low is not None and mention.low == claim.low):
            return Qualifier(mention.qualifier)
    return None


def check_qualifier(claim: Claim, span_text: str) -> CheckResult:
    written = hedge_in_span(claim, span_text)
    if written is None or written == claim.qualifier:
        return CheckResult(
            name="qualifier_matches", passed=True, detail="consistent", blocking=False
        )
    return CheckResult(
        name="qualifier_matches",
        passed=False,
        detail=f"qualifier {claim.qualifier.value} but the text says {written.value}",
        blocking=False,
    )


# A paragraph opening like this continues the story before it ("The shipments also included
# 220 missiles, the JCS said.") and may name nothing of the topic itself. A glued-on story
# starts fresh, with its own names.
_CONTINUES = re.compile(
    r"^[\s\"“‘'(]*(?:the|these|those|this|that|such|both|it|its|they|their|he|his|she|her|"
    r"also|in addition|additionally|but|and)\b",
    re.IGNORECASE,
)


@dataclass
class _Lines:
    """Where each line of a text starts and ends, and which lines are about a topic.

    Built once per text: finding a span's paragraph by scanning back to the previous newline,
    and testing the paragraph's topic, cost the paragraph's length for every number, which was
    quadratic in a long single-paragraph article.
    """

    starts: list[int]
    ends: list[int]
    topical: dict[tuple[TopicTest, int], bool] = field(default_factory=dict)


@lru_cache(maxsize=4)
def _lines(text: str) -> _Lines:
    # Keyed by the text itself: a str caches its hash, and the same object is passed each time.
    starts = [0, *(m.end() for m in re.finditer("\n", text))]
    ends = [*(s - 1 for s in starts[1:]), len(text)]
    return _Lines(starts, ends)


def _is_topical(lines: _Lines, text: str, index: int, on_topic: TopicTest) -> bool:
    key = (on_topic, index)
    if key not in lines.topical:
        lines.topical[key] = on_topic(text[lines.starts[index] : lines.ends[index]])
    return lines.topical[key]


def topical_paragraph(text: str, span: Span, on_topic: TopicTest) -> str | None:
    """Why the paragraph holding `span` is about the topic, or None when it is not.

    It is when it mentions the topic, or when it opens as a continuation of a paragraph that is.
    """
    lines = _lines(text)
    index = bisect_right(lines.starts, span.start) - 1
    hops = 0
    while True:
        if _is_topical(lines, text, index, on_topic):
            return (
                "paragraph continues one about the topic"
                if hops
                else "paragraph is about the topic"
            )
        start = lines.starts[index]
        opening = text[start : min(lines.ends[index], start + 200)]
        if index == 0 or not _CONTINUES.match(opening):
            return None
        # The paragraph before, past any blank lines.
        index -= 1
        while index > 0 and not text[lines.starts[index] : lines.ends[index]].strip():
            index -= 1
        hops += 1


def check_on_topic(text: str, span: Span, on_topic: TopicTest) -> CheckResult:
    reason = topical_paragraph(text, span, on_topic)
    if reason is not None:
        return CheckResult(name="on_topic", passed=True, detail=reason)
    return CheckResult(
        name="on_topic",
        passed=False,
        detail="the paragraph does not mention the topic (an unrelated story?)",
    )


def validate_claim(
    claim: Claim, text: str, on_topic: TopicTest, anchor: Span | None = None
) -> tuple[list[CheckResult], Span | None]:
    """Run every check; `anchor` is a span already known (the anchored strategy's sentence)."""
    if anchor is not None:
        located = CheckResult(name="quote_located", passed=True, detail="anchored in the text")
        span: Span | None = anchor
    else:
        located, span = check_quote_located(claim, text)
    checks = [located]
    if span is not None:
        span_text = text[span.start : span.end]
        checks.append(check_numbers_in_span(claim, span_text))
        checks.append(check_qualifier(claim, span_text))
        checks.append(check_on_topic(text, span, on_topic))
    checks.append(check_range(claim))
    return checks, span


def passed(checks: Sequence[CheckResult]) -> bool:
    return all(c.passed or not c.blocking for c in checks)


def error_for_model(claim: Claim, checks: Sequence[CheckResult]) -> str:
    """The failures phrased for a re-ask: which claim, and what to fix."""
    reasons = "; ".join(c.detail for c in checks if not c.passed and c.blocking)
    return f"claim {claim.metric.value} {claim.value} ({claim.quote[:80]!r}): {reasons}"
