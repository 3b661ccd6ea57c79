"""How long building figures takes at scale: `python -m bench.figures`.

Fills a fresh store with synthetic documents, extractions and verified claims (generated in SQL:
the writer's per-document path is not what is measured here), then times

1. the full build of `figures` over all claims (issue 12's target: <= 10 s for 1,000,000 claims
   in 100,000 documents on 2 cores),
2. the incremental rebuild after 1,000 more documents are added (target: <= 1 s),
3. for comparison, one grouping query over the claims: what a `figures` view would cost on
   every read.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from pipeline.store.db import Database, open_db
from pipeline.store.figures import refresh_figures

METRICS = ["killed", "wounded", "killed_or_wounded", "captured", "deployed"]
QUALIFIERS = ["exact", "exact", "exact", "about", "at_least", "more_than", "up_to"]


def _list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def add_documents(db: Database, first: int, n_docs: int, claims_per_doc: int) -> None:
    """Documents first..first+n_docs-1, each with one done extraction and its claims.

    Subjects (30 spellings of 20 subjects), sources (20) and values (100) repeat the way news
    copy repeats a few figures: about 200,000 possible figures, five claims each on average.
    """
    subjects = _list(
        [
            f"{p}{n} troops"
            for p in ("North Korean ", "Pyongyang's ", "Russian ")
            for n in ("", *map(str, range(9)))
        ]
    )
    metrics, qualifiers = _list(METRICS), _list(QUALIFIERS)
    last = first + n_docs
    with db.transaction() as con:
        con.execute(
            f"""
            INSERT INTO documents (doc_id, origin, title, text, n_chars, published_at, outlet, url)
            SELECT 'doc' || i, 'bench/' || i || '.txt', 'title ' || i, 'text', 4,
                   TIMESTAMP '2025-01-01' + to_hours((i * 7919) % 8760),
                   'outlet ' || (i % 200), 'https://bench.example/' || i
            FROM range({first}, {last}) t(i)
            """
        )
        con.execute(
            f"""
            INSERT INTO extractions (extraction_id, doc_id, config_key, run_id, model, strategy,
                topic, prompt_name, prompt_version, schema_version, status)
            SELECT 'ex' || i, 'doc' || i, 'bench', 'bench', 'bench', 'bench', 'bench', 'bench',
                   '1', '2', 'done'
            FROM range({first}, {last}) t(i)
            """
        )
        con.execute(
            f"""
            INSERT INTO claims (claim_id, extraction_id, doc_id, run_id, idx, status, metric,
                value, low, high, qualifier, subject, source, source_norm, quote, model,
                strategy, prompt_name, prompt_version, schema_version)
            SELECT 'ex' || i || '-' || j, 'ex' || i, 'doc' || i, 'bench', j, 'verified',
                   {metrics}[1 + (h % 5)],
                   v, CASE WHEN h % 23 = 0 THEN v END, CASE WHEN h % 23 = 0 THEN v * 2 END,
                   {qualifiers}[1 + (h // 7 % 7)],
                   {subjects}[1 + (h // 49 % 30)],
                   'source ' || (h // 1470 % 20), 'source ' || (h // 1470 % 20),
                   'quote', 'bench', 'bench', 'bench', '1', '2'
            FROM (
                SELECT i, j, (hash(i * 131 + j) % 1000000007)::BIGINT AS h,
                       ((hash(i * 131 + j) // 7) % 100 + 1)::BIGINT * 10 AS v
                FROM range({first}, {last}) t(i), range({claims_per_doc}) s(j)
            )
            """
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--claims-per-document", type=int, default=10)
    parser.add_argument("--added", type=int, default=1_000, help="documents added afterwards")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "bench.duckdb")
        try:
            started = time.perf_counter()
            add_documents(db, 0, args.documents, args.claims_per_document)
            n_claims = db.read("SELECT count(*) FROM claims")[0][0]
            print(
                f"setup: {n_claims:,} claims in {args.documents:,} documents "
                f"({time.perf_counter() - started:.1f} s)"
            )

            full = refresh_figures(db, full=True)
            print(f"full build: {full.seconds:.2f} s -> {full.n_figures:,} figures")

            add_documents(db, args.documents, args.added, args.claims_per_document)
            step = refresh_figures(db)
            print(
                f"incremental rebuild after {args.added:,} new documents: {step.seconds:.2f} s "
                f"({step.n_figures_rebuilt:,} figures updated, {step.n_figures:,} in all)"
            )

            started = time.perf_counter()
            db.read(
                "SELECT count(*) FROM (SELECT metric, subject, source_norm, value, low, high, "
                "list(DISTINCT qualifier), count(DISTINCT doc_id) FROM claims c "
                "JOIN documents d USING (doc_id) WHERE c.status = 'verified' GROUP BY ALL)"
            )
            print(
                f"one grouping query (what a view would cost per read): "
                f"{time.perf_counter() - started:.2f} s"
            )
        finally:
            db.close()


if __name__ == "__main__":
    main()
