"""Cross-document figures: grouping rules, the SQL build, conflicts, sum checks, views and CLI."""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from evals.figures import build_labelled, built, load_set, score_set
from pipeline import cli
from pipeline.figures import (
    UNATTRIBUTED,
    UNSPECIFIED,
    ClaimRow,
    claim_bounds,
    conflict_kind,
    group_claims,
    normalize_subject,
)
from pipeline.ingest import document_from_text
from pipeline.metadata import DocumentMeta
from pipeline.store.db import Database, open_db
from pipeline.store.figures import FigureFilter, list_conflicts, list_figures, refresh_figures
from pipeline.store.queries import query
from pipeline.store.writer import ExtractionRecord, RunConfig, document_result, start_run
from schemas.claims import Claim
from schemas.records import ClaimStatus, Provenance, ValidatedClaim

ROOT = Path(__file__).resolve().parent.parent
NK = "North Korean troops"
DAY = datetime(2025, 1, 13, 9, 0)

# --------------------------------------------------------------------------------------------
# Helpers: claims stored through the store's own writer, as a run stores them


@dataclass(frozen=True)
class C:
    metric: str
    value: int
    qualifier: str = "exact"
    source: str | None = "South Korea NIS"
    subject: str | None = NK
    low: int | None = None
    high: int | None = None
    time_reference: str | None = None


PROVENANCE = Provenance(
    model="test", strategy="test", prompt_name="t", prompt_version="1", schema_version="2"
)
CONFIG = RunConfig("test", "test", "1", "t", "t", "1", "2")


def add_document(
    db: Database,
    text: str,
    claims: list[C],
    *,
    day: int = 0,
    outlet: str | None = None,
    url: str | None = None,
    supersede: bool = False,
) -> str:
    """Store one document and its verified claims; returns the doc id."""
    meta = DocumentMeta(published_at=DAY + timedelta(days=day), outlet=outlet, url=url)
    document = document_from_text(text, f"{text[:10]}.txt", meta=meta)
    run_id = start_run(db, CONFIG, "run", {})
    validated = [
        ValidatedClaim(
            claim=Claim(
                metric=c.metric,  # type: ignore[arg-type]
                value=c.value,
                low=c.low,
                high=c.high,
                qualifier=c.qualifier,  # type: ignore[arg-type]
                subject=c.subject or "",
                source=c.source,
                time_reference=c.time_reference,
                quote=text,
            ),
            status=ClaimStatus.verified,
            provenance=PROVENANCE,
            source_norm=c.source,
        )
        for c in claims
    ]
    record = ExtractionRecord("done", None, 0, 0, 0.0, supersede=supersede)
    _, write = document_result(run_id, document, CONFIG, validated, record)
    db.write(write)
    return document.doc_id


def figures(db: Database) -> set[tuple[Any, ...]]:
    return {
        tuple(tuple(v) if isinstance(v, list) else v for v in r)
        for r in query(
            db,
            "SELECT metric, subject, source, figure_text(value, low, high), qualifiers, "
            "n_documents, n_outlets FROM figures",
        ).rows
    }


def conflicts(db: Database) -> set[tuple[Any, ...]]:
    return set(
        query(
            db,
            "SELECT kind, metric, source_a, value_a, source_b, value_b, later_figure_id IS NOT NULL"
            " FROM conflicts WHERE passed IS NULL",
        ).rows
    )


def checks(db: Database) -> set[tuple[Any, ...]]:
    return set(query(db, "SELECT name, passed, source, detail FROM figure_checks").rows)


# --------------------------------------------------------------------------------------------
# Pure rules


@pytest.mark.parametrize(
    "subject",
    [
        "North Korean troops",
        "north korean soldiers",
        "Pyongyang's troops",
        "Pyongyang’s soldiers",
        "the North Korean forces",
        "North Korea's troops",
        "DPRK soldiers",
        "some North Korean servicemen",
    ],
)
def test_subject_variants_normalise_to_one(subject: str) -> None:
    assert normalize_subject(subject) == "north korean troops"


