"""Ctrl-C on a real `spanfact run`: the first finishes the document in progress, the second stops.

Before issue 14's fix the first Ctrl-C said nothing while the document finished, the run's
`n_documents` left out the documents that were in flight, and a second Ctrl-C did not stop it.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.backends.cached import CachedBackend
from pipeline.backends.call_log import CallLog
from pipeline.backends.fake import FakeBackend, echo_responder
from pipeline.extract import create_strategy
from pipeline.grounding import claim_checker
from pipeline.run import BatchRunner, RunOptions
from pipeline.store.db import Database, open_db
from pipeline.topic import load_topic
from tests.batch_inputs import write_articles
from tests.store_helpers import stored_rows
from tests.test_crash import SpanfactProcess, read_marker


@pytest.fixture
def processes() -> Iterator[list[SpanfactProcess]]:
    started: list[SpanfactProcess] = []
    yield started
    for p in started:
        p.kill()


def test_the_first_ctrl_c_finishes_the_document_in_progress_and_says_so(
    tmp_path: Path, processes: list[SpanfactProcess]
) -> None:
    folder = tmp_path / "in"
    write_articles(folder, 8)
    db_path = tmp_path / "i.duckdb"
    args = ["run", str(folder), "--model", "fake", "--db", str(db_path), "--verbose"]
    proc = SpanfactProcess(args, delay_s=1.0)
    processes.append(proc)
    proc.wait_for_line(read_marker("doc_02.txt"))  # doc_01 is in flight
    proc.proc.send_signal(signal.SIGINT)
    proc.wait_for_line("finishing the document")
    assert proc.wait(30) == 130
    assert "press Ctrl-C again to stop now" in " ".join(proc.stderr.split())
    (status, n_documents) = stored_rows(db_path, "SELECT status, n_documents FROM runs")[0]
    (n_done,) = stored_rows(db_path, "SELECT count(*) FROM extractions WHERE status = 'done'")[0]
    assert status == "interrupted"
    assert 2 <= n_done < 8  # the documents in flight were finished, no new one was started
    assert n_documents == n_done


def test_the_second_ctrl_c_stops_at_once(tmp_path: Path, processes: list[SpanfactProcess]) -> None:
    folder = tmp_path / "in"
    write_articles(folder, 4)
    db_path = tmp_path / "j.duckdb"
    args = ["run", str(folder), "--model", "fake", "--db", str(db_path), "--verbose"]
    proc = SpanfactProcess(args, delay_s=30.0)
    processes.append(proc)
    proc.wait_for_line(read_marker("doc_01.txt"))  # doc_00 is in flight for 30 s
    proc.proc.send_signal(signal.SIGINT)
    proc.wait_for_line("finishing the document")
    started = time.monotonic()
    proc.proc.send_signal(signal.SIGINT)
    assert proc.wait(20) == 130
    assert time.monotonic() - started < 10
    assert "stopped now" in proc.stderr
    assert stored_rows(db_path, "SELECT status FROM runs") == [("interrupted",)]
    assert stored_rows(db_path, "SELECT count(*) FROM extractions") == [(0,)]


def test_stop_finishes_started_documents_and_counts_them(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write_articles(folder, 6)
    db: Database = open_db(tmp_path / "s.duckdb")
    try:
        runner = BatchRunner(db, FakeBackend(echo_responder), RunOptions(concurrency=1))
        seen: list[str] = []

        def on_report(report: object) -> None:
            seen.append(str(report))
            if len(seen) == 2:
                runner.stop()

        summary = runner.run([folder], progress=on_report)
        assert summary.interrupted
        n_done = db.read("SELECT count(*) FROM extractions WHERE status = 'done'")[0][0]
        assert summary.counts.n_documents == n_done
        assert 2 <= n_done < 6
        assert db.read("SELECT status, n_documents FROM runs") == [("interrupted", n_done)]
    finally:
        db.close()


def test_the_backend_counts_requests_as_they_are_answered(db: Database) -> None:
    # The progress bar shows this count, so it moves within a long document.
    backend = CachedBackend(FakeBackend(echo_responder), CallLog(db))
    assert backend.n_requests == 0
    topic = load_topic()
    anchored = create_strategy("anchored", backend, topic, check=claim_checker(topic))
    text = (
        "Russia said 100 North Korean troops were killed.\n\nKyiv said 40 were captured in Kursk."
    )
    anchored.extract(text + "\n\n" + text)
    assert backend.n_requests == 1  # both number paragraphs go in one request
    # A document too long for one request is sent in several, each counted as it is answered.
    long = "\n\n".join(
        f"Kyiv said {n} North Korean troops were killed in Kursk." for n in range(20, 40)
    )
    anchored.extract(long)
    assert backend.n_requests == 1 + 3  # 20 numbers, at most 8 a request
