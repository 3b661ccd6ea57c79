"""Score predicted claims against the gold set, and compare two stored scores.

Pure functions over in-memory values: no files, no database, no model. The caller loads gold
(evals/gold.py), reads predictions from the store, passes the topic's source normaliser, and
stores `EvalReport.to_json_dict()`.

Matching (evals/README.md, "How scoring matches"):

- Only articles present in `gold` are scored. An article in `gold` with no claims still counts:
  every verified prediction there is a false positive. Predictions for articles that have no
  gold entry are not scored (there is no truth to score them against) and are listed in
  `EvalReport.unscored_articles`, so a key mismatch between gold and store shows up.
- Only `verified` predictions are scored; `rejected` ones are counted in `n_rejected`.
- A prediction and a gold claim of the same article match when (metric, value, low, high) are
  all equal, with None equal only to None. So a range matches only the same range, and a point
  prediction equal to a range's low end does not match the range: the extractor got the claim
  half right, and counting it as a match would hide that.
- One-to-one and greedy: predictions are taken in the order given; each takes the first still
  unmatched gold claim with the same key, preferring one whose normalised source is equal,
  then one whose qualifier is equal. Greedy can pair sources sub-optimally in contrived cases
  (it never changes how many claims match, only attribution_accuracy); predictions are few
  per key, so this is accepted for a rule a reader can follow by hand.

Figures: precision = matched / verified predictions, recall = matched / gold, F1 their harmonic
mean; attribution and qualifier accuracy are shares of matched pairs. Every ratio whose
denominator is zero is 0.0, not None or NaN, so that empty runs store and compare as numbers.
`grounding_rate` needs the stored checks, which scoring does not see: it is None here and the
caller sets it with `dataclasses.replace(report, grounding_rate=...)`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from evals.gold import GoldClaim
from schemas.claims import Metric

Outcome = Literal["match", "miss", "false_positive"]
SourceNormalizer = Callable[[str | None], str | None]
Key = tuple[str, int, int | None, int | None]

VERIFIED = "verified"
REJECTED = "rejected"

# The figures `compare` reports, in display order; also the eval_runs columns.
HEADLINE_FIGURES: tuple[str, ...] = (
    "n_gold",
    "n_pred",
    "n_matched",
    "precision",
    "recall",
    "f1",
    "attribution_accuracy",
    "qualifier_accuracy",
    "grounding_rate",
    "n_rejected",
)


@dataclass(frozen=True)
class PredictedClaim:
    """A stored claim as scoring needs it. `status` is "verified" or "rejected"."""

    article: str
    metric: str
    value: int
    low: int | None
    high: int | None
    qualifier: str
    source: str | None
    subject: str | None
    quote: str
    status: str


@dataclass(frozen=True)
class MetricScore:
    """Predictions against gold: of one metric, or of all of them (an `EvalReport`)."""

    n_gold: int
    n_pred: int
    n_matched: int
    precision: float
    recall: float
    f1: float


@dataclass(frozen=True)
class EvalItem:
    """One gold claim's fate (match or miss) or one unmatched prediction (false_positive).

    metric/value/low/high/quote come from the gold claim when there is one, otherwise from the
    prediction. source_ok and qualifier_ok are set only for matches.
    """

    article: str
    outcome: Outcome
    metric: str
    value: int
    low: int | None
    high: int | None
    gold: GoldClaim | None
    predicted: PredictedClaim | None
    source_ok: bool | None
    qualifier_ok: bool | None
    quote: str

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "article": self.article,
            "outcome": self.outcome,
            "metric": self.metric,
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "gold": self.gold.model_dump(mode="json") if self.gold is not None else None,
            "predicted": asdict(self.predicted) if self.predicted is not None else None,
            "source_ok": self.source_ok,
            "qualifier_ok": self.qualifier_ok,
            "quote": self.quote,
        }


@dataclass(frozen=True)
class EvalReport(MetricScore):
    """The score over every metric, with how well matched claims are attributed and hedged, the
    score of each metric, and the items behind them."""

    attribution_accuracy: float
    qualifier_accuracy: float
    n_rejected: int
    per_metric: dict[str, MetricScore]
    items: list[EvalItem]
    unscored_articles: list[str] = field(default_factory=list)
    grounding_rate: float | None = None

    def figures(self) -> dict[str, int | float | None]:
        """The headline figures by name, as stored in eval_runs."""
        return {name: getattr(self, name) for name in HEADLINE_FIGURES}

    def to_json_dict(self) -> dict[str, Any]:
        """Plain JSON types only: what `compare` reads back from the store."""
        return {
            **self.figures(),
            "per_metric": {m: asdict(s) for m, s in self.per_metric.items()},
            "unscored_articles": list(self.unscored_articles),
            "items": [item.to_json_dict() for item in self.items],
        }


def score(
    gold: Mapping[str, Sequence[GoldClaim]],
    predicted: Mapping[str, Sequence[PredictedClaim]],
    normalize_source: SourceNormalizer,
) -> EvalReport:
    """Match predictions to gold per article and compute the figures (see module doc)."""
    items: list[EvalItem] = []
    n_rejected = 0
    n_pred = 0
    for article in sorted(gold):
        preds = predicted.get(article, ())
        verified: list[PredictedClaim] = []
        for p in preds:
            if p.status == VERIFIED:
                verified.append(p)
            elif p.status == REJECTED:
                n_rejected += 1
            else:
                raise ValueError(
                    f"{article}: prediction {p.metric} {p.value} has status {p.status!r}; "
                    f"expected {VERIFIED!r} or {REJECTED!r}"
                )
        n_pred += len(verified)
        items.extend(_match_article(article, gold[article], verified, normalize_source))

    matches = [i for i in items if i.outcome == "match"]
    n_gold = sum(len(claims) for claims in gold.values())
    n_matched = len(matches)
    precision, recall, f1 = _prf(n_matched, n_pred, n_gold)
    return EvalReport(
        n_gold=n_gold,
        n_pred=n_pred,
        n_matched=n_matched,
        precision=precision,
        recall=recall,
        f1=f1,
        attribution_accuracy=_ratio(sum(1 for i in matches if i.source_ok), n_matched),
        qualifier_accuracy=_ratio(sum(1 for i in matches if i.qualifier_ok), n_matched),
        n_rejected=n_rejected,
        per_metric=_per_metric(items),
        items=items,
        unscored_articles=sorted(a for a, ps in predicted.items() if a not in gold and ps),
    )


def _match_article(
    article: str,
    gold: Sequence[GoldClaim],
    verified: Sequence[PredictedClaim],
    normalize_source: SourceNormalizer,
) -> list[EvalItem]:
    gold_sources = [normalize_source(g.source) for g in gold]
    partner: dict[int, tuple[PredictedClaim, bool, bool]] = {}  # gold index -> pair
    false_positives: list[PredictedClaim] = []
    for p in verified:
        key = _pred_key(p)
        p_source = normalize_source(p.source)
        best: tuple[bool, bool, int] | None = None
        for gi, g in enumerate(gold):
            if gi in partner or _gold_key(g) != key:
                continue
            # max() over (source_ok, qualifier_ok, -index): agreement first, then gold order.
            cand = (gold_sources[gi] == p_source, g.qualifier.value == p.qualifier, -gi)
            if best is None or cand > best:
                best = cand
        if best is None:
            false_positives.append(p)
        else:
            partner[-best[2]] = (p, best[0], best[1])

    out: list[EvalItem] = []
    for gi, g in enumerate(gold):
        pair = partner.get(gi)
        out.append(
            EvalItem(
                article=article,
                outcome="match" if pair else "miss",
                metric=g.metric.value,
                value=g.value,
                low=g.low,
                high=g.high,
                gold=g,
                predicted=pair[0] if pair else None,
                source_ok=pair[1] if pair else None,
                qualifier_ok=pair[2] if pair else None,
                quote=g.quote,
            )
        )
    for p in false_positives:
        out.append(
            EvalItem(
                article=article,
                outcome="false_positive",
                metric=p.metric,
                value=p.value,
                low=p.low,
                high=p.high,
                gold=None,
                predicted=p,
                source_ok=None,
                qualifier_ok=None,
                quote=p.quote,
            )
        )
    return out


def _gold_key(g: GoldClaim) -> Key:
    return (g.metric.value, g.value, g.low, g.high)


def _pred_key(p: PredictedClaim) -> Key:
    return (p.metric, p.value, p.low, p.high)


def _per_metric(items: Sequence[EvalItem]) -> dict[str, MetricScore]:
    n_gold: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    n_matched: Counter[str] = Counter()
    for i in items:
        if i.outcome != "false_positive":
            n_gold[i.metric] += 1
        if i.outcome != "miss":
            n_pred[i.metric] += 1
        if i.outcome == "match":
            n_matched[i.metric] += 1
    names = sorted(n_gold.keys() | n_pred.keys(), key=_metric_order)
    out: dict[str, MetricScore] = {}
    for m in names:
        p, r, f = _prf(n_matched[m], n_pred[m], n_gold[m])
        out[m] = MetricScore(n_gold[m], n_pred[m], n_matched[m], p, r, f)
    return out


_METRIC_NAMES: tuple[str, ...] = tuple(m.value for m in Metric)


def _metric_order(metric: str) -> tuple[int, str]:
    # Schema order, so reports read the same way every time; a metric a model invented is kept
    # (it is a false positive worth seeing) and goes last.
    known = metric in _METRIC_NAMES
    return (_METRIC_NAMES.index(metric) if known else len(_METRIC_NAMES), metric)


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def _prf(matched: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    precision = _ratio(matched, n_pred)
    recall = _ratio(matched, n_gold)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


# --- Comparing two stored reports ------------------------------------------------------------


@dataclass(frozen=True)
class FigureDelta:
    """One figure in report A and report B; `change` is B - A when both are numbers."""

    name: str
    before: int | float | None
    after: int | float | None

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


@dataclass(frozen=True)
class ItemFlip:
    """A claim whose outcome differs between A and B; None means absent from that report."""

    article: str
    metric: str
    value: int | None
    low: int | None
    high: int | None
    source: str | None  # gold source for gold items, predicted source for false positives
    quote: str | None
    before: Outcome | None
    after: Outcome | None


@dataclass(frozen=True)
class Comparison:
    figures: list[FigureDelta]  # every headline figure, then per-metric F1 as "f1[metric]"
    flips: list[ItemFlip]

    @property
    def changed_figures(self) -> list[FigureDelta]:
        return [f for f in self.figures if f.before != f.after]


def compare(a: Mapping[str, Any], b: Mapping[str, Any]) -> Comparison:
    """Differences from report A to report B, each given as `EvalReport.to_json_dict()` output.

    Missing figures (a report stored before a figure existed) compare as None, not as errors.
    Gold items are paired by (article, metric, value, low, high, gold source, repeat number), so
    a gold claim that went from match to miss is one flip. False positives have no identity
    beyond (article, metric, value, low, high, predicted source), so they are compared as
    counts: each extra one in B is a flip from None to false_positive, each one gone from A a
    flip from false_positive to None.
    """
    figures = [FigureDelta(n, _number(a.get(n)), _number(b.get(n))) for n in HEADLINE_FIGURES]
    metrics_a: Mapping[str, Any] = a.get("per_metric") or {}
    metrics_b: Mapping[str, Any] = b.get("per_metric") or {}
    for m in sorted(metrics_a.keys() | metrics_b.keys(), key=_metric_order):
        before = _number((metrics_a.get(m) or {}).get("f1"))
        after = _number((metrics_b.get(m) or {}).get("f1"))
        figures.append(FigureDelta(f"f1[{m}]", before, after))

    gold_a, fp_a = _index_items(a.get("items") or [])
    gold_b, fp_b = _index_items(b.get("items") or [])
    flips: list[ItemFlip] = []
    for key in sorted(gold_a.keys() | gold_b.keys(), key=_sort_key):
        ia, ib = gold_a.get(key), gold_b.get(key)
        out_a = ia["outcome"] if ia else None
        out_b = ib["outcome"] if ib else None
        if out_a != out_b:
            flips.append(_flip(ib or ia or {}, key, out_a, out_b))
    for key in sorted(fp_a.keys() | fp_b.keys(), key=_sort_key):
        (items_a, items_b) = (fp_a.get(key, []), fp_b.get(key, []))
        for item in items_a[len(items_b) :]:
            flips.append(_flip(item, key, "false_positive", None))
        for item in items_b[len(items_a) :]:
            flips.append(_flip(item, key, None, "false_positive"))
    return Comparison(figures=figures, flips=flips)


def _number(x: object) -> int | float | None:
    # bool is an int subclass; a stored true/false is not a figure.
    return x if isinstance(x, int | float) and not isinstance(x, bool) else None


def _index_items(
    items: Sequence[Mapping[str, Any]],
) -> tuple[dict[tuple[Hashable, ...], Mapping[str, Any]], dict[tuple[Hashable, ...], list[Any]]]:
    gold: dict[tuple[Hashable, ...], Mapping[str, Any]] = {}
    fps: dict[tuple[Hashable, ...], list[Any]] = {}
    for item in items:
        base = tuple(item.get(k) for k in ("article", "metric", "value", "low", "high"))
        if item.get("outcome") == "false_positive":
            key = (*base, (item.get("predicted") or {}).get("source"))
            fps.setdefault(key, []).append(item)
        else:
            key = (*base, (item.get("gold") or {}).get("source"))
            repeat = 0
            while (*key, repeat) in gold:  # rule 10 forbids repeats; stay correct regardless
                repeat += 1
            gold[(*key, repeat)] = item
    return gold, fps


def _sort_key(key: tuple[Hashable, ...]) -> tuple[str, ...]:
    # Keys mix str, int and None; compare their text so sorting never raises.
    return tuple("" if k is None else f"{k:>20}" if isinstance(k, int) else str(k) for k in key)


def _flip(
    item: Mapping[str, Any],
    key: tuple[Hashable, ...],
    before: Outcome | None,
    after: Outcome | None,
) -> ItemFlip:
    article, metric, value, low, high, source = key[:6]
    return ItemFlip(
        article=str(article),
        metric=str(metric),
        value=value if isinstance(value, int) else None,
        low=low if isinstance(low, int) else None,
        high=high if isinstance(high, int) else None,
        source=source if isinstance(source, str) else None,
        quote=item.get("quote"),
        before=before,
        after=after,
    )
