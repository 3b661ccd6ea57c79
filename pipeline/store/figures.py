"""Build the `figures` tables from the stored claims: in full, or only what new extractions touch.

The rules are pipeline/figures.py's; this module applies them to the whole store in set-based
SQL. Subjects and time references are read in Python, only the distinct new ones (a few hundred
per million claims), kept in `subject_norms` and `time_refs`. A claim's time is the day its time
reference names ("on Jan. 13"), else its document's date, else when the document was ingested.

Incremental: `figure_extractions` lists the extractions already folded in. A rebuild takes the
extractions that became `done` since (new) and those that no longer are (superseded), and
recomputes only the figures their claims belong to and the checks of their documents.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import duckdb

from pipeline.figures import (
    ROUNDING_TOLERANCE,
    SUM_PARTS,
    SUM_TOTAL,
    UNATTRIBUTED,
    UNSPECIFIED,
    normalize_subject,
)
from pipeline.metadata import reference_date
from pipeline.store.db import Database, insert_rows
from pipeline.store.queries import QueryResult, query

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildStats:
    n_new_extractions: int
    n_gone_extractions: int
    n_figures_rebuilt: int
    n_figures: int
    seconds: float


# Float literals typed DOUBLE, so SQL computes the same bounds as pipeline.figures.claim_bounds
# (a bare 0.9 would be a DECIMAL).
_ABOUT_LOW = f"{1 - ROUNDING_TOLERANCE!r}::DOUBLE"
_ABOUT_HIGH = f"{1 + ROUNDING_TOLERANCE!r}::DOUBLE"

_FIGURE_CLAIM_ROWS = f"""
    WITH c AS (
        SELECT c.claim_id, c.extraction_id, c.doc_id, c.metric, c.value, c.low, c.high,
               c.qualifier,
               coalesce(sn.subject_norm, '{UNSPECIFIED}') AS subject,
               coalesce(nullif(c.source_norm, ''), '{UNATTRIBUTED}') AS source,
               c.low IS NOT NULL AND c.high IS NOT NULL AS is_range,
               d.outlet, coalesce(d.published_at, d.ingested_at) AS doc_time,
               tr.year, tr.month, tr.day
        FROM claims c
        JOIN new_extractions n USING (extraction_id)
        JOIN documents d ON d.doc_id = c.doc_id
        LEFT JOIN subject_norms sn ON sn.subject = c.subject
        LEFT JOIN time_refs tr ON tr.time_reference = c.time_reference
        WHERE c.status = 'verified'
    )
    SELECT left(md5(concat_ws('|', metric, subject, source, value::VARCHAR,
                              coalesce(low::VARCHAR, ''), coalesce(high::VARCHAR, ''))), 16)
             AS figure_id,
           claim_id, extraction_id, doc_id, metric, subject, source, value, low, high, qualifier,
           CASE WHEN qualifier = 'about'
                  THEN (CASE WHEN is_range THEN low ELSE value END)::DOUBLE * {_ABOUT_LOW}
                WHEN qualifier = 'up_to' THEN 0::DOUBLE
                ELSE (CASE WHEN is_range THEN low ELSE value END)::DOUBLE END AS bound_low,
           CASE WHEN qualifier = 'about'
                  THEN (CASE WHEN is_range THEN high ELSE value END)::DOUBLE * {_ABOUT_HIGH}
                WHEN qualifier IN ('at_least', 'more_than') THEN 'infinity'::DOUBLE
                ELSE (CASE WHEN is_range THEN high ELSE value END)::DOUBLE END AS bound_high,
           outlet,
           -- "Jan. 13" without a year is the latest Jan. 13 not after the document's date.
           coalesce(
               try(make_timestamp(
                   coalesce(year, year(doc_time)
                            - CASE WHEN (month, day) > (month(doc_time), day(doc_time))
                                   THEN 1 ELSE 0 END),
                   month, day, 0, 0, 0)),
               doc_time) AS seen_at
    FROM c
"""


def _figure_rows(where: str = "") -> str:
    # list_distinct(list(x)) rather than list(DISTINCT x): half the time over a million claims
    # (bench/figures.py), and it drops NULL outlets on the way.
    return f"""
    SELECT figure_id, metric, subject, source, value, low, high, qualifiers, n_claims,
           n_documents, len(outlets), outlets, first_seen, last_seen, bound_low, bound_high
    FROM (
        SELECT figure_id, any_value(metric) AS metric, any_value(subject) AS subject,
               any_value(source) AS source, any_value(value) AS value, any_value(low) AS low,
               any_value(high) AS high,
               list_sort(list_distinct(list(qualifier))) AS qualifiers, count(*) AS n_claims,
               count(DISTINCT doc_id) AS n_documents,
               list_sort(list_distinct(list(outlet))) AS outlets,
               min(seen_at) AS first_seen, max(seen_at) AS last_seen,
               min(bound_low) AS bound_low, max(bound_high) AS bound_high
        FROM figure_claims {where}
        GROUP BY figure_id
    )
    """


# One row per figure per document of the documents to check: the unit the arithmetic is about.
_DOC_FIGURES = """
    CREATE TEMP TABLE doc_figures AS
    SELECT doc_id, figure_id, metric, subject, source, value, low, high,
           min(bound_low) AS bl, max(bound_high) AS bh
    FROM figure_claims
    WHERE doc_id IN (SELECT doc_id FROM check_docs)
    GROUP BY ALL
