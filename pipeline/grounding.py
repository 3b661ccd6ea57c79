"""Turn extracted claims into validated ones: run every check, then merge repeated mentions."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.extract.base import ClaimChecker, Extracted
from pipeline.extract.cues import MetricCues
from pipeline.text.article import TopicTest
from pipeline.topic import NormalizeSource, Topic, topic_cues
from pipeline.validate import error_for_model, passed, validate_claim
from schemas.claims import Claim
from schemas.records import ClaimStatus, Provenance, Span, ValidatedClaim


def claim_checker(topic: Topic) -> ClaimChecker:
    """Every check of `validate_claim`, for a strategy to re-ask with: the failures phrased for
    the model, or None when the claim passes. The same checks `ground` stores."""
    on_topic, cues = topic.on_topic, topic_cues(topic)

    def check(claim: Claim, text: str) -> str | None:
        checks, _ = validate_claim(claim, text, on_topic, cues=cues)
        return None if passed(checks) else error_for_model(claim, checks)

    return check


def ground(
    extracted: Sequence[Extracted],
    text: str,
    on_topic: TopicTest,
    provenance: Provenance,
    normalize_source: NormalizeSource,
    cues: MetricCues | None = None,
) -> list[ValidatedClaim]:
    """`cues` (the topic's metric words) let the metric check compare a claim with its clause."""
    validated = []
    for item in extracted:
        checks, span = validate_claim(item.claim, text, on_topic, item.anchor, cues)
        validated.append(
            ValidatedClaim(
                claim=item.claim,
                spans=[span] if span is not None else [],
                checks=checks,
                status=ClaimStatus.verified if passed(checks) else ClaimStatus.rejected,
                provenance=provenance,
                source_norm=normalize_source(item.claim.source),
            )
        )
    return merge_repeats(validated)


def _figure(v: ValidatedClaim) -> tuple[object, ...]:
    c = v.claim
    return (v.status, c.metric, c.value, c.low, c.high)


# A merged claim's spans by (start, end) while repeats join it: sorted once at the end, so a
# figure repeated n times costs n, not n² (a long live blog restates its toll hundreds of times).
_Spans = dict[tuple[int, int], Span]


def _absorb(kept: ValidatedClaim, v: ValidatedClaim, spans: _Spans) -> None:
    spans.update(((s.start, s.end), s) for s in v.spans)
    # Prefer the hedged reading when repeats disagree: "some 300" is the honest summary. But
    # only a hedge the text writes: a model's `more_than` on an exact number is not the text's.
    if (
        kept.claim.qualifier.value == "exact"
        and v.claim.qualifier.value != "exact"
        and _hedge_is_written(v)
    ):
        kept.claim = kept.claim.model_copy(update={"qualifier": v.claim.qualifier})


def _hedge_is_written(v: ValidatedClaim) -> bool:
    return any(c.name == "qualifier_matches" and c.passed for c in v.checks)


def merge_repeats(claims: Sequence[ValidatedClaim]) -> list[ValidatedClaim]:
    """One claim per (status, metric, value, range, source) in a document, with all its spans.

    A repeat that credits nobody is the same figure as one a source is credited with: a
    headline ("Quake kills 86") restates the body's "86 killed, the agency said". It joins the
    first credited claim of that figure; the same figure from two named sources stays two.
    """
    Key = tuple[object, ...]
    merged: dict[Key, ValidatedClaim] = {}
    joined: dict[Key, _Spans] = {}  # the spans of each merged claim a repeat joined

    def absorb(key: Key, v: ValidatedClaim) -> None:
        if key not in joined:
            joined[key] = {(s.start, s.end): s for s in merged[key].spans}
        _absorb(merged[key], v, joined[key])

    def sort_spans() -> None:
        for key, spans in joined.items():
            merged[key].spans = sorted(spans.values(), key=lambda s: s.start)

    sources: dict[tuple[object, ...], list[str]] = {}
    for v in claims:
        named = sources.setdefault(_figure(v), [])
        source = _same_source(v.source_norm, named)
        if source is not None and source not in named:
            named.append(source)
        key = (*_figure(v), source)
        if key not in merged:
            merged[key] = v.model_copy(deep=True)
        else:
            absorb(key, v)
    sort_spans()
    credited: dict[Key, Key] = {}
    for key in sorted(merged, key=lambda k: _first_offset(merged[k])):
        if key[-1] is not None:
            credited.setdefault(key[:-1], key)
    for key in [k for k in merged if k[-1] is None and k[:-1] in credited]:
        absorb(credited[key[:-1]], merged.pop(key))
        joined.pop(key, None)
    sort_spans()
    return sorted(merged.values(), key=_first_offset)


# Words that name a body only by its kind: "the police" after "Polish police" is the same one.
_GENERIC = frozenset(
    [
        "police",
        "authorities",
        "officials",
        "government",
        "ministry",
        "military",
        "army",
        "local",
        "state",
        "regional",
        "national",
        "rescuers",
        "rescue",
        "service",
        "services",
    ]
)


def _words(source: str) -> frozenset[str]:
    return frozenset(w for w in source.lower().split() if w not in ("the", "a", "an"))


def _same_source(source: str | None, named: list[str]) -> str | None:
    """The name an earlier claim of the same figure gave the source a later one names more
    vaguely or more fully by its kind alone ("Polish police" ... "the police"), else the
    source itself. "South Korea" and "South Korea NIS" stay two."""
    if source is None:
        return None
    words = _words(source)
    for earlier in named:
        other = _words(earlier)
        vaguer = min(words, other, key=len)
        if words and other and (words <= other or other <= words) and vaguer <= _GENERIC:
            return earlier
    return source


def _first_offset(v: ValidatedClaim) -> int:
    span: Span | None = v.span
    return span.start if span is not None else 1 << 30