def test_different_subjects_stay_apart() -> None:
    names = ["North Korean troops", "Russian troops", "Ukrainian civilians", "KN-23 missiles"]
    normalised = [normalize_subject(n) for n in names]
    assert normalised == ["north korean troops", "russian troops", "ukrainian civilians",
                          "kn-23 missiles"]  # fmt: skip
    assert normalize_subject(None) == UNSPECIFIED
    assert normalize_subject("  ") == UNSPECIFIED


def test_claim_bounds_follow_the_hedge() -> None:
    assert claim_bounds(300, None, None, "exact") == (300, 300)
    assert claim_bounds(3000, None, None, "about") == pytest.approx((2700, 3300))
    assert claim_bounds(300, None, None, "at_least") == (300, float("inf"))
    assert claim_bounds(300, None, None, "more_than") == (300, float("inf"))
    assert claim_bounds(300, None, None, "up_to") == (0, 300)
    assert claim_bounds(10000, 10000, 12000, "exact") == (10000, 12000)
    assert claim_bounds(10000, 10000, 12000, "about") == pytest.approx((9000, 13200))


def row(i: int, metric: str, value: int, qualifier: str = "exact", **kw: Any) -> ClaimRow:
    fields: dict[str, Any] = {
        "claim_id": f"c{i}",
        "doc_id": f"d{kw.pop('doc', i)}",
        "metric": metric,
        "value": value,
        "low": None,
        "high": None,
        "qualifier": qualifier,
        "subject": NK,
        "source_norm": "South Korea NIS",
        "seen_at": DAY + timedelta(days=kw.pop("day", 0)),
    }
    fields.update(kw)
    return ClaimRow(**fields)


def test_hedge_variants_of_one_number_are_one_figure() -> None:
    rows = [
        row(1, "killed", 300),
        row(2, "killed", 300, "at_least"),
        row(3, "killed", 300, "about"),
    ]
    (figure,) = group_claims(rows)
    assert figure.qualifiers == ("about", "at_least", "exact")
    assert figure.doc_ids == ("d1", "d2", "d3")
    assert figure.bounds == (270, float("inf"))


def test_rounding_about_3000_and_3000_merge_but_2950_does_not() -> None:
    rows = [row(1, "killed_or_wounded", 3000, "about"), row(2, "killed_or_wounded", 3000)]
    assert len(group_claims(rows)) == 1
    rounded, precise = sorted(
        group_claims(
            [
                row(1, "killed_or_wounded", 3000, "about"),
                row(2, "killed_or_wounded", 2950, source_norm="Ukraine"),
            ]
        ),
        key=lambda f: -f.key.value,
    )
    assert (rounded.key.value, precise.key.value) == (3000, 2950)
    # Two figures that can both be true: a discrepancy, never a contradiction.
    assert conflict_kind(rounded, precise) == "discrepancy"
    far = group_claims([row(3, "killed_or_wounded", 3500, source_norm="Ukraine")])[0]
    assert conflict_kind(rounded, far) == "contradiction"


def test_ranges_group_by_their_bounds() -> None:
    rows = [
        row(1, "deployed", 10000, low=10000, high=12000),
        row(2, "deployed", 10000, "about", low=10000, high=12000),
        row(3, "deployed", 10000),  # a point at the range's low end is another figure
    ]
    figures_ = group_claims(rows)
    assert {(f.key.low, f.key.high, len(f.claim_ids)) for f in figures_} == {
        (None, None, 1),
        (10000, 12000, 2),
    }


