"""Does `--concurrency` pay off against a remote model? Run time at concurrency 1 vs 16.

200 synthetic one-claim articles go through the real OpenAI-compatible route (`--model
openai:stub`, OPENAI_BASE_URL pointing at `bench.stub_server`, which answers every request after a
fixed delay, 200 ms by default, from a process of its own), with a fresh database and no response
cache for each run. With the model's latency the only real cost, 16 workers should be close to 16
times faster than one; the bench fails (exit 1) when the speed-up is below `--min-ratio`, or when a
run did not store one verified claim and one model call per document.

Figures use each run's own duration as the `runs` table records it ("run s"); "wall s" also holds
opening the database and, with `--via cli`, the process start-up.

    python -m bench.concurrency                      # BatchRunner in this process
    python -m bench.concurrency --via cli            # `spanfact run` as a subprocess
    python -m bench.concurrency --docs 100 --concurrency 1,4,16 --min-ratio 8
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.stub_server import StubProcess, StubServer
from pipeline.backends.registry import create_backend
from pipeline.run import BatchRunner, RunOptions
from pipeline.store.db import Database, open_db
from pipeline.text.numbers import find_mentions

MODEL = "openai:stub"

_TEMPLATES = (
    "Ukraine's army said {n} Russian soldiers were killed near {place} on {day}.",
    "Kyiv's military intelligence said {n} North Korean troops were killed in fighting near "
    "{place} on {day}.",
    "Russia's defence ministry said {n} Ukrainian servicemen were killed in a strike near {place} "
    "on {day}.",
    "According to Ukraine's general staff, {n} Russian troops died in assaults near {place} on "
    "{day}.",
    "South Korea's spy agency said {n} North Korean soldiers had been killed in Russia's Kursk "
    "region by {day}.",
)
_PLACES = ("Kursk", "Pokrovsk", "Bakhmut", "Kharkiv", "Kherson", "Zaporizhzhia", "Donetsk")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_CODAS = (
    "The figure could not be independently verified.",
    "Officials gave no further details.",
    "Moscow did not comment on the report.",
)


def synthetic_text(i: int) -> str:
    """Article `i`: a headline and one on-topic sentence with exactly one count in it."""
    n = 20 + 37 * i  # distinct for every i, so no two documents share a content hash
    sentence = _TEMPLATES[i % len(_TEMPLATES)].format(
        n=f"{n:,}", place=_PLACES[i % len(_PLACES)], day=_DAYS[(i // 3) % len(_DAYS)]
    )
    return f"Fighting report from the front\n\n{sentence} {_CODAS[i % len(_CODAS)]}\n"


def write_documents(directory: Path, n: int) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        text = synthetic_text(i)
        counts = [m for m in find_mentions(text) if m.is_candidate]
        # The figures below assume one model call per document; a template that grows a second
        # number (or loses its only one) must fail here, not skew the timing.
        if len(counts) != 1:
            raise AssertionError(f"document {i} has {len(counts)} count mentions: {text!r}")
        path = directory / f"doc_{i:04d}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


@dataclass(frozen=True)
class Timing:
    concurrency: int
    workers: int
    seconds: float
    docs_done: int
    docs_failed: int
    claims_verified: int
    model_calls: int
    mean_call_ms: float
    max_in_flight: int
    run_seconds: float  # start to finish as the runs table has it: no process start-up

    @property
    def timed(self) -> float:
        """The seconds the figures use: the run itself (a subprocess's start-up excluded)."""
        return self.run_seconds if self.run_seconds > 0 else self.seconds

    @property
    def docs_per_s(self) -> float:
        return self.docs_done / self.timed if self.timed > 0 else 0.0


def _store_figures(db: Database) -> tuple[int, int, int, int, float, float]:
    """Documents done and failed, verified claims, model calls, mean call latency and run
    seconds, from the store."""
    with db.lock:
        (run_seconds,) = db.con.execute(
            "SELECT coalesce(max(epoch(finished_at) - epoch(started_at)), 0) FROM runs"
        ).fetchone() or (0.0,)
        done, failed = db.con.execute(
            "SELECT count(*) FILTER (status = 'done'), count(*) FILTER (status = 'failed') "
            "FROM extractions"
        ).fetchone() or (0, 0)
        (claims,) = db.con.execute(
            "SELECT count(*) FROM claims WHERE status = 'verified'"
        ).fetchone() or (0,)
        calls, mean_ms = db.con.execute(
            "SELECT count(*), coalesce(avg(latency_ms), 0) FROM llm_calls WHERE backend = 'openai'"
        ).fetchone() or (0, 0.0)
    return int(done), int(failed), int(claims), int(calls), float(mean_ms), float(run_seconds)


def run_in_process(inputs: list[Path], db_path: Path, concurrency: int) -> tuple[float, int]:
    """Wall seconds of `BatchRunner.run` and its worker count."""
    db = open_db(db_path)
    try:
        options = RunOptions(
            strategy="anchored", use_cache=False, concurrency=concurrency, command="bench"
        )
        runner = BatchRunner(db, create_backend(MODEL), options)
        started = time.perf_counter()
        runner.run([str(p) for p in inputs])
        return time.perf_counter() - started, runner.workers
    finally:
        db.close()


def run_cli(inputs: list[Path], db_path: Path, concurrency: int) -> tuple[float, int]:
    """Wall seconds of `spanfact run` as a subprocess (start-up included)."""
    command = [
        sys.executable,
        "-m",
        "pipeline",
        "run",
        *[str(p) for p in inputs],
        "--db",
        str(db_path),
        "--model",
        MODEL,
        "--no-cache",
        "--concurrency",
        str(concurrency),
        "--quiet",
    ]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"spanfact run exited {done.returncode}:\n{done.stderr[-2000:]}")
    return seconds, min(concurrency, create_backend(MODEL).max_concurrency)


