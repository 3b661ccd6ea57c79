"""Numbered schema migrations, applied in order and recorded, as simonw/llm does for SQLite.

Never edit a migration that has shipped: add a new one. An old database file is upgraded on open;
a file written by a newer spanfact is refused rather than half-understood.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[duckdb.DuckDBPyConnection], None]


class NewerDatabaseError(RuntimeError):
    """The file was written by a newer spanfact; writing to it could break it."""


def _m001_initial(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE documents (
            doc_id       VARCHAR PRIMARY KEY,   -- sha256 of text
            origin       VARCHAR NOT NULL,      -- first path it was seen at
            title        VARCHAR,
            text         VARCHAR NOT NULL,
            n_chars      INTEGER NOT NULL,
            warnings     VARCHAR[],
            published_at TIMESTAMP,
            ingested_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE TABLE runs (
            run_id          VARCHAR PRIMARY KEY,
            started_at      TIMESTAMP NOT NULL,
            finished_at     TIMESTAMP,
            status          VARCHAR NOT NULL,   -- running | finished | interrupted | failed
            command         VARCHAR NOT NULL,   -- run | eval
            model           VARCHAR NOT NULL,
            strategy        VARCHAR NOT NULL,
            topic           VARCHAR NOT NULL,
            prompt_name     VARCHAR NOT NULL,
            prompt_version  VARCHAR NOT NULL,
            schema_version  VARCHAR NOT NULL,
            args            JSON,
            n_inputs        INTEGER DEFAULT 0,
            n_documents     INTEGER DEFAULT 0,
            n_skipped       INTEGER DEFAULT 0,
            n_bad_inputs    INTEGER DEFAULT 0,
            n_failed        INTEGER DEFAULT 0,
            n_claims        INTEGER DEFAULT 0,
            n_rejected      INTEGER DEFAULT 0,
            n_model_calls   INTEGER DEFAULT 0,
            n_cached_calls  INTEGER DEFAULT 0
        );
        CREATE TABLE run_inputs (
            run_id      VARCHAR NOT NULL,
            origin      VARCHAR NOT NULL,
            status      VARCHAR NOT NULL,   -- ok | skipped | empty | binary | too_large | ...
            message     VARCHAR,
            doc_id      VARCHAR,
            recorded_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE TABLE extractions (
            extraction_id  VARCHAR PRIMARY KEY,
            doc_id         VARCHAR NOT NULL,
            config_key     VARCHAR NOT NULL,   -- model + strategy + topic + prompt + schema
            run_id         VARCHAR NOT NULL,
            model          VARCHAR NOT NULL,
            strategy       VARCHAR NOT NULL,
            topic          VARCHAR NOT NULL,
            prompt_name    VARCHAR NOT NULL,
            prompt_version VARCHAR NOT NULL,
            schema_version VARCHAR NOT NULL,
            status         VARCHAR NOT NULL,   -- done | failed | superseded
            error          VARCHAR,
            n_claims       INTEGER NOT NULL DEFAULT 0,
            n_rejected     INTEGER NOT NULL DEFAULT 0,
            n_model_calls  INTEGER NOT NULL DEFAULT 0,
            n_cached_calls INTEGER NOT NULL DEFAULT 0,
            seconds        DOUBLE,
            finished_at    TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE INDEX extractions_doc ON extractions (doc_id, config_key);
        CREATE TABLE claims (
            claim_id       VARCHAR PRIMARY KEY,
            extraction_id  VARCHAR NOT NULL,
            doc_id         VARCHAR NOT NULL,
            run_id         VARCHAR NOT NULL,
            idx            INTEGER NOT NULL,
            status         VARCHAR NOT NULL,   -- verified | rejected
            metric         VARCHAR NOT NULL,
            value          BIGINT NOT NULL,
            low            BIGINT,
            high           BIGINT,
            qualifier      VARCHAR NOT NULL,
            subject        VARCHAR,
            source         VARCHAR,
            source_norm    VARCHAR,
            location       VARCHAR,
            time_reference VARCHAR,
            quote          VARCHAR NOT NULL,
            span_start     INTEGER,            -- first located span; NULL: the quote was not found
            span_end       INTEGER,
            spans          JSON,               -- every span of every repeated mention
            reasons        VARCHAR[],
            model          VARCHAR NOT NULL,
            strategy       VARCHAR NOT NULL,
            prompt_name    VARCHAR NOT NULL,
            prompt_version VARCHAR NOT NULL,
            schema_version VARCHAR NOT NULL,
            created_at     TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE TABLE checks (
            claim_id VARCHAR NOT NULL,
            name     VARCHAR NOT NULL,
            passed   BOOLEAN NOT NULL,
            detail   VARCHAR
        );
        CREATE TABLE llm_calls (
            call_id           VARCHAR PRIMARY KEY,
            request_hash      VARCHAR NOT NULL,  -- hash of what decides the answer: the cache key
            attempt           INTEGER NOT NULL,  -- 1 = first ask, 2.. = re-asks after bad answers
            backend           VARCHAR NOT NULL,
            model             VARCHAR NOT NULL,
            prompt_name       VARCHAR,
            prompt_version    VARCHAR,
            schema_name       VARCHAR,
            schema_version    VARCHAR,
            messages          JSON,
            params            JSON,
            response_raw      VARCHAR,
            parsed            JSON,
            error             VARCHAR,
            status            VARCHAR NOT NULL,  -- ok | invalid | error
            prompt_tokens     INTEGER,
            completion_tokens INTEGER,
            latency_ms        DOUBLE,
            run_id            VARCHAR,
            created_at        TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE INDEX llm_calls_hash ON llm_calls (request_hash);
        CREATE TABLE eval_runs (
            eval_id              VARCHAR PRIMARY KEY,
            created_at           TIMESTAMP NOT NULL DEFAULT current_timestamp,
            run_id               VARCHAR,
            model                VARCHAR NOT NULL,
            strategy             VARCHAR NOT NULL,
            prompt_version       VARCHAR NOT NULL,
            schema_version       VARCHAR NOT NULL,
            git_commit           VARCHAR,
            articles_dir         VARCHAR,
            gold_dir             VARCHAR,
            n_gold               INTEGER,
            n_pred               INTEGER,
            n_matched            INTEGER,
            precision            DOUBLE,
            recall               DOUBLE,
            f1                   DOUBLE,
            attribution_accuracy DOUBLE,
            qualifier_accuracy   DOUBLE,
            grounding_rate       DOUBLE,
            n_rejected           INTEGER,
            report               JSON
        );
        CREATE TABLE eval_items (
            eval_id      VARCHAR NOT NULL,
            article      VARCHAR NOT NULL,
            outcome      VARCHAR NOT NULL,   -- match | miss | false_positive
            metric       VARCHAR NOT NULL,
            value        BIGINT,
            low          BIGINT,
            high         BIGINT,
            gold         JSON,
            predicted    JSON,
            source_ok    BOOLEAN,
            qualifier_ok BOOLEAN,
            quote        VARCHAR
        );
        """
    )