def test_different_subjects_sources_and_metrics_do_not_merge() -> None:
    rows = [
        row(1, "killed", 300),
        row(2, "killed", 300, subject="Russian troops"),
        row(3, "killed", 300, source_norm="Ukraine"),
        row(4, "wounded", 300),
        row(5, "killed", 300, source_norm=None),
    ]
    keys = {(f.key.subject, f.key.source, f.key.metric) for f in group_claims(rows)}
    assert keys == {
        ("north korean troops", "South Korea NIS", "killed"),
        ("russian troops", "South Korea NIS", "killed"),
        ("north korean troops", "Ukraine", "killed"),
        ("north korean troops", "South Korea NIS", "wounded"),
        ("north korean troops", UNATTRIBUTED, "killed"),
    }


def test_conflict_kinds() -> None:
    def one(*rows: ClaimRow) -> Any:
        (figure,) = group_claims(rows)
        return figure

    nis_300 = one(row(1, "killed", 300))
    nis_100 = one(row(2, "killed", 100, "at_least", day=-30))
    kyiv_4000 = one(row(3, "killed", 4000, source_norm="Ukraine"))
    kyiv_about_320 = one(row(4, "killed", 320, "about", source_norm="Ukraine"))
    kyiv_300_more = one(row(5, "killed", 300, "more_than", source_norm="Ukraine"))
    kyiv_300 = one(row(6, "killed", 300, source_norm="Ukraine"))
    assert conflict_kind(nis_100, nis_300) == "revision"
    assert conflict_kind(nis_300, kyiv_4000) == "contradiction"
    assert conflict_kind(nis_300, kyiv_about_320) == "discrepancy"
    assert conflict_kind(nis_300, kyiv_300_more) == "discrepancy"  # same number, other hedge
    assert conflict_kind(nis_300, kyiv_300) is None  # agreement
    assert conflict_kind(nis_300, one(row(7, "wounded", 4000))) is None  # another metric


# --------------------------------------------------------------------------------------------
# The SQL build


def test_build_groups_across_documents_with_hedges_and_outlets(db: Database) -> None:
    add_document(db, "a", [C("killed", 300), C("wounded", 2700)], outlet="Yonhap")
    add_document(db, "b", [C("killed", 300, "at_least")], day=1, outlet="Reuters")
    add_document(db, "c", [C("killed", 300, "about", subject="Pyongyang's soldiers")], day=2)
    add_document(db, "d", [C("killed", 300, subject="Russian troops")], day=2, outlet="AP")
    stats = refresh_figures(db)
    assert (stats.n_new_extractions, stats.n_figures) == (4, 3)
    assert figures(db) == {
        ("killed", "north korean troops", "South Korea NIS", "300",
         ("about", "at_least", "exact"), 3, 2),
        ("wounded", "north korean troops", "South Korea NIS", "2,700", ("exact",), 1, 1),
        ("killed", "russian troops", "South Korea NIS", "300", ("exact",), 1, 1),
    }  # fmt: skip
    first, last = query(db, "SELECT first_seen, last_seen FROM figures WHERE n_documents = 3").rows[
        0
    ]
    assert (first, last) == (DAY, DAY + timedelta(days=2))


def test_a_claim_is_dated_by_its_text_else_by_its_document(db: Database) -> None:
    # Published Jan. 13, 2025 (DAY).
    add_document(
        db,
        "a",
        [
            C("killed", 300, time_reference="on Jan. 10"),
            C("killed", 100, time_reference="Dec. 30"),  # last year's December
            C("wounded", 2700, time_reference="last week"),  # not one day: the document's
            C("missing", 3, time_reference="2024-11-05"),
        ],
    )
    refresh_figures(db)
    seen = dict(query(db, "SELECT value, first_seen FROM figures").rows)
    assert seen == {
        300: datetime(2025, 1, 10),
        100: datetime(2024, 12, 30),
        2700: DAY,
        3: datetime(2024, 11, 5),
    }
    assert query(db, "SELECT count(*) FROM time_refs").rows == [(4,)]


