"""Each grounding check, passing and failing, and quote alignment."""

from __future__ import annotations

import pytest

from pipeline.text.align import locate
from pipeline.validate import (
    check_numbers_in_span,
    check_qualifier,
    check_range,
    passed,
    topical_paragraph,
    validate_claim,
)
from schemas.claims import Claim, Metric, Qualifier
from schemas.records import Span

TEXT = (
    "Seoul’s spy agency said 300 North Korean soldiers had been killed and 2,700 wounded.\n"
    "Ukraine says some 3,000 troops were killed or wounded, and that 10,000 to 12,000 were sent.\n"
    "In other news, a two-person crew is missing after a jet crashed in the Philippines."
)


def on_topic(paragraph: str) -> bool:
    return any(t in paragraph.lower() for t in ("ukrain", "north korea", "seoul"))


def claim(**kw: object) -> Claim:
    base: dict[str, object] = {
        "metric": Metric.killed,
        "value": 300,
        "subject": "North Korean soldiers",
        "quote": "said 300 North Korean soldiers had been killed",
    }
    base.update(kw)
    return Claim(**base)  # type: ignore[arg-type]


def test_exact_quote_is_located_with_offsets() -> None:
    span = locate("said 300 North Korean soldiers", TEXT)
    assert span is not None and span.method == "exact"
    assert TEXT[span.start : span.end] == "said 300 North Korean soldiers"


def test_quote_with_straight_quotes_and_reflowed_space_is_located_after_normalising() -> None:
    span = locate("Seoul's spy agency  said 300", TEXT)
    assert span is not None and span.method == "normalized"
    assert TEXT[span.start : span.end] == "Seoul’s spy agency said 300"


def test_lightly_paraphrased_quote_is_located_fuzzily() -> None:
    span = locate("Ukraine says some 3,000 troops have been killed or wounded", TEXT)
    assert span is not None and span.method == "fuzzy" and span.score >= 90
    assert "3,000 troops" in TEXT[span.start : span.end]


def test_invented_quote_is_not_located() -> None:
    assert locate("Russia said 5,000 North Korean troops deserted last month", TEXT) is None
    checks, span = validate_claim(
        claim(quote="Russia said 5,000 North Korean troops deserted", value=5000), TEXT, on_topic
    )
    assert span is None and not passed(checks)
    assert checks[0].name == "quote_located" and not checks[0].passed


def test_hallucinated_number_fails_even_with_a_real_quote() -> None:
    checks, span = validate_claim(claim(value=3500), TEXT, on_topic)
    assert span is not None
    failed = [c for c in checks if not c.passed]
    assert [c.name for c in failed] == ["numbers_in_span"]
    assert "3,500 not written" in failed[0].detail
    assert not passed(checks)


def test_every_number_form_is_accepted_in_the_span() -> None:
    assert check_numbers_in_span(claim(value=2700), "another 2,700 wounded").passed
    assert check_numbers_in_span(claim(value=2700), "2.7 thousand wounded").passed
    assert check_numbers_in_span(claim(value=3), "three were captured").passed
    assert check_numbers_in_span(claim(value=3000), "3000 troops").passed
    rng = claim(value=10000, low=10000, high=12000)
    assert check_numbers_in_span(rng, "10,000 to 12,000 troops").passed
    assert not check_numbers_in_span(rng, "10,000 troops").passed


def test_range_consistency() -> None:
    assert check_range(claim(value=10000, low=10000, high=12000)).passed
    assert not check_range(claim(value=13000, low=10000, high=12000)).passed
    assert not check_range(claim(value=10000, low=10000)).passed
    assert check_range(claim()).passed


def test_qualifier_contradicting_the_hedge_rejects() -> None:
    # Issue 14, item 6: verified means the qualifier is the one the text's hedge gives.
    result = check_qualifier(claim(value=3000, qualifier=Qualifier.exact), "some 3,000 troops")
    assert not result.passed and result.blocking
    assert "text says about" in result.detail
    assert check_qualifier(claim(value=3000, qualifier=Qualifier.about), "some 3,000 troops").passed


def test_off_topic_story_is_rejected() -> None:
    missing = claim(metric=Metric.missing, value=2, quote="a two-person crew is missing")
    checks, _ = validate_claim(missing, TEXT, on_topic)
    assert {c.name: c.passed for c in checks}["on_topic"] is False
    assert not passed(checks)


STORY = (
    "North Korea has sent Russia 8 million shells, South Korea said.\n"
    "\n"
    "The shipments also included 220 ballistic missiles, the JCS said.\n"
    "Those missiles can fly 700 kilometres.\n"
    "OTHER NEWS: A two-person crew is missing after a jet crashed, police said.\n"
    "The crew's families were told of 3 sightings.\n"
)


@pytest.mark.parametrize(
    ("needle", "reason"),
    [
        ("8 million", "paragraph is about the topic"),
        # Opens as a continuation, across a blank line, and a continuation of a continuation.
        ("220", "paragraph continues one about the topic"),
        ("700", "paragraph continues one about the topic"),
        # A glued-on story opens with its own names, and what continues it is not carried.
        ("two-person", None),
        ("3 sightings", None),
    ],
)
def test_a_paragraph_continuing_an_on_topic_one_is_on_topic(
    needle: str, reason: str | None
) -> None:
    start = STORY.index(needle)
    span = Span(start=start, end=start + len(needle), method="exact")
    assert topical_paragraph(STORY, span, lambda p: "korea" in p.lower()) == reason


def test_grounded_claim_passes_every_check() -> None:
    checks, span = validate_claim(claim(), TEXT, on_topic)
    assert passed(checks) and span is not None
    assert {c.name for c in checks} == {
        "quote_located",
        "numbers_in_span",
        "span_holds_clause",
        "metric_agrees",
        "qualifier_matches",
        "not_addressed_to_reader",
        "on_topic",
        "range_consistent",
    }


@pytest.mark.parametrize("quote", ["", "   ", "300"])
def test_empty_or_tiny_quotes_do_not_match_by_accident(quote: str) -> None:
    span = locate(quote, TEXT)
    assert span is None or TEXT[span.start : span.end] == quote.strip()