def _m002_views(con: duckdb.DuckDBPyConnection) -> None:
    # Views so that users query facts without writing joins.
    con.execute(
        """
        CREATE VIEW facts AS
        SELECT c.claim_id, c.doc_id, d.origin, d.title,
               c.metric, c.value, c.low, c.high, c.qualifier, c.subject,
               c.source, c.source_norm, c.location, c.time_reference,
               c.quote, c.span_start, c.span_end,
               c.model, c.strategy, c.prompt_name, c.prompt_version, c.schema_version,
               c.run_id, e.finished_at AS extracted_at,
               coalesce(d.published_at, d.ingested_at) AS document_time
        FROM claims c
        JOIN extractions e USING (extraction_id)
        JOIN documents d ON d.doc_id = c.doc_id
        WHERE c.status = 'verified' AND e.status = 'done';

        CREATE VIEW latest_figures AS
        SELECT metric,
               coalesce(source_norm, '(unattributed)') AS source,
               arg_max(value, document_time) AS value,
               arg_max(low, document_time) AS low,
               arg_max(high, document_time) AS high,
               arg_max(qualifier, document_time) AS qualifier,
               arg_max(subject, document_time) AS subject,
               arg_max(quote, document_time) AS quote,
               arg_max(origin, document_time) AS origin,
               max(document_time) AS as_of,
               count(*) AS n_mentions,
               count(DISTINCT doc_id) AS n_documents
        FROM facts
        GROUP BY ALL;

        CREATE VIEW rejected_claims AS
        SELECT c.claim_id, d.origin, c.metric, c.value, c.low, c.high, c.quote, c.reasons,
               c.model, c.strategy, c.prompt_version, c.run_id
        FROM claims c JOIN documents d ON d.doc_id = c.doc_id
        WHERE c.status = 'rejected';
        """
    )