def test_incremental_rebuild_touches_only_new_figures_and_equals_a_full_one(db: Database) -> None:
    add_document(db, "a", [C("killed", 300), C("wounded", 2700)])
    refresh_figures(db)
    add_document(db, "b", [C("killed", 300, "at_least"), C("missing", 3)], day=1)
    stats = refresh_figures(db)
    assert (stats.n_new_extractions, stats.n_figures_rebuilt, stats.n_figures) == (1, 2, 3)
    incremental = figures(db)
    assert ("killed", "north korean troops", "South Korea NIS", "300", ("at_least", "exact"),
            2, 0) in incremental  # fmt: skip
    assert refresh_figures(db).n_figures_rebuilt == 0  # nothing new: nothing done
    refresh_figures(db, full=True)
    assert figures(db) == incremental


def test_a_superseded_extraction_leaves_its_figures(db: Database) -> None:
    add_document(db, "a", [C("killed", 300)])
    add_document(db, "b", [C("killed", 300)])
    refresh_figures(db)
    # "b" re-extracted (e.g. --force) now finds 400 instead.
    add_document(db, "b", [C("killed", 400)], supersede=True)
    stats = refresh_figures(db)
    assert (stats.n_new_extractions, stats.n_gone_extractions) == (1, 1)
    assert {(f[3], f[5]) for f in figures(db)} == {("300", 1), ("400", 1)}
    assert query(db, "SELECT count(*) FROM figure_claims").rows[0][0] == 2


def test_sql_build_agrees_with_the_pure_grouping(db: Database) -> None:
    rng = random.Random(12)
    subjects = [NK, "north korean soldiers", "Russian troops", None]
    sources = ["South Korea NIS", "Ukraine", None]
    expected: list[ClaimRow] = []
    for d in range(30):
        claims = []
        for _ in range(rng.randint(0, 4)):
            value = rng.choice([100, 300, 3000])
            ranged = rng.random() < 0.2
            c = C(
                rng.choice(["killed", "wounded"]),
                value,
                rng.choice(["exact", "about", "at_least", "up_to"]),
                rng.choice(sources),
                rng.choice(subjects),
                value if ranged else None,
                value * 2 if ranged else None,
            )
            claims.append(c)
        doc_id = add_document(db, f"doc {d}", claims, day=d % 5, outlet=rng.choice(["X", None]))
        expected += [
            ClaimRow(
                f"{doc_id}-{i}",
                doc_id,
                c.metric,
                c.value,
                c.low,
                c.high,
                c.qualifier,
                c.subject or None,
                c.source,
                DAY,
            )
            for i, c in enumerate(claims)
        ]
    refresh_figures(db)
    stored = {
        r[0]: r[1:]
        for r in query(
            db,
            "SELECT figure_id, qualifiers, n_claims, n_documents, bound_low, bound_high "
            "FROM figures",
        ).rows
    }
    pure = {
        f.figure_id: (list(f.qualifiers), len(f.claim_ids), len(f.doc_ids), *f.bounds)
        for f in group_claims(expected)
    }
    assert stored == pure


# --------------------------------------------------------------------------------------------
# Conflicts, checks and views


def test_conflicts_revision_contradiction_discrepancy(db: Database) -> None:
    add_document(db, "a", [C("killed", 100, "at_least")], day=0)
    add_document(db, "b", [C("killed", 300)], day=5)  # NIS revises upward: a timeline
    add_document(db, "c", [C("killed", 4000, source="Ukraine")], day=6)
    add_document(db, "d", [C("killed", 300, "more_than", source="Pentagon")], day=6)
    refresh_figures(db)
    assert conflicts(db) == {
        ("revision", "killed", "South Korea NIS", "100", "South Korea NIS", "300", True),
        ("contradiction", "killed", "South Korea NIS", "300", "Ukraine", "4,000", False),
        ("discrepancy", "killed", "South Korea NIS", "300", "Pentagon", "300", False),
        ("discrepancy", "killed", "Pentagon", "300", "Ukraine", "4,000", False),
        # Not compared: the NIS's 100 was revised (day 5) before Kyiv or the Pentagon spoke.
    }
    later = query(
        db,
        "SELECT f.value FROM conflicts c JOIN figures f ON f.figure_id = c.later_figure_id",
    ).rows
    assert later == [(300,)]
    timeline = query(
        db,
        "SELECT step, value, change FROM figure_timeline WHERE source = 'South Korea NIS' "
        "ORDER BY step",
    ).rows
    assert timeline == [(1, 100, None), (2, 300, 200)]