def measure(
    stub: StubProcess | StubServer, inputs: list[Path], workdir: Path, concurrency: int, via: str
) -> Timing:
    db_path = workdir / f"bench-c{concurrency}-{time.monotonic_ns()}.duckdb"
    stub.reset_stats()
    runner = run_cli if via == "cli" else run_in_process
    seconds, workers = runner(inputs, db_path, concurrency)
    db = open_db(db_path, read_only=True)
    try:
        done, failed, claims, calls, mean_ms, run_seconds = _store_figures(db)
    finally:
        db.close()
    return Timing(
        concurrency,
        workers,
        seconds,
        done,
        failed,
        claims,
        calls,
        mean_ms,
        stub.stats.max_in_flight,
        run_seconds,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.concurrency", description=__doc__)
    parser.add_argument("--docs", type=int, default=200, help="synthetic articles (default 200)")
    parser.add_argument("--delay", type=float, default=0.2, help="stub seconds per answer")
    parser.add_argument(
        "--concurrency",
        default="1,16",
        help="comma-separated levels; the ratio is first / last (default 1,16)",
    )
    parser.add_argument(
        "--min-ratio",
        type=float,
        default=10.0,
        help="exit 1 when time(first) / time(last) is below this (default 10)",
    )
    parser.add_argument(
        "--response-format", default="llamacpp", choices=("llamacpp", "json_schema", "json_object")
    )
    parser.add_argument(
        "--via",
        default="runner",
        choices=("runner", "cli"),
        help="BatchRunner in this process, or `spanfact run` subprocesses",
    )
    parser.add_argument(
        "--stub",
        default="process",
        choices=("process", "thread"),
        help="run the stub in a child process (default), or in a thread of this "
        "one, where it competes with the pipeline for the GIL",
    )
    args = parser.parse_args(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # figures appear as they are measured
    levels = [int(x) for x in args.concurrency.split(",") if x.strip()]
    if len(levels) < 2:
        parser.error("--concurrency needs at least two levels, e.g. 1,16")

    stub = (
        StubProcess(delay_s=args.delay)
        if args.stub == "process"
        else StubServer(delay_s=args.delay)
    )
    with tempfile.TemporaryDirectory(prefix="spanfact-bench-") as tmp, stub:
        workdir = Path(tmp)
        inputs = write_documents(workdir / "docs", args.docs)
        # Subprocesses inherit these; a real API key is never sent, even to loopback.
        os.environ.update(
            {
                "OPENAI_BASE_URL": stub.base_url,
                "OPENAI_API_KEY": "stub",
                "SPANFACT_RESPONSE_FORMAT": args.response_format,
            }
        )
        print(
            f"{args.docs} documents; stub ({args.stub}) at {stub.base_url} answering after "
            f"{args.delay * 1000:.0f} ms; response format {args.response_format}; "
            f"via {args.via}; {os.cpu_count()} CPUs"
        )
        if args.via == "runner":
            # Imports, pysbd's segmenter and pydantic schemas are built once per process; warm
            # them up so the first timed level does not pay for them.
            run_in_process(inputs[:2], workdir / "warmup.duckdb", 1)
        timings = [measure(stub, inputs, workdir, c, args.via) for c in levels]

    ideal = args.docs * args.delay
    print(
        f"\n{'conc':>5} {'workers':>7} {'wall s':>8} {'run s':>7} {'docs/s':>8} {'done':>5} "
        f"{'failed':>6} {'claims':>6} {'calls':>6} {'call ms':>8} {'in flight':>9}"
    )
    for t in timings:
        print(
            f"{t.concurrency:>5} {t.workers:>7} {t.seconds:>8.2f} {t.run_seconds:>7.2f} "
            f"{t.docs_per_s:>8.1f} {t.docs_done:>5} {t.docs_failed:>6} {t.claims_verified:>6} "
            f"{t.model_calls:>6} {t.mean_call_ms:>8.1f} {t.max_in_flight:>9}"
        )
    first, last = timings[0], timings[-1]
    ratio = first.timed / last.timed if last.timed > 0 else float("inf")
    print(
        f"\nspeed-up {first.concurrency} -> {last.concurrency}: {ratio:.1f}x "
        f"(floor {args.min_ratio:g}x; pure latency would take {ideal:.1f} s serially, "
        f"{ideal / min(last.workers, args.docs):.1f} s with {last.workers} workers)"
    )
    for c in (first, last):
        overhead = c.timed / args.docs - args.delay / max(1, min(c.workers, args.docs))
        print(
            f"  concurrency {c.concurrency}: {c.timed / args.docs * 1000:.1f} ms per document, "
            f"{overhead * 1000:.1f} ms of it not waiting for the model"
        )

    problems = [
        f"concurrency {t.concurrency}: {t.docs_done} done, {t.docs_failed} failed, "
        f"{t.claims_verified} claims, {t.model_calls} calls (expected {args.docs} of each)"
        for t in timings
        if not (t.docs_done == t.claims_verified == t.model_calls == args.docs)
    ]
    for problem in problems:
        print(f"FAIL {problem}")
    if ratio < args.min_ratio:
        print(f"FAIL speed-up {ratio:.1f}x is below {args.min_ratio:g}x")
    return 1 if problems or ratio < args.min_ratio else 0


if __name__ == "__main__":
    sys.exit(main())