def _m003_figures(con: duckdb.DuckDBPyConnection) -> None:
    # Who published a document, for counting outlets; title and published_at exist since 1.
    con.execute("ALTER TABLE documents ADD COLUMN outlet VARCHAR")
    con.execute("ALTER TABLE documents ADD COLUMN url VARCHAR")
    # Tables, not views: grouping a million claims takes seconds, and `spanfact run` keeps them
    # current incrementally (pipeline/store/figures.py). No primary keys: a rebuild deletes and
    # re-inserts the same keys in one transaction, and the ART index would slow the bulk insert.
    con.execute(
        """
        CREATE TABLE subject_norms (
            subject      VARCHAR NOT NULL,   -- as extracted
            subject_norm VARCHAR NOT NULL    -- pipeline.figures.normalize_subject
        );
        CREATE TABLE time_refs (             -- claims' time references that name a day
            time_reference VARCHAR NOT NULL,  -- as extracted
            year           INTEGER,           -- NULL: the document's year (or the one before)
            month          INTEGER,           -- NULL: not one day ("last week")
            day            INTEGER
        );
        CREATE TABLE figure_extractions (    -- extractions folded into the figures
            extraction_id VARCHAR NOT NULL,
            doc_id        VARCHAR NOT NULL
        );
        CREATE TABLE figure_claims (
            figure_id     VARCHAR NOT NULL,
            claim_id      VARCHAR NOT NULL,
            extraction_id VARCHAR NOT NULL,
            doc_id        VARCHAR NOT NULL,
            metric        VARCHAR NOT NULL,
            subject       VARCHAR NOT NULL,  -- normalised
            source        VARCHAR NOT NULL,  -- normalised; '(unattributed)' when nobody
            value         BIGINT NOT NULL,
            low           BIGINT,
            high          BIGINT,
            qualifier     VARCHAR NOT NULL,
            bound_low     DOUBLE NOT NULL,   -- the interval the hedged claim allows
            bound_high    DOUBLE NOT NULL,
            outlet        VARCHAR,
            seen_at       TIMESTAMP NOT NULL -- the day the text gives the claim, else the
                                             -- document's date, else when it was ingested
        );
        CREATE TABLE figures (
            figure_id   VARCHAR NOT NULL,
            metric      VARCHAR NOT NULL,
            subject     VARCHAR NOT NULL,
            source      VARCHAR NOT NULL,
            value       BIGINT NOT NULL,
            low         BIGINT,
            high        BIGINT,
            qualifiers  VARCHAR[] NOT NULL,
            n_claims    INTEGER NOT NULL,
            n_documents INTEGER NOT NULL,
            n_outlets   INTEGER NOT NULL,
            outlets     VARCHAR[] NOT NULL,
            first_seen  TIMESTAMP NOT NULL,
            last_seen   TIMESTAMP NOT NULL,
            bound_low   DOUBLE NOT NULL,
            bound_high  DOUBLE NOT NULL
        );
        CREATE TABLE figure_checks (          -- arithmetic within one document and source
            doc_id     VARCHAR NOT NULL,
            name       VARCHAR NOT NULL,     -- sum_check | subtotal_exceeds_total
                                             -- | range_excludes_point
            passed     BOOLEAN NOT NULL,
            metric     VARCHAR NOT NULL,
            subject    VARCHAR NOT NULL,
            source     VARCHAR NOT NULL,
            figure_ids VARCHAR[] NOT NULL,
            detail     VARCHAR NOT NULL
        );

        CREATE MACRO figure_text(value, low, high) AS
            CASE WHEN low IS NOT NULL AND high IS NOT NULL
                 THEN format('{:,}–{:,}', low, high) ELSE format('{:,}', value) END;
        -- "more than 3,000", "about/exact 300": the number with its hedges, for messages.
        CREATE MACRO hedged_text(value, low, high, qualifiers) AS
            CASE WHEN qualifiers = ['exact'] THEN figure_text(value, low, high)
                 ELSE array_to_string(
                          list_transform(qualifiers, lambda q: replace(q, '_', ' ')), '/')
                      || ' ' || figure_text(value, low, high) END;

        -- Figures of one metric and subject that disagree, the earlier-seen one first, then
        -- every arithmetic check. Kinds are defined in pipeline/figures.py. Compared are a
        -- source's consecutive figures (a revision: its series is the timeline) and figures of
        -- two sources that stood at the same time: a figure stands from when it was first seen
        -- until its source's next one. Comparing every pair instead would set each source's
        -- outdated figures against everyone else's, quadratic in the number of figures.
        CREATE VIEW conflicts AS
        WITH standing AS (
            SELECT *,
                   CASE WHEN source <> '(unattributed)' THEN lead(first_seen) OVER (
                       PARTITION BY metric, subject, source ORDER BY first_seen, figure_id)
                   END AS superseded_at,
                   CASE WHEN source <> '(unattributed)' THEN lag(figure_id) OVER (
                       PARTITION BY metric, subject, source ORDER BY first_seen, figure_id)
                   END AS previous_id
            FROM figures
        ), pairs AS (
            SELECT a.*, b.figure_id AS figure_b, b.source AS source_b, b.value AS value_b,
                   b.low AS low_b, b.high AS high_b, b.qualifiers AS qualifiers_b,
                   b.first_seen AS first_seen_b, b.bound_low AS bound_low_b,
                   b.bound_high AS bound_high_b
            FROM standing a JOIN standing b
              ON a.metric = b.metric AND a.subject = b.subject
             AND (a.first_seen, a.figure_id) < (b.first_seen, b.figure_id)
             AND (a.source <> b.source OR a.source = '(unattributed)')
             AND b.first_seen < coalesce(a.superseded_at, 'infinity'::TIMESTAMP)
            UNION ALL
            SELECT a.*, b.figure_id, b.source, b.value, b.low, b.high, b.qualifiers,
                   b.first_seen, b.bound_low, b.bound_high
            FROM standing b JOIN standing a ON a.figure_id = b.previous_id
        ), kinds AS (
            SELECT *,
                   CASE
                     WHEN source = source_b AND source <> '(unattributed)' THEN 'revision'
                     WHEN value = value_b AND low IS NOT DISTINCT FROM low_b
                          AND high IS NOT DISTINCT FROM high_b
                          AND len(list_intersect(qualifiers, qualifiers_b)) > 0 THEN NULL
                     WHEN bound_high < bound_low_b OR bound_high_b < bound_low
                       THEN 'contradiction'
                     ELSE 'discrepancy'
                   END AS kind
            FROM pairs
        )
        SELECT kind, metric, subject,
               source AS source_a, figure_text(value, low, high) AS value_a,
               qualifiers AS qualifiers_a, first_seen AS seen_a,
               source_b, figure_text(value_b, low_b, high_b) AS value_b,
               qualifiers_b, first_seen_b AS seen_b,
               -- Undated documents ingested together have no order: no later one then.
               CASE WHEN kind = 'revision' AND first_seen_b > first_seen
                    THEN figure_b END AS later_figure_id,
               NULL::BOOLEAN AS passed,
               [figure_id, figure_b] AS figure_ids,
               NULL::VARCHAR AS doc_id,
               NULL::VARCHAR AS document,
               CASE kind
                 WHEN 'revision' THEN format('{} revised {} to {}', source,
                      figure_text(value, low, high), figure_text(value_b, low_b, high_b))
                 ELSE format('{} says {}, {} says {}',
                      source, hedged_text(value, low, high, qualifiers),
                      source_b, hedged_text(value_b, low_b, high_b, qualifiers_b))
               END AS detail
        FROM kinds WHERE kind IS NOT NULL
        UNION ALL
        SELECT k.name, k.metric, k.subject, k.source, NULL, NULL,
               coalesce(d.published_at, d.ingested_at), NULL, NULL, NULL, NULL, NULL, k.passed,
               k.figure_ids, k.doc_id, coalesce(d.url, d.origin), k.detail
        FROM figure_checks k LEFT JOIN documents d USING (doc_id);

        -- Per metric, subject and source: its figures in the order they appeared.
        CREATE VIEW figure_timeline AS
        SELECT metric, subject, source,
               row_number() OVER w AS step,
               figure_id, value, low, high, qualifiers, first_seen, last_seen,
               n_documents, n_outlets,
               value - lag(value) OVER w AS change
        FROM figures
        WINDOW w AS (PARTITION BY metric, subject, source ORDER BY first_seen, figure_id);

        -- Per metric, subject and source: the figure it gave last.
        CREATE VIEW source_latest_figures AS
        SELECT * FROM figures
        QUALIFY row_number() OVER (
            PARTITION BY metric, subject, source ORDER BY first_seen DESC, figure_id DESC) = 1;

        -- Per metric and subject: the lowest of the sources' latest figures (as ACLED reports
        -- the most conservative estimate), with the documents it rests on and every source's.
        CREATE VIEW conservative_figures AS
        WITH ranked AS (
            SELECT *,
                   row_number() OVER (PARTITION BY metric, subject
                                      ORDER BY coalesce(low, value), n_documents DESC,
                                               figure_id) AS rank,
                   list(format('{}: {}', source, figure_text(value, low, high)))
                       OVER (PARTITION BY metric, subject) AS estimates
            FROM source_latest_figures
        )
        SELECT r.metric, r.subject, r.source, r.figure_id, r.value, r.low, r.high, r.qualifiers,
               r.first_seen, r.last_seen, r.n_documents, r.n_outlets, r.estimates,
               (SELECT list(DISTINCT coalesce(d.url, d.origin) ORDER BY coalesce(d.url, d.origin))
                FROM figure_claims fc JOIN documents d USING (doc_id)
                WHERE fc.figure_id = r.figure_id) AS documents
        FROM ranked r WHERE rank = 1;
        """
    )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial tables", _m001_initial),
    Migration(2, "facts, latest_figures and rejected_claims views", _m002_views),
    Migration(3, "document outlet and url; figures, checks, conflicts, timeline", _m003_figures),
)

LATEST_VERSION = MIGRATIONS[-1].version


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    return int(row[0]) if row else 0


def stored_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version of a file, without writing to it (works on read-only connections)."""
    try:
        row = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    except duckdb.CatalogException:
        return 0
    return int(row[0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply every pending migration, each in its own transaction; returns the versions applied."""
    have = current_version(con)
    if have > LATEST_VERSION:
        raise NewerDatabaseError(
            f"this database is at schema version {have}, newer than this spanfact knows "
            f"({LATEST_VERSION}); upgrade spanfact instead of writing to it"
        )
    applied: list[int] = []
    for m in MIGRATIONS:
        if m.version <= have:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            m.apply(con)
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [m.version, m.name]
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        log.info("applied migration %d: %s", m.version, m.name)
        applied.append(m.version)
    return applied