def test_conservative_estimate_takes_each_sources_latest_and_the_lowest(db: Database) -> None:
    add_document(db, "a", [C("killed", 100)], day=0, url="https://a.example/1")
    add_document(db, "b", [C("killed", 300)], day=5, url="https://b.example/2")
    add_document(db, "c", [C("killed", 4000, source="Ukraine")], day=1)
    add_document(db, "d", [C("killed", 250, "about", source="ISW")], day=2, url="https://d/3")
    refresh_figures(db)
    latest = query(db, "SELECT source, value FROM source_latest_figures ORDER BY source").rows
    assert latest == [("ISW", 250), ("South Korea NIS", 300), ("Ukraine", 4000)]
    ((source, value, documents, estimates),) = query(
        db, "SELECT source, value, documents, estimates FROM conservative_figures"
    ).rows
    assert (source, value, documents) == ("ISW", 250, ["https://d/3"])
    assert sorted(estimates) == ["ISW: 250", "South Korea NIS: 300", "Ukraine: 4,000"]


def test_sum_check_passes_when_killed_and_wounded_add_up(db: Database) -> None:
    add_document(db, "a", [C("killed", 300), C("wounded", 2700), C("killed_or_wounded", 3000)])
    refresh_figures(db)
    assert checks(db) == {
        ("sum_check", True, "South Korea NIS",
         "300 killed + 2,700 wounded = 3,000; 3,000 killed_or_wounded stated"),
    }  # fmt: skip
    shown = query(db, "SELECT kind, passed, doc_id IS NOT NULL FROM conflicts").rows
    assert shown == [("sum_check", True, True)]


def test_sum_check_allows_the_hedge_of_a_rounded_total(db: Database) -> None:
    add_document(db, "a", [C("killed", 310), C("wounded", 2700), C("killed_or_wounded", 3000,
                                                                     "about")])  # fmt: skip
    refresh_figures(db)
    assert [c[:2] for c in checks(db)] == [("sum_check", True)]


def test_failed_checks_sum_subtotal_and_range(db: Database) -> None:
    add_document(
        db,
        "a",
        [
            C("killed", 300),
            C("wounded", 2700),
            C("killed_or_wounded", 4000),
            C("deployed", 10000, low=10000, high=12000),
            C("deployed", 15000),
        ],
    )
    add_document(db, "b", [C("wounded", 5000), C("killed_or_wounded", 4000)])
    # Another source's total in the same document is not checked against the NIS's parts.
    add_document(db, "c", [C("killed", 1), C("wounded", 1), C("killed_or_wounded", 9, source="X")])
    refresh_figures(db)
    assert checks(db) == {
        ("sum_check", False, "South Korea NIS",
         "300 killed + 2,700 wounded = 3,000; 4,000 killed_or_wounded stated"),
        ("range_excludes_point", False, "South Korea NIS",
         "15,000 deployed is outside the range 10,000–12,000 given for it"),
        ("subtotal_exceeds_total", False, "South Korea NIS",
         "5,000 wounded is more than the 4,000 killed_or_wounded it is part of"),
    }  # fmt: skip


def test_checks_of_a_re_extracted_document_are_replaced(db: Database) -> None:
    add_document(db, "a", [C("killed", 300), C("wounded", 2700), C("killed_or_wounded", 4000)])
    refresh_figures(db)
    assert [c[1] for c in checks(db)] == [False]
    add_document(
        db,
        "a",
        [C("killed", 300), C("wounded", 2700), C("killed_or_wounded", 3000)],
        supersede=True,
    )
    refresh_figures(db)
    assert [c[1] for c in checks(db)] == [True]


