"""Scoring against gold: matching rules, figures, and comparing two stored reports."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import astuple
from typing import Any

import pytest

from evals.gold import GoldClaim
from evals.scoring import (
    HEADLINE_FIGURES,
    EvalReport,
    MetricScore,
    PredictedClaim,
    compare,
    score,
)
from schemas.claims import Metric, Qualifier

A = "000_a.txt"
B = "001_b.txt"

# A stand-in for the topic alias table, so these tests do not depend on its contents.
_ALIASES = {"NIS": "South Korea NIS", "Seoul": "South Korea", "Kyiv": "Ukraine"}


def norm(name: str | None) -> str | None:
    if name is None or name.strip().lower() in {"", "null"}:
        return None
    return _ALIASES.get(name, name)


def gold(
    metric: str = "killed",
    value: int = 300,
    low: int | None = None,
    high: int | None = None,
    qualifier: str = "exact",
    source: str | None = "South Korea NIS",
    quote: str = "gold quote",
) -> GoldClaim:
    return GoldClaim(
        quote=quote,
        metric=Metric(metric),
        value=value,
        low=low,
        high=high,
        qualifier=Qualifier(qualifier),
        subject="North Korean troops",
        source=source,
        location=None,
    )


def pred(
    metric: str = "killed",
    value: int = 300,
    low: int | None = None,
    high: int | None = None,
    qualifier: str = "exact",
    source: str | None = "NIS",
    status: str = "verified",
    article: str = A,
    quote: str = "predicted quote",
) -> PredictedClaim:
    return PredictedClaim(
        article=article,
        metric=metric,
        value=value,
        low=low,
        high=high,
        qualifier=qualifier,
        source=source,
        subject="North Korean troops",
        quote=quote,
        status=status,
    )


def outcomes(report: EvalReport) -> list[tuple[str, str, int]]:
    return [(i.article, i.outcome, i.value) for i in report.items]


# --- Matching -------------------------------------------------------------------------------


def test_equal_metric_and_value_match() -> None:
    r = score({A: [gold()]}, {A: [pred()]}, norm)
    assert (r.n_gold, r.n_pred, r.n_matched) == (1, 1, 1)
    assert (r.precision, r.recall, r.f1) == (1.0, 1.0, 1.0)
    [item] = r.items
    assert item.outcome == "match"
    assert item.source_ok is True  # "NIS" and "South Korea NIS" normalise alike
    assert item.qualifier_ok is True
    assert item.quote == "gold quote"
    assert item.gold == gold()
    assert item.predicted == pred()


@pytest.mark.parametrize(
    "p",
    [
        pred(metric="wounded"),
        pred(value=301),
        pred(metric="other"),
    ],
)
def test_different_metric_or_value_do_not_match(p: PredictedClaim) -> None:
    r = score({A: [gold()]}, {A: [p]}, norm)
    assert r.n_matched == 0
    assert [i.outcome for i in r.items] == ["miss", "false_positive"]
    fp = r.items[1]
    assert (fp.metric, fp.value, fp.quote, fp.gold) == (p.metric, p.value, "predicted quote", None)


def test_source_and_qualifier_do_not_decide_a_match() -> None:
    p = pred(source="Kyiv", qualifier="about")
    r = score({A: [gold()]}, {A: [p]}, norm)
    assert r.n_matched == 1
    assert (r.items[0].source_ok, r.items[0].qualifier_ok) == (False, False)


def test_claims_only_match_within_their_article() -> None:
    r = score({A: [gold()], B: []}, {B: [pred(article=B)]}, norm)
    assert r.n_matched == 0
    assert outcomes(r) == [(A, "miss", 300), (B, "false_positive", 300)]


def gold_range() -> GoldClaim:
    return gold(metric="deployed", value=10000, low=10000, high=12000)


def pred_range() -> PredictedClaim:
    return pred(metric="deployed", value=10000, low=10000, high=12000)


def test_equal_range_matches() -> None:
    r = score({A: [gold_range()]}, {A: [pred_range()]}, norm)
    assert r.n_matched == 1
    assert (r.items[0].low, r.items[0].high) == (10000, 12000)


@pytest.mark.parametrize(
    "p",
    [
        pred(metric="deployed", value=10000),  # the low end alone, no range
        pred(metric="deployed", value=10000, low=10000, high=13000),  # another upper bound
        pred(metric="deployed", value=12000, low=10000, high=12000),  # value is not the low end
    ],
)
def test_range_needs_equal_bounds(p: PredictedClaim) -> None:
    r = score({A: [gold_range()]}, {A: [p]}, norm)
    assert r.n_matched == 0
    assert r.n_pred == 1


def test_range_prediction_does_not_match_point_gold() -> None:
    r = score({A: [gold(metric="deployed", value=10000)]}, {A: [pred_range()]}, norm)
    assert r.n_matched == 0


# --- Greedy one-to-one ----------------------------------------------------------------------


def test_each_gold_matches_at_most_once() -> None:
    r = score({A: [gold()]}, {A: [pred(), pred(), pred()]}, norm)
    assert (r.n_matched, r.n_pred) == (1, 3)
    assert [i.outcome for i in r.items] == ["match", "false_positive", "false_positive"]
    assert r.precision == pytest.approx(1 / 3)
    assert r.recall == 1.0
    assert r.f1 == pytest.approx(0.5)


def test_duplicate_gold_keys_prefer_equal_source() -> None:
    # The same figure from two sources is two gold claims (README rule 10).
    nis = gold(source="South Korea NIS", qualifier="exact")
    seoul = gold(source="South Korea", qualifier="at_least")
    # In prediction order: the Seoul one first, although the NIS gold comes first.
    preds = [pred(source="Seoul", qualifier="at_least"), pred(source="NIS")]
    r = score({A: [nis, seoul]}, {A: preds}, norm)
    assert r.n_matched == 2
    by_gold_source = {i.gold.source: i for i in r.items if i.gold is not None}
    assert by_gold_source["South Korea"].predicted == preds[0]
    assert by_gold_source["South Korea NIS"].predicted == preds[1]
    assert r.attribution_accuracy == 1.0
    assert r.qualifier_accuracy == 1.0


def test_source_preference_beats_qualifier_preference() -> None:
    g1 = gold(source="South Korea NIS", qualifier="exact")
    g2 = gold(source="Ukraine", qualifier="about")
    p = pred(source="NIS", qualifier="about")
    r = score({A: [g1, g2]}, {A: [p]}, norm)
    [matched] = [i for i in r.items if i.outcome == "match"]
    assert matched.gold == g1
    assert (matched.source_ok, matched.qualifier_ok) == (True, False)


def test_qualifier_breaks_the_tie_when_no_source_agrees() -> None:
    g1 = gold(source="South Korea NIS", qualifier="exact")
    g2 = gold(source="Ukraine", qualifier="about")
    p = pred(source="Pentagon", qualifier="about")
    r = score({A: [g1, g2]}, {A: [p]}, norm)
    [matched] = [i for i in r.items if i.outcome == "match"]
    assert matched.gold == g2


def test_gold_order_breaks_remaining_ties() -> None:
    g1 = gold(source="South Korea NIS", quote="first")
    g2 = gold(source="Ukraine", quote="second")
    r = score({A: [g1, g2]}, {A: [pred(source=None)]}, norm)
    [matched] = [i for i in r.items if i.outcome == "match"]
    assert matched.quote == "first"
    assert matched.source_ok is False


def test_items_list_gold_in_order_then_false_positives() -> None:
    golds = [gold(value=1), gold(value=2), gold(value=3)]
    preds = [pred(value=9), pred(value=3), pred(value=1)]
    r = score({A: golds}, {A: preds}, norm)
    assert outcomes(r) == [
        (A, "match", 1),
        (A, "miss", 2),
        (A, "match", 3),
        (A, "false_positive", 9),
    ]


# --- Figures --------------------------------------------------------------------------------


def test_per_metric_scores() -> None:
    golds = [
        gold("killed", 300),
        gold("wounded", 2700),
        gold("deployed", 11000),
        gold("deployed", 12000),
    ]
    preds = [
        pred("killed", 300),
        pred("killed", 100),
        pred("deployed", 11000),
        pred("captured", 2),
    ]
    r = score({A: golds}, {A: preds}, norm)
    assert list(r.per_metric) == ["killed", "wounded", "captured", "deployed"]  # schema order
    assert astuple(r.per_metric["killed"]) == pytest.approx((1, 2, 1, 0.5, 1.0, 2 / 3))
    assert r.per_metric["wounded"] == MetricScore(1, 0, 0, 0.0, 0.0, 0.0)
    assert r.per_metric["captured"] == MetricScore(0, 1, 0, 0.0, 0.0, 0.0)
    assert astuple(r.per_metric["deployed"]) == pytest.approx((2, 1, 1, 1.0, 0.5, 2 / 3))
    assert (r.n_gold, r.n_pred, r.n_matched) == (4, 4, 2)
    assert (r.precision, r.recall, r.f1) == (0.5, 0.5, 0.5)


def test_unknown_predicted_metric_is_kept_last() -> None:
    r = score({A: [gold()]}, {A: [pred(), pred(metric="shells")]}, norm)
    assert list(r.per_metric) == ["killed", "shells"]
    assert r.per_metric["shells"].n_pred == 1


def test_attribution_and_qualifier_accuracy_over_matches_only() -> None:
    golds = [
        gold(value=1, source="South Korea NIS", qualifier="exact"),
        gold(value=2, source="Ukraine", qualifier="about"),
        gold(value=3, source=None, qualifier="at_least"),
        gold(value=4, source="ISW", qualifier="exact"),
        gold(value=5, source="ISW"),  # missed: must not count in either accuracy
    ]
    preds = [
        pred(value=1, source="NIS", qualifier="exact"),  # source ok, qualifier ok
        pred(value=2, source="Kyiv", qualifier="exact"),  # source ok, qualifier wrong
        pred(value=3, source="null", qualifier="at_least"),  # both None: ok; qualifier ok
        pred(value=4, source="Pentagon", qualifier="about"),  # both wrong
        pred(value=99, source="ISW"),  # false positive: must not count either
    ]
    r = score({A: golds}, {A: preds}, norm)
    assert r.n_matched == 4
    assert r.attribution_accuracy == 0.75
    assert r.qualifier_accuracy == 0.5
    assert [i.source_ok for i in r.items] == [True, True, True, False, None, None]


def test_rejected_predictions_are_counted_not_scored() -> None:
    r = score(
        {A: [gold()]},
        {A: [pred(status="rejected"), pred(value=5, status="rejected")]},
        norm,
    )
    assert (r.n_pred, r.n_matched, r.n_rejected) == (0, 0, 2)
    assert outcomes(r) == [(A, "miss", 300)]  # a rejected claim neither matches nor is an FP


def test_rejected_prediction_does_not_use_up_a_gold_claim() -> None:
    r = score({A: [gold()]}, {A: [pred(status="rejected"), pred()]}, norm)
    assert (r.n_pred, r.n_matched, r.n_rejected) == (1, 1, 1)


def test_unexpected_status_is_an_error() -> None:
    with pytest.raises(ValueError, match="'pending'"):
        score({A: [gold()]}, {A: [pred(status="pending")]}, norm)


def test_empty_inputs_give_zeros() -> None:
    r = score({}, {}, norm)
    assert r.figures() == {
        "n_gold": 0,
        "n_pred": 0,
        "n_matched": 0,
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "attribution_accuracy": 0.0,
        "qualifier_accuracy": 0.0,
        "grounding_rate": None,
        "n_rejected": 0,
    }
    assert (r.items, r.per_metric, r.unscored_articles) == ([], {}, [])


def test_no_predictions_gives_zero_precision_not_an_error() -> None:
    r = score({A: [gold()]}, {}, norm)
    assert (r.precision, r.recall, r.f1) == (0.0, 0.0, 0.0)
    assert outcomes(r) == [(A, "miss", 300)]


def test_article_with_empty_gold_makes_predictions_false_positives() -> None:
    r = score({A: []}, {A: [pred()]}, norm)
    assert (r.n_gold, r.n_pred, r.n_matched) == (0, 1, 0)
    assert outcomes(r) == [(A, "false_positive", 300)]


def test_predictions_for_articles_without_gold_are_not_scored_but_listed() -> None:
    r = score({A: [gold()]}, {A: [pred()], B: [pred(article=B)], "empty.txt": []}, norm)
    assert (r.n_pred, r.n_matched) == (1, 1)
    assert r.unscored_articles == [B]


def test_report_json_is_plain_and_grounding_rate_is_settable() -> None:
    r = score({A: [gold(), gold(value=7)]}, {A: [pred(), pred(value=8)]}, norm)
    assert r.grounding_rate is None
    r = dataclasses.replace(r, grounding_rate=0.9)
    d = r.to_json_dict()
    assert json.loads(json.dumps(d)) == d  # only JSON types inside
    assert set(HEADLINE_FIGURES) <= d.keys()
    assert d["grounding_rate"] == 0.9
    assert d["per_metric"]["killed"]["n_matched"] == 1
    match = d["items"][0]
    assert match["outcome"] == "match"
    assert match["gold"]["metric"] == "killed"
    assert match["gold"]["qualifier"] == "exact"
    assert match["predicted"]["source"] == "NIS"
    assert d["items"][2]["gold"] is None


# --- compare --------------------------------------------------------------------------------


def _stored(report: EvalReport) -> dict[str, Any]:
    # What comes back from the store: the JSON, not the objects.
    loaded: dict[str, Any] = json.loads(json.dumps(report.to_json_dict()))
    return loaded


GOLDS = {A: [gold(value=1), gold(value=2, source="Ukraine")], B: [gold(value=3)]}


def test_compare_reports_figure_changes_and_flips() -> None:
    before = score(GOLDS, {A: [pred(value=1), pred(value=50)], B: [pred(value=3, article=B)]}, norm)
    after = score(
        GOLDS,
        {A: [pred(value=1), pred(value=2, source="Kyiv")], B: [pred(value=60, article=B)]},
        norm,
    )
    c = compare(_stored(before), _stored(after))

    figures = {f.name: f for f in c.figures}
    assert [f.name for f in c.figures[: len(HEADLINE_FIGURES)]] == list(HEADLINE_FIGURES)
    assert (figures["n_matched"].before, figures["n_matched"].after) == (2, 2)
    assert figures["n_matched"].change == 0
    assert figures["grounding_rate"].change is None
    assert figures["f1[killed]"].before == pytest.approx(2 / 3)
    assert "n_matched" not in {f.name for f in c.changed_figures}

    flips = {(f.article, f.value, f.before, f.after) for f in c.flips}
    assert flips == {
        (A, 2, "miss", "match"),  # fixed
        (B, 3, "match", "miss"),  # regressed
        (A, 50, "false_positive", None),  # false positive gone
        (B, 60, None, "false_positive"),  # new false positive
    }
    fixed = next(f for f in c.flips if f.value == 2)
    assert (fixed.metric, fixed.source, fixed.quote) == ("killed", "Ukraine", "gold quote")


def test_compare_identical_reports_has_no_changes() -> None:
    r = _stored(score(GOLDS, {A: [pred(value=1), pred(value=1), pred(value=9)]}, norm))
    c = compare(r, r)
    assert c.flips == []
    assert c.changed_figures == []
    assert all(f.change == 0 for f in c.figures if f.change is not None)


def test_compare_counts_repeated_false_positives() -> None:
    one = _stored(score({A: []}, {A: [pred()]}, norm))
    three = _stored(score({A: []}, {A: [pred(), pred(), pred()]}, norm))
    c = compare(one, three)
    assert [(f.before, f.after) for f in c.flips] == [(None, "false_positive")] * 2
    assert {f.name: f.change for f in c.figures}["n_pred"] == 2


def test_compare_tolerates_older_reports_missing_figures() -> None:
    new = _stored(score(GOLDS, {A: [pred(value=1)]}, norm))
    old = {k: v for k, v in new.items() if k not in {"grounding_rate", "per_metric", "items"}}
    c = compare(old, new)
    figures = {f.name: f for f in c.figures}
    assert figures["grounding_rate"].before is None
    assert figures["f1"].change == 0
    # Every gold item of the new report is new relative to an item-less old one.
    assert sorted((f.value, f.before, f.after) for f in c.flips) == [
        (1, None, "match"),
        (2, None, "miss"),
        (3, None, "miss"),
    ]


def test_compare_empty_reports() -> None:
    c = compare({}, {})
    assert c.flips == []
    assert [f.name for f in c.figures] == list(HEADLINE_FIGURES)
    assert all(f.before is None and f.after is None for f in c.figures)
