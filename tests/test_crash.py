"""Real `spanfact run` processes: killed mid-run and resumed, and refused as a second writer."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipeline import cli
from pipeline.backends.registry import create_backend
from pipeline.run import BatchRunner, RunOptions
from pipeline.store.db import DatabaseLockedError, open_db
from tests.batch_inputs import write_articles
from tests.store_helpers import stored_rows

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 60.0


class SpanfactProcess:
    """`python -m pipeline run ...` with the fake model, its stderr read line by line."""

    def __init__(self, args: list[str], *, delay_s: float) -> None:
        env = {**os.environ, "SPANFACT_FAKE_DELAY": str(delay_s), "COLUMNS": "200"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def stderr(self) -> str:
        with self._changed:
            return "".join(self.lines)

    def wait_for_line(self, pattern: str, timeout: float = STARTUP_TIMEOUT_S) -> None:
        """Block until stderr matches `pattern`; fail if the process ends first."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            # Searched as one text: rich may wrap a long log line.
            while not regex.search("".join(self.lines)):
                if self.proc.poll() is not None and not self._reader.is_alive():
                    pytest.fail(
                        f"spanfact exited ({self.proc.returncode}) before {pattern!r}:\n"
                        + "".join(self.lines)[-3000:]
                    )
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"no {pattern!r} within {timeout} s:\n" + "".join(self.lines)[-3000:]
                    )
                self._changed.wait(0.1)

    def wait(self, timeout: float = 60.0) -> int:
        code = self.proc.wait(timeout)
        self._reader.join(5)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.wait()


@pytest.fixture
def processes() -> Iterator[list[SpanfactProcess]]:
    started: list[SpanfactProcess] = []
    yield started
    for p in started:  # never leave a writer behind, even when a test fails
        p.kill()


def read_marker(name: str) -> str:
    """The ingest debug line logged when the batch reads `name`, i.e. submits it for extraction."""
    return rf"read\s+\S*{re.escape(name)}\s+\(\d+\s+bytes\)"


def facts(db_path: Path) -> list[tuple[Any, ...]]:
    rows = stored_rows(db_path, "SELECT origin, metric, value, quote FROM facts ORDER BY ALL")
    return [(Path(origin).name, *rest) for origin, *rest in rows]


def test_a_run_killed_mid_way_resumes_to_the_same_result(
    tmp_path: Path, processes: list[SpanfactProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    n_docs, kill_at = 16, 6
    folder = tmp_path / "in"
    write_articles(folder, n_docs)
    db_path = tmp_path / "killed.duckdb"
    args = ["run", str(folder), "--model", "fake", "--db", str(db_path)]

    victim = SpanfactProcess([*args, "--verbose", "--quiet"], delay_s=0.2)
    processes.append(victim)
    # One document at a time with a look-ahead of two: reading document k means documents
    # 0..k-2 are stored and k-1 is in flight. Kill -9 lands somewhere inside document k-1.
    victim.wait_for_line(read_marker(f"doc_{kill_at:02d}.txt"))
    victim.proc.send_signal(signal.SIGKILL)
    assert victim.wait() == -signal.SIGKILL

    # What the dead process left: whole documents only, its run still marked running.
    assert stored_rows(db_path, "SELECT status FROM runs") == [("running",)]
    (n_done,) = stored_rows(db_path, "SELECT count(*) FROM extractions WHERE status = 'done'")[0]
    assert kill_at - 1 <= n_done < n_docs
    assert stored_rows(db_path, "SELECT count(*) FROM documents") == [(n_done,)]
    assert stored_rows(
        db_path,
        "SELECT count(*) FROM claims WHERE extraction_id NOT IN "
        "(SELECT extraction_id FROM extractions)",
    ) == [(0,)]

    rerun = subprocess.run(
        [sys.executable, "-m", "pipeline", *args, "--quiet"],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "SPANFACT_FAKE_DELAY"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rerun.returncode == 0, rerun.stderr[-3000:]

    runs = stored_rows(
        db_path, "SELECT status, n_skipped, n_documents FROM runs ORDER BY started_at"
    )
    assert runs == [("interrupted", 0, 0), ("finished", n_done, n_docs - n_done)]
    per_doc = stored_rows(
        db_path,
        "SELECT d.origin, count(e.extraction_id) FILTER (WHERE e.status = 'done') "
        "FROM documents d LEFT JOIN extractions e USING (doc_id) GROUP BY d.origin",
    )
    assert sorted(Path(o).name for o, _ in per_doc) == [f"doc_{i:02d}.txt" for i in range(n_docs)]
    assert {n for _, n in per_doc} == {1}
    n_facts, n_distinct = stored_rows(
        db_path, "SELECT count(*), count(DISTINCT (doc_id, metric, value)) FROM facts"
    )[0]
    assert n_facts == n_distinct

    # A clean, uninterrupted run of the same configuration stores exactly the same facts.
    monkeypatch.delenv("SPANFACT_FAKE_DELAY", raising=False)
    clean_path = tmp_path / "clean.duckdb"
    clean_db = open_db(clean_path)
    try:
        BatchRunner(clean_db, create_backend("fake"), RunOptions()).run([folder])
    finally:
        clean_db.close()
    assert len(facts(clean_path)) == n_docs
    assert facts(db_path) == facts(clean_path)


def test_a_second_writer_is_refused_and_the_first_run_is_unharmed(
    tmp_path: Path, processes: list[SpanfactProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    n_docs = 6
    folder = tmp_path / "in"
    write_articles(folder, n_docs)
    db_path = tmp_path / "busy.duckdb"
    args = ["run", str(folder), "--model", "fake", "--db", str(db_path)]

    first = SpanfactProcess([*args, "--verbose", "--quiet"], delay_s=0.2)
    processes.append(first)
    first.wait_for_line(read_marker("doc_00.txt"))  # it holds the database now

    # The second `spanfact run` is this process: the lock is the other process's all the same.
    monkeypatch.setattr(cli, "_setup_logging", lambda verbose: None)
    runner = CliRunner()
    second = runner.invoke(cli.app, [*args, "--quiet"])
    reader = runner.invoke(cli.app, ["sql", "SELECT count(*) FROM facts", "--db", str(db_path)])
    with pytest.raises(DatabaseLockedError):
        open_db(db_path)
    assert first.proc.poll() is None, "the first run ended before the second one tried"

    assert second.exit_code == 2
    assert "is in use by another spanfact process" in second.stderr
    assert str(db_path) in second.stderr.replace("\n", "")
    assert "Traceback" not in second.output + second.stderr
    assert reader.exit_code == 2
    assert "in use by another spanfact process" in reader.stderr

    assert first.wait() == 0, first.stderr[-3000:]
    assert stored_rows(db_path, "SELECT status, n_documents FROM runs") == [("finished", n_docs)]
    assert stored_rows(
        db_path, "SELECT count(*), count(DISTINCT doc_id) FROM extractions WHERE status = 'done'"
    ) == [(n_docs, n_docs)]
    assert len(facts(db_path)) == n_docs
