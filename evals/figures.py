"""Figure gold: which claims of a corpus are one figure, which disagree, which add up.

A figure set is a folder with the articles (`articles/` or `articles.jsonl`), optionally the
hand-labelled claims of each article (`claims.json`, or a gold folder elsewhere), and
`figures.json`, the expected figures, conflicts and checks. Documents are named by URL when
they have one, else by file name. Scoring compares what the store built with that file.

With `--labelled` the figures are built from the labelled claims, stored through the store's
own writer: this scores the figure layer alone, offline and without a model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from evals.gold import GoldClaim, load_gold
from pipeline.ingest import InputStatus, iter_inputs
from pipeline.store.db import Database, open_db
from pipeline.store.figures import refresh_figures
from pipeline.store.queries import query
from pipeline.store.writer import (
    ExtractionRecord,
    RunConfig,
    RunCounts,
    RunStatus,
    document_result,
    finish_run,
    start_run,
)
from pipeline.topic import NormalizeSource, load_topic
from schemas.claims import SCHEMA_VERSION, Claim
from schemas.records import ClaimStatus, Document, Provenance, ValidatedClaim

LABELLED = Provenance(
    model="gold",
    strategy="labelled",
    prompt_name="gold",
    prompt_version="1",
    schema_version=SCHEMA_VERSION,
)


class GoldFigure(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str
    subject: str
    source: str
    value: int
    low: int | None = None
    high: int | None = None
    qualifiers: list[str]
    documents: list[str]


class GoldConflict(BaseModel):
    """Two disagreeing figures, in either order; `later` is the value a revision ended at.

    `later` null: not judged (an undated corpus has no order).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    metric: str
    subject: str
    source_a: str
    value_a: str
    source_b: str
    value_b: str
    later: str | None = None


