"""What an article costs with the embedded model: seconds, model calls and tokens, per strategy.

Each strategy runs over the articles with a fresh database and no response cache, one article at
a time (the embedded model serves one request at a time), and prints per article and in total:
wall seconds, model calls (answered attempts, re-asks included), prompt and completion tokens (from
the run's reports, checked against the `llm_calls` table), and claims stored (verified) and
rejected. Loading the model is timed apart.

With the embedded model it also times how long the same model takes to read each article once
(one forward pass over its tokens, no prompt, nothing generated), before and after the
strategies, and prints each strategy's seconds as a ratio of that: the figure to compare across
machines and loads, since both are measured in one process.

Slow: tens of seconds per article for `anchored` on 2 cores, more for `whole`.

    python -m bench.speed --strategy anchored --limit 1
    python -m bench.speed                                   # both strategies, data/articles
    python -m bench.speed --model openai:qwen --strategy whole   # any backend
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.backends.base import Backend
from pipeline.backends.registry import MODEL_HELP, create_backend
from pipeline.extract import STRATEGIES
from pipeline.ingest import SUPPORTED_SUFFIXES
from pipeline.run import BatchRunner, RunOptions
from pipeline.store.db import open_db

DEFAULT_ARTICLES = Path(__file__).resolve().parent.parent / "data" / "articles"


@dataclass(frozen=True)
class ArticleCost:
    name: str
    status: str
    seconds: float
    calls: int
    prompt_tokens: int
    completion_tokens: int
    claims: int
    rejected: int


@dataclass(frozen=True)
class StrategyCost:
    strategy: str
    seconds: float
    articles: list[ArticleCost]

    def total(self, field: str) -> int:
        return sum(int(getattr(a, field)) for a in self.articles)


def article_paths(folder: Path, limit: int | None) -> list[Path]:
    paths = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in SUPPORTED_SUFFIXES)
    return paths[:limit] if limit else paths


def measure(backend: Backend, strategy: str, paths: list[Path], workdir: Path) -> StrategyCost:
    db = open_db(workdir / f"speed-{strategy}.duckdb")
    try:
        runner = BatchRunner(
            db, backend, RunOptions(strategy=strategy, use_cache=False, command="bench")
        )
        started = time.perf_counter()
        summary = runner.run([str(p) for p in paths])
        seconds = time.perf_counter() - started
        # Per document: attempts and tokens from the call log (re-asks included), claims as
        # stored. A call belongs to the document whose extraction ran in this run.
        rows = db.read(
            """
            SELECT d.origin, e.status, e.seconds,
                   e.n_claims, e.n_rejected, e.n_model_calls
            FROM extractions e JOIN documents d USING (doc_id)
            WHERE e.run_id = ? ORDER BY d.origin
            """,
            [summary.run_id],
        )
        by_origin = {r.origin: r for r in summary.reports}
        articles = []
        for origin, status, secs, n_claims, n_rejected, n_calls in rows:
            report = by_origin.get(origin)
            articles.append(
                ArticleCost(
                    name=Path(origin).name,
                    status=status,
                    seconds=float(secs or 0.0),
                    calls=int(n_calls or 0),
                    prompt_tokens=report.prompt_tokens if report else 0,
                    completion_tokens=report.completion_tokens if report else 0,
                    claims=int(n_claims or 0),
                    rejected=int(n_rejected or 0),
                )
            )
        logged = db.read(
            "SELECT count(*), coalesce(sum(prompt_tokens), 0), "
            "coalesce(sum(completion_tokens), 0) FROM llm_calls WHERE run_id = ?",
            [summary.run_id],
        )[0]
    finally:
        db.close()
    cost = StrategyCost(strategy, seconds, articles)
    # The reports count answered attempts; the log also holds attempts that got no answer.
    if (cost.total("prompt_tokens"), cost.total("completion_tokens")) != (logged[1], logged[2]):
        print(
            f"  note: llm_calls holds {logged[0]} attempts, {logged[1]} prompt and {logged[2]} "
            "completion tokens (failed attempts included)"
        )
    return cost


def read_once_seconds(backend: Backend, paths: list[Path]) -> tuple[float, int] | None:
    """Seconds and tokens for the embedded model to read every article once, from scratch."""
    llm = getattr(backend, "llm", None)
    if llm is None:
        return None
    seconds, tokens = 0.0, 0
    for path in paths:
        ids = llm.tokenize(path.read_text(encoding="utf-8").encode("utf-8"), add_bos=True)
        ids = ids[: llm.n_ctx() - 1]
        llm.reset()  # nothing of an earlier prompt may be reused
        started = time.perf_counter()
        llm.eval(ids)
        seconds += time.perf_counter() - started
        tokens += len(ids)
    llm.reset()
    return seconds, tokens


def print_cost(cost: StrategyCost) -> None:
    n = len(cost.articles) or 1
    print(f"\n{cost.strategy}: {len(cost.articles)} articles in {cost.seconds:.1f} s")
    print(
        f"  {'article':<28} {'status':<7} {'s':>7} {'calls':>5} {'prompt tok':>10} "
        f"{'compl tok':>9} {'claims':>6} {'rejected':>8}"
    )
    for a in cost.articles:
        print(
            f"  {a.name:<28} {a.status:<7} {a.seconds:>7.1f} {a.calls:>5} "
            f"{a.prompt_tokens:>10} {a.completion_tokens:>9} {a.claims:>6} {a.rejected:>8}"
        )
    print(
        f"  per article: {cost.seconds / n:.1f} s, {cost.total('calls') / n:.1f} model calls, "
        f"{cost.total('prompt_tokens') / n:.0f} prompt + "
        f"{cost.total('completion_tokens') / n:.0f} completion tokens"
    )
    print(f"  stored: {cost.total('claims')} claims verified, {cost.total('rejected')} rejected")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.speed", description=__doc__)
    parser.add_argument(
        "--strategy",
        choices=STRATEGIES,
        action="append",
        help="repeatable; default: every strategy",
    )
    parser.add_argument(
        "--articles",
        type=Path,
        default=DEFAULT_ARTICLES,
        help="folder of articles (default data/articles)",
    )
    parser.add_argument("--limit", type=int, default=None, help="only the first N articles")
    parser.add_argument("--model", default="local", help=MODEL_HELP)
    args = parser.parse_args(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # figures appear as they are measured
    paths = article_paths(args.articles, args.limit)
    if not paths:
        parser.error(f"no articles in {args.articles}")

    started = time.perf_counter()
    backend = create_backend(args.model)
    # The embedded model loads on first use; load it here so no article pays for it.
    getattr(backend, "llm", None)
    print(
        f"{backend.model}: ready in {time.perf_counter() - started:.1f} s (not counted); "
        f"{len(paths)} articles from {args.articles}"
    )
    before = read_once_seconds(backend, paths)
    costs = []
    with tempfile.TemporaryDirectory(prefix="spanfact-speed-") as tmp:
        for strategy in args.strategy or list(STRATEGIES):
            costs.append(measure(backend, strategy, paths, Path(tmp)))
            print_cost(costs[-1])
    after = read_once_seconds(backend, paths)
    if before is not None and after is not None:
        # Averaged over both passes, so a load that changes during the run counts evenly.
        once = (before[0] + after[0]) / 2
        print(
            f"\nread once: {before[1]} article tokens in {before[0]:.1f} s before and "
            f"{after[0]:.1f} s after ({before[1] / once:.0f} tok/s)"
        )
        for cost in costs:
            print(f"  {cost.strategy}: model time {cost.seconds / once:.2f}x read-once")
    return 0


if __name__ == "__main__":
    sys.exit(main())
