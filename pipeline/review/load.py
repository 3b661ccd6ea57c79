"""Reading what the review shows from the store: runs, documents with their current claims,
the checks and model calls behind each claim, and cross-document figures where they exist.

Which extraction of a document is shown: with a run, the one of that run's configuration;
without, the newest that is not superseded. One extraction per document, so no number is
claimed twice on a page.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pipeline.review.calls import ClaimCall, LoggedCall, calls_for_claim, passage_of
from pipeline.store.db import Database
from pipeline.store.queries import query
from pipeline.store.writer import ExtractionStatus
from schemas.records import ClaimStatus


class UnknownRunError(LookupError):
    """The run asked for is not in the database."""


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class ClaimView:
    claim_id: str
    doc_id: str
    run_id: str
    idx: int
    status: str
    metric: str
    value: int
    low: int | None
    high: int | None
    qualifier: str
    subject: str | None
    source: str | None
    source_norm: str | None
    location: str | None
    time_reference: str | None
    quote: str
    spans: tuple[tuple[int, int], ...]
    reasons: tuple[str, ...]
    model: str
    strategy: str
    prompt_name: str
    prompt_version: str
    schema_version: str
    checks: tuple[Check, ...]
    calls: tuple[ClaimCall, ...]


@dataclass(frozen=True)
class RecordedConfig:
    """The configuration a run and an extraction record (writer.RunConfig.recorded's columns).

    A base of both views, so the two cannot drift and a run's configuration can be matched
    against an extraction's in one place.
    """

    model: str
    strategy: str
    topic: str
    prompt_name: str
    prompt_version: str
    schema_version: str

    @property
    def configuration(self) -> tuple[str, str, str, str, str, str]:
        return (
            self.model,
            self.strategy,
            self.topic,
            self.prompt_name,
            self.prompt_version,
            self.schema_version,
        )


@dataclass(frozen=True)
class Extraction(RecordedConfig):
    extraction_id: str
    run_id: str
    status: str
    error: str | None
    n_model_calls: int
    n_cached_calls: int
    seconds: float | None
    finished_at: datetime | None


@dataclass(frozen=True)
class DocumentView:
    doc_id: str
    origin: str
    title: str | None
    text: str
    warnings: tuple[str, ...]
    when: datetime | None  # published, else ingested
    extraction: Extraction | None
    claims: tuple[ClaimView, ...]

    @property
    def n_verified(self) -> int:
        return sum(1 for c in self.claims if c.status == ClaimStatus.verified)

    @property
    def n_rejected(self) -> int:
        return sum(1 for c in self.claims if c.status == ClaimStatus.rejected)

    @property
    def problems(self) -> tuple[str, ...]:
        """What went wrong reading or extracting it (not rejected claims: those are counted)."""
        out = list(self.warnings)
        if self.extraction is None:
            out.append("never extracted")
        elif self.extraction.status == ExtractionStatus.failed:
            out.append(f"extraction failed: {self.extraction.error or 'no message'}")
        return tuple(out)


@dataclass(frozen=True)
class RunView(RecordedConfig):
    run_id: str
    started_at: datetime | None
    finished_at: datetime | None
    status: str
    command: str
    n_documents: int
    n_skipped: int
    n_failed: int
    n_claims: int
    n_rejected: int
    n_model_calls: int
    n_cached_calls: int


@dataclass(frozen=True)
class FigureReport:
    doc_id: str
    title: str
    when: datetime | None
    value: int
    low: int | None
    high: int | None


@dataclass(frozen=True)
class FigureView:
    figure_id: str
    metric: str
    subject: str | None
    source: str | None
    value: int | None
    low: int | None
    high: int | None
    qualifiers: str
    n_documents: int | None
    n_outlets: int | None
    first_seen: datetime | None
    last_seen: datetime | None
    reports: tuple[FigureReport, ...]


@dataclass(frozen=True)
class ReviewData:
    runs: tuple[RunView, ...]
    documents: tuple[DocumentView, ...]
    figures: tuple[FigureView, ...] | None  # None: this database has no figures table
    run_id: str | None  # the run the review is limited to, if any


def _dicts(db: Database, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    result = query(db, sql, params)
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def _fields(cls: type, row: dict[str, Any]) -> dict[str, Any]:
    names = cls.__dataclass_fields__  # type: ignore[attr-defined]
    return {k: v for k, v in row.items() if k in names}


_RUN_COLUMNS = (
    "run_id, started_at, finished_at, status, command, model, strategy, topic, prompt_name, "
    "prompt_version, schema_version, coalesce(n_documents, 0) AS n_documents, "
    "coalesce(n_skipped, 0) AS n_skipped, coalesce(n_failed, 0) AS n_failed, "
    "coalesce(n_claims, 0) AS n_claims, coalesce(n_rejected, 0) AS n_rejected, "
    "coalesce(n_model_calls, 0) AS n_model_calls, coalesce(n_cached_calls, 0) AS n_cached_calls"
)
_EXTRACTION_COLUMNS = (
    "e.extraction_id, e.doc_id, e.run_id, e.status, e.error, e.model, e.strategy, e.topic, "
    "e.prompt_name, e.prompt_version, e.schema_version, e.n_model_calls, e.n_cached_calls, "
    "e.seconds, e.finished_at"
)


def load_runs(db: Database) -> tuple[RunView, ...]:
    rows = _dicts(db, f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY started_at DESC")
    return tuple(RunView(**row) for row in rows)


def _current_extractions(db: Database, run: RunView | None) -> dict[str, Extraction]:
    """doc_id -> the extraction to show (see the module's docstring)."""
    if run is None:
        rows = _dicts(
            db,
            f"SELECT {_EXTRACTION_COLUMNS} FROM extractions e WHERE e.status <> 'superseded' "
            "QUALIFY row_number() OVER (PARTITION BY e.doc_id "
            "ORDER BY e.finished_at DESC, e.extraction_id) = 1",
        )
    else:
        # A run that skipped a document (done earlier) shows that earlier extraction of the
        # same configuration; one that extracted it shows its own.
        rows = _dicts(
            db,
            f"""
            SELECT {_EXTRACTION_COLUMNS} FROM extractions e
            WHERE e.status <> 'superseded'
              AND e.doc_id IN (
                  SELECT doc_id FROM run_inputs WHERE run_id = ? AND doc_id IS NOT NULL
                  UNION SELECT doc_id FROM extractions WHERE run_id = ?)
              AND (e.run_id = ? OR (e.model, e.strategy, e.topic, e.prompt_name,
                                    e.prompt_version, e.schema_version)
                                 = (?, ?, ?, ?, ?, ?))
            QUALIFY row_number() OVER (PARTITION BY e.doc_id
                    ORDER BY (e.run_id = ?) DESC, e.finished_at DESC, e.extraction_id) = 1
            """,
            [run.run_id, run.run_id, run.run_id, *run.configuration, run.run_id],
        )
    return {row["doc_id"]: Extraction(**_fields(Extraction, row)) for row in rows}


def _spans(raw: Any, start: int | None, end: int | None) -> tuple[tuple[int, int], ...]:
    value = json.loads(raw) if isinstance(raw, str) else raw
    spans = []
    if isinstance(value, list):
        for s in value:
            if isinstance(s, dict) and isinstance(s.get("start"), int):
                spans.append((int(s["start"]), int(s["end"])))
    if not spans and start is not None and end is not None:
        spans.append((start, end))
    return tuple(spans)


def _logged_calls(db: Database) -> list[LoggedCall]:
    rows = _dicts(
        db,
        "SELECT call_id, request_hash, attempt, status, model, prompt_name, prompt_version, "
        "prompt_tokens, completion_tokens, latency_ms, run_id, created_at, error, messages "
        "FROM llm_calls ORDER BY created_at, attempt",
    )
    return [
        LoggedCall(**_fields(LoggedCall, row), passage=passage_of(row["messages"])) for row in rows
    ]


def _claims(
    db: Database, extractions: dict[str, Extraction], texts: dict[str, str]
) -> dict[str, list[ClaimView]]:
    ids = [e.extraction_id for e in extractions.values()]
    if not ids:
        return {}
    rows = _dicts(
        db,
        "SELECT * FROM claims WHERE list_contains(?, extraction_id) ORDER BY doc_id, idx",
        [ids],
    )
    checks: dict[str, list[Check]] = defaultdict(list)
    for row in _dicts(
        db,
        "SELECT k.claim_id, k.name, k.passed, k.detail FROM checks k "
        "JOIN claims c USING (claim_id) WHERE list_contains(?, c.extraction_id)",
        [ids],
    ):
        checks[row["claim_id"]].append(Check(row["name"], bool(row["passed"]), row["detail"] or ""))
    # Grouped once by what a claim's calls must share, so each claim scans only its own kind.
    logged: dict[tuple[str, str | None, str | None], list[LoggedCall]] = defaultdict(list)
    for call in _logged_calls(db):
        logged[(call.model, call.prompt_name, call.prompt_version)].append(call)
    out: dict[str, list[ClaimView]] = defaultdict(list)
    for row in rows:
        spans = _spans(row["spans"], row["span_start"], row["span_end"])
        text = texts.get(row["doc_id"], "")
        needles = [row["quote"], *(text[s:e] for s, e in spans)]
        calls = calls_for_claim(
            needles,
            model=row["model"],
            prompt_name=row["prompt_name"],
            prompt_version=row["prompt_version"],
            run_id=row["run_id"],
            calls=logged.get((row["model"], row["prompt_name"], row["prompt_version"]), []),
        )
        view = ClaimView(
            **_fields(ClaimView, row)
            | {
                "spans": spans,
                "reasons": tuple(row["reasons"] or ()),
                "checks": tuple(checks.get(row["claim_id"], ())),
                "calls": calls,
            }
        )
        out[row["doc_id"]].append(view)
    return out


def load_documents(db: Database, run: RunView | None) -> tuple[DocumentView, ...]:
    extractions = _current_extractions(db, run)
    if run is None:
        rows = _dicts(
            db,
            "SELECT doc_id, origin, title, text, warnings, "
            'coalesce(published_at, ingested_at) AS "when" FROM documents ORDER BY origin',
        )
    else:
        rows = _dicts(
            db,
            "SELECT doc_id, origin, title, text, warnings, "
            'coalesce(published_at, ingested_at) AS "when" FROM documents '
            "WHERE list_contains(?, doc_id) ORDER BY origin",
            [list(extractions)],
        )
    claims = _claims(db, extractions, {r["doc_id"]: r["text"] for r in rows})
    return tuple(
        DocumentView(
            doc_id=r["doc_id"],
            origin=r["origin"],
            title=r["title"],
            text=r["text"],
            warnings=tuple(r["warnings"] or ()),
            when=r["when"],
            extraction=extractions.get(r["doc_id"]),
            claims=tuple(claims.get(r["doc_id"], ())),
        )
        for r in rows
    )


def _tables(db: Database) -> dict[str, set[str]]:
    rows = query(
        db,
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema()",
    ).rows
    tables: dict[str, set[str]] = defaultdict(set)
    for table, column in rows:
        tables[str(table)].add(str(column))
    return tables


FIGURE_COLUMNS = (
    "figure_id",
    "metric",
    "subject",
    "source",
    "value",
    "low",
    "high",
    "qualifiers",
    "n_documents",
    "n_outlets",
    "first_seen",
    "last_seen",
)


def load_figures(db: Database) -> tuple[FigureView, ...] | None:
    """The `figures` table (migration 3, issue 12) with the documents reporting each figure.

    None when the database has no such table. Its link table is found by its columns
    (figure_id, claim_id), not its name, and without one the figures are listed without links.
    """
    tables = _tables(db)
    if "figures" not in tables or not set(FIGURE_COLUMNS) <= tables["figures"]:
        return None
    links = sorted(
        t for t, cols in tables.items() if t != "figures" and {"figure_id", "claim_id"} <= cols
    )
    figures = _dicts(
        db, f"SELECT {', '.join(FIGURE_COLUMNS)} FROM figures ORDER BY metric, subject, source"
    )
    reports: dict[str, list[FigureReport]] = defaultdict(list)
    if links:
        for row in _dicts(
            db,
            f"""
            SELECT l.figure_id, c.doc_id, coalesce(d.title, d.origin) AS title,
                   coalesce(d.published_at, d.ingested_at) AS "when", c.value, c.low, c.high
            FROM "{links[0]}" l JOIN claims c USING (claim_id)
            JOIN documents d ON d.doc_id = c.doc_id
            ORDER BY "when", d.origin
            """,
        ):
            reports[str(row["figure_id"])].append(FigureReport(**_fields(FigureReport, row)))
    return tuple(
        FigureView(
            **_fields(FigureView, f)
            | {
                "figure_id": str(f["figure_id"]),
                "qualifiers": _text(f["qualifiers"]),
                "reports": tuple(reports.get(str(f["figure_id"]), ())),
            }
        )
        for f in figures
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def load_review(db: Database, run_id: str | None = None) -> ReviewData:
    runs = load_runs(db)
    run = None
    if run_id is not None:
        run = next((r for r in runs if r.run_id == run_id), None)
        if run is None:
            raise UnknownRunError(f"no run {run_id!r} in this database")
    return ReviewData(
        runs=runs,
        documents=load_documents(db, run),
        figures=load_figures(db),
        run_id=run_id,
    )