class GoldCheck(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    passed: bool
    document: str
    metric: str
    subject: str
    source: str


class FigureGold(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    figures: list[GoldFigure]
    conflicts: list[GoldConflict]
    checks: list[GoldCheck]


def load_figure_gold(path: Path) -> FigureGold:
    return FigureGold.model_validate_json(path.read_text(encoding="utf-8"))


def document_name(document: Document) -> str:
    return document.url or Path(document.origin).name


def corpus_documents(articles: Path) -> list[Document]:
    """Every readable document of a corpus, in file order."""
    return [
        item.document
        for item in iter_inputs([articles])
        if item.status is InputStatus.ok and item.document is not None
    ]


def labelled_claims(path: Path) -> dict[str, list[GoldClaim]]:
    """Labelled claims per document name: a gold folder (evals/gold), or a claims file
    ({"documents": {name: [claim, ...]}}, claims as in gold files)."""
    if path.is_dir():
        return {name: g.claims for name, g in load_gold(path).items()}
    raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return {
        name: [GoldClaim.model_validate(c) for c in claims]
        for name, claims in raw["documents"].items()
    }


def store_labelled(
    db: Database,
    documents: list[Document],
    claims: dict[str, list[GoldClaim]],
    normalize_source: NormalizeSource,
) -> str:
    """Store each document with its labelled claims as verified, as a run would; returns run id."""
    config = RunConfig(
        model=LABELLED.model,
        strategy=LABELLED.strategy,
        strategy_version="1",
        topic="labelled",
        prompt_name=LABELLED.prompt_name,
        prompt_version=LABELLED.prompt_version,
        schema_version=SCHEMA_VERSION,
    )
    run_id = start_run(db, config, "eval", {"labelled": True})
    counts = RunCounts()
    for document in documents:
        validated = [
            ValidatedClaim(
                claim=Claim.model_validate(c.model_dump()),
                status=ClaimStatus.verified,
                provenance=LABELLED,
                source_norm=normalize_source(c.source),
            )
            for c in claims.get(document_name(document), [])
        ]
        record = ExtractionRecord("done", None, 0, 0, 0.0, input_origin=document.origin)
        _, write = document_result(run_id, document, config, validated, record)
        db.write(write)
        counts.n_documents += 1
        counts.n_claims += len(validated)
    finish_run(db, run_id, RunStatus.finished, counts)
    return run_id


# --------------------------------------------------------------------------------------------
# What the store built, in the gold's terms


def built(db: Database) -> FigureGold:
    """The store's figures, conflicts and checks, with documents named as the gold names them."""
    figures = query(
        db,
        """
        SELECT f.metric, f.subject, f.source, f.value, f.low, f.high, f.qualifiers,
               (SELECT list(DISTINCT coalesce(d.url, parse_filename(d.origin)))
                FROM figure_claims fc JOIN documents d USING (doc_id)
                WHERE fc.figure_id = f.figure_id)
        FROM figures f
        """,
    ).rows
    conflicts = query(
        db,
        "SELECT kind, metric, subject, source_a, value_a, source_b, value_b, "
        "CASE WHEN later_figure_id IS NOT NULL THEN value_b END "
        "FROM conflicts WHERE passed IS NULL",
    ).rows
    checks = query(
        db,
        "SELECT k.name, k.passed, coalesce(d.url, parse_filename(d.origin)), k.metric, "
        "k.subject, k.source FROM figure_checks k JOIN documents d USING (doc_id)",
    ).rows
    return FigureGold(
        figures=[
            GoldFigure(
                metric=m,
                subject=s,
                source=src,
                value=v,
                low=lo,
                high=hi,
                qualifiers=sorted(q),
                documents=sorted(docs),
            )
            for m, s, src, v, lo, hi, q, docs in figures
        ],
        conflicts=[
            GoldConflict(
                kind=k,
                metric=m,
                subject=s,
                source_a=sa,
                value_a=va,
                source_b=sb,
                value_b=vb,
                later=later,
            )
            for k, m, s, sa, va, sb, vb, later in conflicts
        ],
        checks=[
            GoldCheck(name=n, passed=p, document=d, metric=m, subject=s, source=src)
            for n, p, d, m, s, src in checks
        ],
    )


# --------------------------------------------------------------------------------------------
# Scoring


@dataclass(frozen=True)
class PartScore:
    n_gold: int
    n_pred: int
    n_matched: int
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.n_matched / self.n_pred if self.n_pred else 1.0

    @property
    def recall(self) -> float:
        return self.n_matched / self.n_gold if self.n_gold else 1.0


@dataclass(frozen=True)
class FigureScore:
    figures: PartScore  # matched: same key, same qualifiers and the same documents
    figure_keys: PartScore  # matched: same metric, subject, source and number only
    conflicts: PartScore
    checks: PartScore

    @property
    def exact(self) -> bool:
        return all(
            not p.missing and not p.extra for p in (self.figures, self.conflicts, self.checks)
        )

    def to_json_dict(self) -> dict[str, Any]:
        def part(p: PartScore) -> dict[str, Any]:
            return {
                "n_gold": p.n_gold,
                "n_pred": p.n_pred,
                "n_matched": p.n_matched,
                "precision": round(p.precision, 3),
                "recall": round(p.recall, 3),
                "missing": p.missing,
                "extra": p.extra,
            }

        return {
            "exact": self.exact,
            "figures": part(self.figures),
            "figure_keys": part(self.figure_keys),
            "conflicts": part(self.conflicts),
            "checks": part(self.checks),
        }


def _part(gold: list[str], pred: list[str]) -> PartScore:
    g, p = set(gold), set(pred)
    return PartScore(len(g), len(p), len(g & p), sorted(g - p), sorted(p - g))


def _figure_key(f: GoldFigure) -> str:
    number = f"{f.low}-{f.high}" if f.low is not None else str(f.value)
    return f"{f.metric} | {f.subject} | {f.source} | {number}"


def _figure_full(f: GoldFigure) -> str:
    return f"{_figure_key(f)} | {','.join(sorted(f.qualifiers))} | {','.join(sorted(f.documents))}"


def _conflict(c: GoldConflict, judge_later: bool) -> str:
    sides = sorted([f"{c.source_a} {c.value_a}", f"{c.source_b} {c.value_b}"])
    later = f" | later {c.later}" if judge_later else ""
    return f"{c.kind} | {c.metric} | {c.subject} | {sides[0]} | {sides[1]}{later}"


def _conflicts(gold: list[GoldConflict], pred: list[GoldConflict]) -> PartScore:
    # The order of a revision is judged only where the gold gives it.
    judged = {_conflict(c, False) for c in gold if c.later is not None}
    return _part(
        [_conflict(c, c.later is not None) for c in gold],
        [_conflict(c, _conflict(c, False) in judged) for c in pred],
    )


def _check(c: GoldCheck) -> str:
    verdict = "passed" if c.passed else "failed"
    return f"{c.name} {verdict} | {c.document} | {c.metric} | {c.subject} | {c.source}"


def score_figures(gold: FigureGold, pred: FigureGold) -> FigureScore:
    return FigureScore(
        figures=_part(
            [_figure_full(f) for f in gold.figures], [_figure_full(f) for f in pred.figures]
        ),
        figure_keys=_part(
            [_figure_key(f) for f in gold.figures], [_figure_key(f) for f in pred.figures]
        ),
        conflicts=_conflicts(gold.conflicts, pred.conflicts),
        checks=_part([_check(c) for c in gold.checks], [_check(c) for c in pred.checks]),
    )


# --------------------------------------------------------------------------------------------
# A figure set and its eval


class FigureSet(BaseModel):
    """`set.json` of a figure set folder; paths are relative to the folder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    articles: str
    claims: str  # a claims.json file, or a gold folder of one JSON file per article
    topic: str = "ukraine_dprk"


def load_set(folder: Path) -> tuple[FigureSet, Path, Path, FigureGold]:
    """The set's settings, its articles and claims paths, and its gold."""
    spec = FigureSet.model_validate_json((folder / "set.json").read_text(encoding="utf-8"))
    gold = load_figure_gold(folder / "figures.json")
    return spec, folder / spec.articles, folder / spec.claims, gold


def build_labelled(folder: Path) -> Database:
    """An in-memory store holding the set's documents and labelled claims, figures built."""
    spec, articles, claims_path, _ = load_set(folder)
    db = open_db(None)
    normalize = load_topic(spec.topic).source_normalizer()
    store_labelled(db, corpus_documents(articles), labelled_claims(claims_path), normalize)
    refresh_figures(db)
    return db


def copy_run(db_path: Path, run_id: str, config_key: str) -> Database:
    """An in-memory store with only what one run extracted, figures built.

    The eval's store holds other documents too; their figures must not count.
    """
    db = open_db(None)
    literal = str(db_path).replace("'", "''")
    with db.transaction() as con:
        con.execute(f"ATTACH '{literal}' AS src (READ_ONLY)")
        try:
            con.execute(
                "CREATE TEMP TABLE run_docs AS SELECT DISTINCT doc_id FROM src.run_inputs "
                "WHERE run_id = ? AND doc_id IS NOT NULL",
                [run_id],
            )
            con.execute(
                "INSERT INTO documents SELECT * FROM src.documents "
                "WHERE doc_id IN (SELECT doc_id FROM run_docs)"
            )
            con.execute(
                "INSERT INTO extractions SELECT * FROM src.extractions WHERE status = 'done' "
                "AND config_key = ? AND doc_id IN (SELECT doc_id FROM run_docs)",
                [config_key],
            )
            con.execute(
                "INSERT INTO claims SELECT * FROM src.claims "
                "WHERE extraction_id IN (SELECT extraction_id FROM extractions)"
            )
            con.execute("DROP TABLE run_docs")
        finally:
            con.execute("DETACH src")
    refresh_figures(db)
    return db


def score_set(db: Database, folder: Path) -> FigureScore:
    return score_figures(load_set(folder)[3], built(db))


def print_score(console: Console, folder: Path, score: FigureScore, *, as_json: bool) -> None:
    data = score.to_json_dict()
    if as_json:
        console.print_json(json.dumps({"set": str(folder), **data}))
        return
    verdict = "exact" if score.exact else "not exact"
    table = Table(title=f"Figures of {escape(str(folder))}: {verdict}")
    for col in ("part", "gold", "built", "matched", "P", "R"):
        table.add_column(col, justify="right" if col != "part" else "left")
    for name in ("figures", "figure_keys", "conflicts", "checks"):
        p = data[name]
        table.add_row(
            name,
            *(str(p[k]) for k in ("n_gold", "n_pred", "n_matched")),
            f"{p['precision']:.3f}",
            f"{p['recall']:.3f}",
        )
    console.print(table)
    for name in ("figures", "conflicts", "checks"):
        for outcome in ("missing", "extra"):
            for line in data[name][outcome]:
                console.print(f"{outcome} {name[:-1]}: {escape(line)}")
