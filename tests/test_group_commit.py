"""The store's group commit: writes queued together share a transaction, never each other's fate;
and the batch job, which does not wait for it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

import pipeline.run as run_module
from pipeline.backends.fake import FakeBackend, echo_responder
from pipeline.run import BatchRunner, DocumentReport, RunOptions
from pipeline.store.db import Database, Rows, Write, open_db
from pipeline.store.writer import ExtractionRecord, RunConfig, is_done, save_document_result
from schemas.records import Document
from tests.batch_inputs import write_articles

INPUT_COLUMNS = ("run_id", "origin", "status", "message", "doc_id")
CONFIG = RunConfig("fake", "anchored", "1", "topic@1", "anchored_label", "1", "1")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Database]:
    database = open_db(tmp_path / "store.duckdb")
    yield database
    database.close()


def input_write(origin: str) -> Write:
    return Write(rows=[Rows("run_inputs", INPUT_COLUMNS, [["run", origin, "ok", None, None]])])


def write_together(db: Database, writes: list[Write]) -> list[Exception | None]:
    """Submit every write from its own thread while the store is busy, so they queue up and the
    first thread to get the lock commits them all at once; returns each thread's error."""
    errors: list[Exception | None] = [None] * len(writes)

    def submit(i: int) -> None:
        try:
            db.write(writes[i])
        except Exception as exc:
            errors[i] = exc

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(writes))]
    with db.lock:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 5
        while len(db._queue) < len(writes):  # all queued behind the lock we hold
            assert time.monotonic() < deadline, "writes never queued"
            time.sleep(0.005)
    for t in threads:
        t.join(5)
    return errors


def origins(db: Database) -> list[str]:
    return [row[0] for row in db.read("SELECT origin FROM run_inputs ORDER BY origin")]


def test_queued_writes_are_all_committed_with_one_insert_per_table(store: Database) -> None:
    statements: list[str] = []
    con = store.con

    class Spy:
        def execute(self, sql: str, *args: object) -> duckdb.DuckDBPyConnection:
            statements.append(sql.split()[0] + (" " + sql.split()[2] if "INSERT" in sql else ""))
            return con.execute(sql, *args)

    store.con = Spy()  # type: ignore[assignment]
    errors = write_together(store, [input_write(f"doc{i}") for i in range(5)])
    store.con = con
    assert errors == [None] * 5
    assert origins(store) == [f"doc{i}" for i in range(5)]
    assert statements == ["BEGIN", "INSERT run_inputs", "COMMIT"]


def test_a_failing_write_does_not_lose_the_writes_queued_with_it(store: Database) -> None:
    bad = Write(statements=[("INSERT INTO no_such_table VALUES (?)", [1])])
    errors = write_together(store, [input_write("a"), bad, input_write("b")])
    assert errors[0] is None and errors[2] is None
    assert isinstance(errors[1], duckdb.CatalogException)
    assert origins(store) == ["a", "b"]


def test_a_failing_write_stores_nothing_of_itself(store: Database) -> None:
    half_bad = Write(
        rows=[
            Rows("run_inputs", INPUT_COLUMNS, [["run", "half", "ok", None, None]]),
            Rows("no_such_table", ("x",), [[1]]),
        ]
    )
    with pytest.raises(duckdb.CatalogException):
        store.write(half_bad)
    assert origins(store) == []


def test_two_saves_of_one_document_are_not_merged_and_the_later_supersedes(
    store: Database,
) -> None:
    doc = Document(doc_id="d" * 64, origin="a.txt", text="Kyiv said 300 troops were killed.")
    record = ExtractionRecord("done", None, 1, 0, 0.1, input_origin="a.txt")
    saved: list[str] = []

    def save() -> None:
        saved.append(save_document_result(store, "run", doc, CONFIG, [], record))

    threads = [threading.Thread(target=save) for _ in range(2)]
    with store.lock:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 5
        while len(store._queue) < 2:
            assert time.monotonic() < deadline, "writes never queued"
            time.sleep(0.005)
    for t in threads:
        t.join(5)
    # Merged, both UPDATEs would run before both INSERTs and leave two 'done' extractions.
    rows = store.read("SELECT extraction_id, status FROM extractions ORDER BY status")
    assert sorted(status for _, status in rows) == ["done", "superseded"]
    assert {eid for eid, _ in rows} == set(saved)
    assert store.read("SELECT count(*) FROM documents") == [(1,)]
    assert store.read("SELECT origin, status FROM run_inputs") == [("a.txt", "ok")] * 2


def test_reads_do_not_wait_for_a_writer_holding_the_store(store: Database) -> None:
    store.write(input_write("seen"))
    assert origins(store) == ["seen"]  # this thread's cursor is made once, under the lock
    store.write(input_write("seen later"))
    released = threading.Event()

    def hold() -> None:
        with store.lock:
            released.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        started = time.monotonic()
        assert origins(store) == ["seen", "seen later"]
        assert not is_done(store, "x" * 64, CONFIG.key)
        assert time.monotonic() - started < 2
    finally:
        released.set()
        holder.join(5)


# The batch job queues each document's calls and results without waiting (several workers).


def test_a_document_is_reported_only_once_its_calls_and_results_are_stored(
    store: Database, tmp_path: Path
) -> None:
    write_articles(tmp_path / "in", 12)
    backend = FakeBackend(echo_responder, delay_s=0.01, max_concurrency=4)
    runner = BatchRunner(store, backend, RunOptions(concurrency=4))
    seen: list[tuple[int, int, int]] = []

    def check(report: DocumentReport) -> None:
        (claims,) = store.read(
            "SELECT count(*) FROM claims c JOIN extractions e USING (extraction_id) "
            "WHERE e.doc_id = ? AND e.status = 'done'",
            [report.doc_id],
        )[0]
        (inputs,) = store.read(
            "SELECT count(*) FROM run_inputs WHERE doc_id = ? AND status = 'ok'", [report.doc_id]
        )[0]
        (calls,) = store.read("SELECT count(*) FROM llm_calls")[0]
        seen.append((claims, inputs, calls))

    summary = runner.run([tmp_path / "in"], progress=check)
    assert runner.workers == 4 and summary.counts.n_documents == 12
    assert [(claims, inputs) for claims, inputs, _ in seen] == [(1, 1)] * 12
    # Each document's call is stored before the document is reported.
    assert all(calls >= i + 1 for i, (_, _, calls) in enumerate(seen))


def test_a_failing_store_stops_the_run(
    store: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_articles(tmp_path / "in", 3)

    def broken(*args: object, **kwargs: object) -> tuple[str, Write]:
        return "x", Write(statements=[("INSERT INTO no_such_table VALUES (1)", [])])

    monkeypatch.setattr(run_module, "document_result", broken)
    backend = FakeBackend(echo_responder, max_concurrency=2)
    with pytest.raises(duckdb.CatalogException):
        BatchRunner(store, backend, RunOptions(concurrency=2)).run([tmp_path / "in"])
    assert store.read("SELECT status FROM runs") == [("failed",)]