def test_filters(db: Database) -> None:
    add_document(db, "a", [C("killed", 300), C("wounded", 2700, source="Ukraine GUR")])
    add_document(db, "b", [C("killed", 4000, source="Ukraine")])
    refresh_figures(db)

    def values(f: FigureFilter) -> list[int]:
        result = list_figures(db, f)
        return sorted(r[result.columns.index("value")] for r in result.rows)

    assert values(FigureFilter()) == [300, 2700, 4000]
    assert values(FigureFilter(metric="killed")) == [300, 4000]
    assert values(FigureFilter(source="ukraine")) == [2700, 4000]
    assert values(FigureFilter(subject="Pyongyang's soldiers")) == [300, 2700, 4000]
    assert values(FigureFilter(subject="Russian")) == []
    result = list_conflicts(db, FigureFilter(source="ukraine"))
    assert [r[0] for r in result.rows] == ["contradiction"]


# --------------------------------------------------------------------------------------------
# Figure sets: the gold of expected figures


@pytest.mark.parametrize("name", ["wire", "articles"])
def test_figure_set_scores_its_gold_exactly_from_labelled_claims(name: str) -> None:
    folder = ROOT / "evals" / "figures" / name
    store = build_labelled(folder)
    try:
        score = score_set(store, folder)
    finally:
        store.close()
    assert score.exact, score.to_json_dict()
    assert score.figures.n_gold == score.figures.n_matched > 0


def test_wire_corpus_shows_revision_contradiction_outlets_and_sums() -> None:
    folder = ROOT / "evals" / "figures" / "wire"
    store = build_labelled(folder)
    try:
        gold = built(store)
        n_outlets = dict(
            query(
                store,
                "SELECT figure_text(value, low, high), n_outlets FROM figures "
                "WHERE metric = 'deployed'",
            ).rows
        )
    finally:
        store.close()
    kinds = sorted(c.kind for c in gold.conflicts)
    assert kinds == ["contradiction", "contradiction", "revision", "revision", "revision"]
    assert {c.later for c in gold.conflicts if c.kind == "revision"} == {"320", "700", "1,020"}
    assert n_outlets == {"11,000": 3}  # Harbor Wire twice
    assert all(c.passed for c in gold.checks) and len(gold.checks) == 2


def test_wire_corpus_quotes_are_in_the_text_and_articles_carry_metadata() -> None:
    folder = ROOT / "evals" / "figures" / "wire"
    _, articles, claims_path, _ = load_set(folder)
    from evals.figures import corpus_documents, labelled_claims

    documents = corpus_documents(articles)
    assert len(documents) == 6
    assert len({d.outlet for d in documents}) == 5
    assert all(d.published_at and d.url and d.title for d in documents)
    claims = labelled_claims(claims_path)
    for document in documents:
        assert document.url is not None
        for claim in claims[document.url]:
            assert claim.quote in document.text


# --------------------------------------------------------------------------------------------
# CLI


@pytest.fixture
def store_path(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "store.duckdb"
    db = open_db(path)
    try:
        add_document(db, "a", [C("killed", 300), C("wounded", 2700), C("killed_or_wounded", 3000)],
                     outlet="Yonhap")  # fmt: skip
        add_document(db, "b", [C("killed", 300, "about")], day=1, outlet="Reuters")
        add_document(db, "c", [C("killed_or_wounded", 4000, source="Ukraine")], day=2)
        add_document(db, "d", [C("missing", 7, source="[b]x[/b]")], day=2)
    finally:
        db.close()
    yield path


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli.app, list(args), env={"COLUMNS": "200"})


