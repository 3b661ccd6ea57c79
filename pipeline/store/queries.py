"""Reads for users: ad-hoc SQL, the facts of a run, and export of facts with provenance."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.store.db import Database

EXPORT_FORMATS = ("parquet", "csv", "jsonl")
_SUFFIX_FORMATS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}


def format_for_path(path: Path) -> str:
    """The export format a file name asks for; parquet when its suffix says nothing."""
    return _SUFFIX_FORMATS.get(path.suffix.lower(), "parquet")


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]


def query(db: Database, sql: str, params: list[Any] | None = None) -> QueryResult:
    with db.lock:
        cursor = db.con.execute(sql, params or [])
        if cursor is None:  # DuckDB's answer to a statement of only comments
            return QueryResult([], [])
        columns = [d[0] for d in cursor.description] if cursor.description else []
        rows = cursor.fetchall() if cursor.description else []
    return QueryResult(columns, rows)


def facts_of_run(db: Database, run_id: str, config_key: str) -> QueryResult:
    """Verified claims of every document this run touched, including ones done earlier.

    Only the run's own configuration counts: an older strategy version's extraction of the
    same document would list its figures twice.
    """
    return query(
        db,
        """
        SELECT d.origin, c.metric, c.value, c.low, c.high, c.qualifier, c.subject,
               c.source_norm AS source, c.quote
        FROM claims c
        JOIN extractions e USING (extraction_id)
        JOIN documents d ON d.doc_id = c.doc_id
        WHERE c.status = 'verified' AND e.status = 'done' AND e.config_key = ?
          AND c.doc_id IN (SELECT doc_id FROM run_inputs WHERE run_id = ? AND doc_id IS NOT NULL)
        ORDER BY d.origin, c.span_start
        """,
        [config_key, run_id],
    )


# What `export` can write, each in a stable order.
EXPORT_TABLES: dict[str, str] = {
    "facts": "origin, span_start",
    "figures": "metric, subject, source, first_seen, figure_id",
    "figure_claims": "figure_id, seen_at, claim_id",
    "conflicts": "kind, metric, subject, seen_a, seen_b",
}


def export_table(db: Database, path: Path, fmt: str, table: str) -> int:
    """Write one of EXPORT_TABLES; returns the row count."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    if table not in EXPORT_TABLES:
        raise ValueError(f"cannot export {table!r}; choose one of {', '.join(EXPORT_TABLES)}")
    options = {"parquet": "FORMAT parquet", "csv": "FORMAT csv, HEADER", "jsonl": "FORMAT json"}
    path.parent.mkdir(parents=True, exist_ok=True)
    literal = str(path).replace("'", "''")
    with db.lock:
        db.con.execute(
            f"COPY (SELECT * FROM {table} ORDER BY {EXPORT_TABLES[table]}) TO '{literal}' "
            f"({options[fmt]})"
        )
        row = db.con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0