"""

_PART_A, _PART_B = SUM_PARTS
_CHECK_ROWS = f"""
    SELECT a.doc_id, 'sum_check', a.bl + b.bl <= t.bh AND t.bl <= a.bh + b.bh,
           '{SUM_TOTAL}', a.subject, a.source, [a.figure_id, b.figure_id, t.figure_id],
           format('{{}} {_PART_A} + {{}} {_PART_B} = {{:,}}; {{}} {SUM_TOTAL} stated',
                  figure_text(a.value, a.low, a.high), figure_text(b.value, b.low, b.high),
                  a.value + b.value, figure_text(t.value, t.low, t.high))
    FROM doc_figures a
    JOIN doc_figures b ON b.doc_id = a.doc_id AND b.source = a.source
                      AND b.subject = a.subject AND b.metric = '{_PART_B}'
    JOIN doc_figures t ON t.doc_id = a.doc_id AND t.source = a.source
                      AND t.subject = a.subject AND t.metric = '{SUM_TOTAL}'
    WHERE a.metric = '{_PART_A}' AND a.low IS NULL AND b.low IS NULL AND t.low IS NULL
    UNION ALL
    SELECT p.doc_id, 'subtotal_exceeds_total', false, p.metric, p.subject, p.source,
           [p.figure_id, t.figure_id],
           format('{{}} {{}} is more than the {{}} {SUM_TOTAL} it is part of',
                  figure_text(p.value, p.low, p.high), p.metric,
                  figure_text(t.value, t.low, t.high))
    FROM doc_figures p
    JOIN doc_figures t ON t.doc_id = p.doc_id AND t.source = p.source
                      AND t.subject = p.subject AND t.metric = '{SUM_TOTAL}'
    WHERE p.metric IN ('{_PART_A}', '{_PART_B}') AND p.bl > t.bh
    UNION ALL
    SELECT p.doc_id, 'range_excludes_point', false, p.metric, p.subject, p.source,
           [r.figure_id, p.figure_id],
           format('{{}} {{}} is outside the range {{}} given for it',
                  figure_text(p.value, p.low, p.high), p.metric,
                  figure_text(r.value, r.low, r.high))
    FROM doc_figures p
    JOIN doc_figures r ON r.doc_id = p.doc_id AND r.source = p.source
                      AND r.subject = p.subject AND r.metric = p.metric AND r.low IS NOT NULL
    WHERE p.low IS NULL AND p.value NOT BETWEEN r.low AND r.high