def test_cli_figures_table_builds_and_shows_hedges_docs_and_outlets(store_path: Path) -> None:
    result = invoke("figures", "--db", str(store_path))
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if "│ 300 " in x)
    assert "South Korea NIS" in line and "about, exact" in line
    assert "│    2 │" in line and "2: Reuters, Yonhap" in line
    assert "2025-01-13 09:00" in line and "2025-01-14 09:00" in line
    # Data is escaped, not read as rich markup.
    assert "[b]x[/b]" in result.stdout


def test_cli_figures_csv_and_json_with_filters(store_path: Path) -> None:
    result = invoke("figures", "--db", str(store_path), "--metric", "killed", "-f", "csv",
                    "--source", "nis", "--subject", "north korean")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["value"], r["n_documents"], r["qualifiers"]) for r in rows] == [
        ("300", "2", "['about', 'exact']")
    ]
    result = invoke("figures", "--db", str(store_path), "-f", "json")
    data = json.loads(result.stdout)
    assert sorted(r["value"] for r in data) == [7, 300, 2700, 3000, 4000]
    rebuilt = invoke("figures", "--db", str(store_path), "-f", "json", "--rebuild")
    assert json.loads(rebuilt.stdout) == data


def test_cli_figures_conflicts_show_disagreements_and_sum_checks(store_path: Path) -> None:
    result = invoke("figures", "--conflicts", "--db", str(store_path), "-f", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    got = {(r["kind"], r["passed"], r["detail"]) for r in data}
    assert got == {
        ("sum_check", True, "300 killed + 2,700 wounded = 3,000; 3,000 killed_or_wounded stated"),
        ("contradiction", None, "South Korea NIS says 3,000, Ukraine says 4,000"),
    }
    table = invoke("figures", "--conflicts", "--db", str(store_path))
    assert "passed" in table.stdout and "contradiction" in table.stdout


def test_cli_figures_errors(tmp_path: Path, store_path: Path) -> None:
    missing = invoke("figures", "--db", str(tmp_path / "none.duckdb"))
    assert missing.exit_code == 2 and "no database" in missing.stderr
    assert not (tmp_path / "none.duckdb").exists()
    bad = invoke("figures", "--db", str(store_path), "--metric", "dead")
    assert bad.exit_code == 2 and "unknown --metric" in bad.stderr


def test_cli_export_figures_and_conflicts(store_path: Path, tmp_path: Path) -> None:
    assert invoke("figures", "--db", str(store_path)).exit_code == 0
    out = tmp_path / "figures.jsonl"
    result = invoke("export", str(out), "-f", "jsonl", "--table", "figures", "--db",
                    str(store_path))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "wrote 5 figures rows" in result.stderr
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert {r["value"] for r in rows} == {7, 300, 2700, 3000, 4000}
    out = tmp_path / "conflicts.csv"
    assert invoke("export", str(out), "-f", "csv", "-t", "conflicts", "--db",
                  str(store_path)).exit_code == 0  # fmt: skip
    assert len(list(csv.DictReader(out.open()))) == 2
    bad = invoke("export", str(out), "-t", "nope", "--db", str(store_path))
    assert bad.exit_code == 2


def test_cli_eval_figures_labelled_is_exact() -> None:
    result = invoke("eval", "--figures", str(ROOT / "evals" / "figures" / "wire"), "--labelled",
                    "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["exact"] is True
    assert data["conflicts"]["n_matched"] == 5


def test_run_rebuilds_figures_at_its_end(tmp_path: Path) -> None:
    from pipeline.backends.fake import FakeBackend, echo_responder
    from pipeline.run import BatchRunner, RunOptions

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "SEOUL, Jan. 13 (Yonhap) -- The spy agency said 300 North Korean troops were killed "
        "in Kursk.\n"
    )
    db = open_db(tmp_path / "s.duckdb")
    try:
        summary = BatchRunner(db, FakeBackend(echo_responder), RunOptions()).run([folder])
        assert summary.figures is not None and summary.figures.n_new_extractions == 1
        rows = query(db, "SELECT value, outlets FROM figures").rows
        assert rows == [(300, ["Yonhap"])]
    finally:
        db.close()