"""


def refresh_figures(db: Database, *, full: bool = False) -> BuildStats:
    """Bring the figure tables up to date with the done extractions; `full` rebuilds all."""
    started = time.perf_counter()
    with db.transaction() as con:
        stats = _refresh(con, full)
    seconds = time.perf_counter() - started
    log.info(
        "figures: %d new and %d superseded extractions, %d figures rebuilt, %d in all (%.2f s)",
        stats[0],
        stats[1],
        stats[2],
        stats[3],
        seconds,
    )
    return BuildStats(*stats, seconds=seconds)


def _refresh(con: duckdb.DuckDBPyConnection, full: bool) -> tuple[int, int, int, int]:
    if full:
        # subject_norms too: the rules may have changed since they were filled.
        for table in (
            "figures",
            "figure_claims",
            "figure_extractions",
            "figure_checks",
            "subject_norms",
            "time_refs",
        ):
            con.execute(f"DELETE FROM {table}")
    _temp(
        con,
        "new_extractions",
        "SELECT e.extraction_id, e.doc_id FROM extractions e "
        "WHERE e.status = 'done' AND NOT EXISTS "
        "(SELECT 1 FROM figure_extractions f WHERE f.extraction_id = e.extraction_id)",
    )
    _temp(
        con,
        "gone_extractions",
        "SELECT f.extraction_id, f.doc_id FROM figure_extractions f "
        "WHERE NOT EXISTS (SELECT 1 FROM extractions e "
        "WHERE e.extraction_id = f.extraction_id AND e.status = 'done')",
    )
    n_new = _count(con, "new_extractions")
    n_gone = _count(con, "gone_extractions")
    if n_new == 0 and n_gone == 0:
        _drop(con, "new_extractions", "gone_extractions")
        return 0, 0, 0, _count(con, "figures")

    _add_subjects(con)
    _add_time_refs(con)
    if full:
        con.execute(f"INSERT INTO figure_claims {_FIGURE_CLAIM_ROWS}")
        con.execute(f"INSERT INTO figures {_figure_rows()}")
        n_rebuilt = _count(con, "figures")
    else:
        # Figures that lose claims, then those that gain some: only these are regrouped.
        _temp(
            con,
            "touched_figures",
            "SELECT DISTINCT figure_id FROM figure_claims "
            "WHERE extraction_id IN (SELECT extraction_id FROM gone_extractions)",
        )
        con.execute(
            "DELETE FROM figure_claims "
            "WHERE extraction_id IN (SELECT extraction_id FROM gone_extractions)"
        )
        con.execute(f"INSERT INTO figure_claims {_FIGURE_CLAIM_ROWS}")
        con.execute(
            "INSERT INTO touched_figures SELECT DISTINCT figure_id FROM figure_claims "
            "WHERE extraction_id IN (SELECT extraction_id FROM new_extractions)"
        )
        con.execute(
            "DELETE FROM figures WHERE figure_id IN (SELECT figure_id FROM touched_figures)"
        )
        touched = "WHERE figure_id IN (SELECT figure_id FROM touched_figures)"
        con.execute(f"INSERT INTO figures {_figure_rows(touched)}")
        n_rebuilt = _count(con, "(SELECT DISTINCT figure_id FROM touched_figures)")
        _drop(con, "touched_figures")
    con.execute(
        "DELETE FROM figure_extractions "
        "WHERE extraction_id IN (SELECT extraction_id FROM gone_extractions)"
    )
    con.execute("INSERT INTO figure_extractions SELECT extraction_id, doc_id FROM new_extractions")

    _temp(
        con,
        "check_docs",
        "SELECT doc_id FROM new_extractions UNION SELECT doc_id FROM gone_extractions",
    )
    if not full:
        con.execute("DELETE FROM figure_checks WHERE doc_id IN (SELECT doc_id FROM check_docs)")
    con.execute(_DOC_FIGURES)
    con.execute(f"INSERT INTO figure_checks {_CHECK_ROWS}")
    _drop(con, "doc_figures", "check_docs", "new_extractions", "gone_extractions")
    return n_new, n_gone, n_rebuilt, _count(con, "figures")


def _add_subjects(con: duckdb.DuckDBPyConnection) -> None:
    """Normalise the subjects of new claims not seen before (few: subjects repeat)."""
    rows = con.execute(
        "SELECT DISTINCT c.subject FROM claims c JOIN new_extractions USING (extraction_id) "
        "WHERE c.status = 'verified' AND c.subject IS NOT NULL "
        "AND c.subject NOT IN (SELECT subject FROM subject_norms)"
    ).fetchall()
    mapping = [(subject, normalize_subject(subject)) for (subject,) in rows]
    if mapping:
        insert_rows(con, "subject_norms", ("subject", "subject_norm"), mapping, chunk=500)


def _add_time_refs(con: duckdb.DuckDBPyConnection) -> None:
    """Read the time references of new claims not seen before; unreadable ones are kept too."""
    rows = con.execute(
        "SELECT DISTINCT c.time_reference FROM claims c JOIN new_extractions USING (extraction_id) "
        "WHERE c.status = 'verified' AND c.time_reference IS NOT NULL "
        "AND c.time_reference NOT IN (SELECT time_reference FROM time_refs)"
    ).fetchall()
    parsed = [(text, *(reference_date(text) or (None, None, None))) for (text,) in rows]
    if parsed:
        insert_rows(con, "time_refs", ("time_reference", "year", "month", "day"), parsed)


def _temp(con: duckdb.DuckDBPyConnection, name: str, select: str) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {select}")


def _drop(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    for name in names:
        con.execute(f"DROP TABLE IF EXISTS {name}")


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


# --------------------------------------------------------------------------------------------
# Reads for `spanfact figures`


@dataclass(frozen=True)
class FigureFilter:
    metric: str | None = None
    subject: str | None = None  # normalised like stored subjects, then matched as a substring
    source: str | None = None  # a case-insensitive substring of the canonical source


def _where(f: FigureFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if f.metric:
        clauses.append("metric = ?")
        params.append(f.metric)
    if f.subject:
        clauses.append("contains(subject, ?)")
        params.append(normalize_subject(f.subject))
    if f.source:
        clauses.append("contains(lower(source), lower(?))")
        params.append(f.source)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def list_figures(db: Database, f: FigureFilter) -> QueryResult:
    """Figures, most widely reported first within each metric and subject."""
    where, params = _where(f)
    return query(
        db,
        "SELECT figure_id, metric, subject, source, value, low, high, qualifiers, n_claims, "
        "n_documents, n_outlets, outlets, first_seen, last_seen FROM figures"
        f"{where} ORDER BY metric, subject, n_documents DESC, first_seen, figure_id",
        params,
    )


def list_conflicts(db: Database, f: FigureFilter) -> QueryResult:
    """Disagreeing figures and arithmetic checks; a source filter matches either side."""
    where, params = _where(FigureFilter(f.metric, f.subject))
    if f.source:
        where += (" AND " if where else " WHERE ") + (
            "(contains(lower(source_a), lower(?)) OR contains(lower(source_b), lower(?)))"
        )
        params += [f.source, f.source]
    return query(
        db,
        "SELECT kind, metric, subject, passed, detail, source_a, value_a, seen_a, "
        "source_b, value_b, seen_b, later_figure_id, figure_ids, doc_id, document FROM conflicts"
        f"{where} ORDER BY metric, subject, kind, seen_a, seen_b, detail",
        params,
    )
