"""BatchRunner over a DuckDB file: bad input, resuming, forcing, failing models, concurrency."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.backends.base import LLMRequest, LLMResult
from pipeline.backends.fake import FakeBackend, echo_responder
from pipeline.run import BatchRunner, DocumentReport, RunOptions, RunSummary
from pipeline.store.db import Database, open_db
from tests.batch_inputs import write_articles

GOOD_TXT = "Russia said 300 North Korean troops were killed near Kursk, Ukraine's army reported.\n"
GOOD_MD = "# Deployment\n\nUkraine says 1,200 soldiers were deployed in Donetsk.\n"
# Windows-1252 "é" is one byte that is not valid UTF-8.
LATIN1 = "Kyiv reported 45 casualties in Kharkiv, café owners said.\n".encode("cp1252")
NO_NUMBERS = "Kyiv officials met on Tuesday in Ukraine to talk about the war with Russia.\n"
# Every script number sits in an on-topic sentence: were scripts read, they would become claims.
HTML = """<!doctype html><html><head><title>Prisoners</title>
<script>var stats = {killed: 9999}; // Russia says 7777 troops were killed in Kursk</script>
</head><body>
<p>Ukraine says 250 North Korean troops were captured near Kursk.</p>
<script>document.write("Russia sent 8888 troops to Kursk")</script>
<noscript>Russia deployed 6666 troops in Kursk</noscript>
</body></html>
"""
SCRIPT_NUMBERS = {9999, 7777, 8888, 6666}
JSONL = (
    '{"text": "Russia sent 500 North Korean troops to Kursk."}\n'
    "not json at all\n"
    '{"title": "POWs", "text": "Ukraine captured 12 North Korean soldiers in Kursk."}\n'
)
FIVE_MB = 5_000_000

# Per origin (relative to the folder): the verified values each good document must yield.
EXPECTED_FACTS = {
    "feed.jsonl#L1": {500},
    "feed.jsonl#L3": {12},
    "good.md": {1200},
    "good.txt": {300},
    "latin1.txt": {45},
    "nonum.txt": set(),
    "page.html": {250},
}
# Per origin: (status recorded in run_inputs, words its message must contain).
EXPECTED_BAD = {
    "big.txt": ("too_large", ["5.0 MB", "over the 2.0 MB", "--max-bytes"]),
    "empty.txt": ("empty", ["empty (0 bytes)"]),
    "feed.jsonl#L2": ("bad_json", ["line 2 is not valid JSON", "other lines are still read"]),
    "nul.md": ("binary", ["NUL bytes"]),
    "photo.txt": ("binary", ["PNG image"]),
}


class CountingBackend(FakeBackend):
    """A FakeBackend that records how many requests were in flight at once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._gauge = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    def complete(self, request: LLMRequest) -> LLMResult:
        with self._gauge:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return super().complete(request)
        finally:
            with self._gauge:
                self.in_flight -= 1


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """A folder with good articles and one of each kind of bad input."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD_TXT, encoding="utf-8")
    (folder / "good.md").write_text(GOOD_MD, encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (folder / "nul.md").write_bytes(b"Russia said 400 troops\x00\x00\x00 were killed in Kursk.\n")
    (folder / "latin1.txt").write_bytes(LATIN1)
    (folder / "big.txt").write_bytes(b"Russia sent 5 troops to Kursk. " * (FIVE_MB // 31 + 1))
    (folder / "nonum.txt").write_text(NO_NUMBERS, encoding="utf-8")
    (folder / "page.html").write_text(HTML, encoding="utf-8")
    (folder / "feed.jsonl").write_text(JSONL, encoding="utf-8")
    return folder


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"


@pytest.fixture
def store(db_path: Path) -> Iterator[Database]:
    database = open_db(db_path)
    yield database
    database.close()


def run(db: Database, backend: FakeBackend, paths: list[Path], **options: Any) -> RunSummary:
    return BatchRunner(db, backend, RunOptions(**options)).run(paths)


def rel(origin: str, folder: Path) -> str:
    return origin.removeprefix(str(folder) + "/")


def rows(db: Database, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    return db.con.execute(sql, params or []).fetchall()


def facts_by_origin(db: Database, folder: Path) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for origin, value in rows(db, "SELECT origin, value FROM facts ORDER BY origin, value"):
        out.setdefault(rel(origin, folder), []).append(value)
    return out


def run_counts(db: Database, run_id: str) -> dict[str, Any]:
    cursor = db.con.execute(
        "SELECT status, n_inputs, n_documents, n_skipped, n_bad_inputs, n_failed, n_claims, "
        "n_rejected, n_model_calls, n_cached_calls FROM runs WHERE run_id = ?",
        [run_id],
    )
    names = [d[0] for d in cursor.description]
    row = cursor.fetchone()
    assert row is not None
    return dict(zip(names, row, strict=True))


def called_with(backend: FakeBackend, needle: str) -> bool:
    return any(needle in str(call["messages"]) for call in backend.calls)


# ---------------------------------------------------------------------------------------------
# Bad input


def test_every_input_gets_a_recorded_status_and_good_documents_go_through(
    store: Database, inputs: Path
) -> None:
    backend = FakeBackend(echo_responder)
    summary = run(store, backend, [inputs])

    recorded = {
        rel(origin, inputs): (status, message or "", doc_id)
        for origin, status, message, doc_id in rows(
            store,
            "SELECT origin, status, message, doc_id FROM run_inputs WHERE run_id = ?",
            [summary.run_id],
        )
    }
    assert set(recorded) == set(EXPECTED_FACTS) | set(EXPECTED_BAD)
    for origin, (status, words) in EXPECTED_BAD.items():
        got_status, message, doc_id = recorded[origin]
        assert (origin, got_status, doc_id) == (origin, status, None)
        for word in words:
            assert word in message, (origin, message)
    for origin in EXPECTED_FACTS:
        assert recorded[origin][0] == "ok", origin
        assert recorded[origin][2] is not None, origin

    # Each good document has exactly one finished extraction, and its facts are the right ones.
    extractions = rows(
        store,
        "SELECT d.origin, e.status, e.n_claims, e.n_model_calls FROM extractions e "
        "JOIN documents d USING (doc_id)",
    )
    assert sorted(rel(o, inputs) for o, *_ in extractions) == sorted(EXPECTED_FACTS)
    assert {status for _, status, _, _ in extractions} == {"done"}
    facts = facts_by_origin(store, inputs)
    for origin, values in EXPECTED_FACTS.items():
        assert set(facts.get(origin, [])) == values, origin

    # The summary and the stored `runs` row agree, and count each kind of input.
    expected_counts = {
        "status": "finished",
        "n_inputs": len(EXPECTED_FACTS) + len(EXPECTED_BAD),
        "n_documents": len(EXPECTED_FACTS),
        "n_skipped": 0,
        "n_bad_inputs": len(EXPECTED_BAD),
        "n_failed": 0,
        "n_claims": sum(len(v) for v in EXPECTED_FACTS.values()),
        "n_rejected": 0,
        "n_model_calls": len(backend.calls),
        "n_cached_calls": 0,
    }
    assert run_counts(store, summary.run_id) == expected_counts
    assert summary.counts.n_inputs == expected_counts["n_inputs"]
    assert summary.counts.n_model_calls == len(backend.calls) > 0
    assert {rel(r.origin, inputs): r.status for r in summary.reports} == {
        **{o: "done" for o in EXPECTED_FACTS},
        **{o: s for o, (s, _) in EXPECTED_BAD.items()},
    }


def test_invalid_utf8_is_replaced_and_the_warning_is_stored(store: Database, inputs: Path) -> None:
    summary = run(store, FakeBackend(echo_responder), [inputs])
    text, warnings = rows(
        store, "SELECT text, warnings FROM documents WHERE origin LIKE '%latin1.txt'"
    )[0]
    assert "caf\ufffd owners" in text
    assert len(warnings) == 1 and "invalid UTF-8: 1 byte replaced" in warnings[0]
    (message,) = rows(
        store,
        "SELECT message FROM run_inputs WHERE run_id = ? AND origin LIKE '%latin1.txt'",
        [summary.run_id],
    )[0]
    assert "invalid UTF-8" in message and "iconv" in message


def test_a_document_without_numbers_is_done_without_calling_the_model(
    store: Database, inputs: Path
) -> None:
    backend = FakeBackend(echo_responder)
    run(store, backend, [inputs])
    status, n_claims, n_calls, n_cached = rows(
        store,
        "SELECT e.status, e.n_claims, e.n_model_calls, e.n_cached_calls FROM extractions e "
        "JOIN documents d USING (doc_id) WHERE d.origin LIKE '%nonum.txt'",
    )[0]
    assert (status, n_claims, n_calls, n_cached) == ("done", 0, 0, 0)
    assert not called_with(backend, "Kyiv officials met")
    assert called_with(backend, "captured near Kursk")  # the model did see other documents


def test_numbers_in_html_scripts_never_become_claims(store: Database, inputs: Path) -> None:
    backend = FakeBackend(echo_responder)
    run(store, backend, [inputs])
    (text,) = rows(store, "SELECT text FROM documents WHERE origin LIKE '%page.html'")[0]
    assert "250 North Korean troops" in text
    assert not any(str(n) in text for n in SCRIPT_NUMBERS)
    values = {v for (v,) in rows(store, "SELECT value FROM claims")}
    assert values & SCRIPT_NUMBERS == set()
    assert not any(called_with(backend, str(n)) for n in SCRIPT_NUMBERS)


def test_the_same_text_twice_in_one_run_is_extracted_once(store: Database, tmp_path: Path) -> None:
    folder = tmp_path / "dup"
    folder.mkdir()
    (folder / "a.txt").write_text(GOOD_TXT)
    (folder / "b.txt").write_text(GOOD_TXT.replace("\n", "\r\n"))  # same text once normalized
    backend = FakeBackend(echo_responder)
    summary = run(store, backend, [folder])
    # Skips are reported at once, extractions when they finish: compare in input order.
    assert sorted((Path(r.origin).name, r.status, r.message) for r in summary.reports) == [
        ("a.txt", "done", ""),
        ("b.txt", "skipped", "same text seen earlier in this run"),
    ]
    assert rows(store, "SELECT count(*) FROM extractions") == [(1,)]
    assert len(backend.calls) == 1


# ---------------------------------------------------------------------------------------------
# Resuming and forcing


def test_a_second_run_skips_done_documents(store: Database, inputs: Path) -> None:
    first = run(store, FakeBackend(echo_responder), [inputs])
    again = FakeBackend(echo_responder)
    second = run(store, again, [inputs])

    assert again.calls == []
    c = second.counts
    assert (c.n_skipped, c.n_documents, c.n_model_calls, c.n_cached_calls) == (
        len(EXPECTED_FACTS),
        0,
        0,
        0,
    )
    assert c.n_bad_inputs == len(EXPECTED_BAD)  # bad input is reported again, every run
    assert run_counts(store, second.run_id)["n_skipped"] == len(EXPECTED_FACTS)
    skipped = rows(
        store,
        "SELECT DISTINCT message FROM run_inputs WHERE run_id = ? AND status = 'skipped'",
        [second.run_id],
    )
    assert skipped == [("already extracted",)]
    assert rows(store, "SELECT count(*) FROM extractions") == [(len(EXPECTED_FACTS),)]
    assert facts_by_origin(store, inputs) == {o: sorted(v) for o, v in EXPECTED_FACTS.items() if v}
    assert first.counts.n_claims == rows(store, "SELECT count(*) FROM facts")[0][0]


def test_force_redoes_from_the_call_cache_and_supersedes_without_duplicates(
    store: Database, inputs: Path
) -> None:
    first_backend = FakeBackend(echo_responder)
    first = run(store, first_backend, [inputs])
    facts_before = rows(store, "SELECT origin, metric, value, quote FROM facts ORDER BY ALL")

    again = FakeBackend(echo_responder)
    forced = run(store, again, [inputs], force=True)

    assert again.calls == []  # every answer came from llm_calls
    c = forced.counts
    assert c.n_documents == len(EXPECTED_FACTS) and c.n_skipped == 0
    assert c.n_model_calls == 0
    assert c.n_cached_calls == first.counts.n_model_calls == len(first_backend.calls) > 0
    assert run_counts(store, forced.run_id)["n_cached_calls"] == c.n_cached_calls

    per_doc = rows(
        store,
        "SELECT doc_id, list(status ORDER BY status), "
        "list(run_id ORDER BY status) FROM extractions GROUP BY doc_id",
    )
    assert len(per_doc) == len(EXPECTED_FACTS)
    for _, statuses, run_ids in per_doc:
        assert statuses == ["done", "superseded"]
        assert run_ids == [forced.run_id, first.run_id]

    facts_after = rows(store, "SELECT origin, metric, value, quote FROM facts ORDER BY ALL")
    assert facts_after == facts_before
    n_facts, n_distinct, run_ids = rows(
        store,
        "SELECT count(*), count(DISTINCT (doc_id, metric, value)), list(DISTINCT run_id) "
        "FROM facts",
    )[0]
    assert n_facts == n_distinct == first.counts.n_claims
    assert run_ids == [forced.run_id]


# ---------------------------------------------------------------------------------------------
# Failing models


def _garbage_for(marker: str) -> Any:
    def responder(messages: list[dict[str, Any]]) -> str:
        if marker in str(messages):  # the first ask and the re-ask alike
            return '{"labels": [{"id": 1, "metric": '  # cut-off, malformed JSON
        return echo_responder(messages)

    return responder


def test_malformed_json_fails_that_document_only_and_a_later_run_retries_it(
    store: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bad.txt").write_text(GOOD_TXT)  # 300: the model garbles this one
    (folder / "good.md").write_text(GOOD_MD)
    (folder / "nonum.txt").write_text(NO_NUMBERS)

    backend = FakeBackend(_garbage_for("300"))
    first = run(store, backend, [folder])
    assert {Path(r.origin).name: r.status for r in first.reports} == {
        "bad.txt": "failed",
        "good.md": "done",
        "nonum.txt": "done",
    }
    c = first.counts
    assert (c.n_documents, c.n_failed, c.n_claims) == (2, 1, 1)
    assert run_counts(store, first.run_id)["status"] == "finished"
    assert run_counts(store, first.run_id)["n_failed"] == 1

    status, error, n_calls = rows(
        store,
        "SELECT e.status, e.error, e.n_model_calls FROM extractions e "
        "JOIN documents d USING (doc_id) WHERE d.origin LIKE '%bad.txt'",
    )[0]
    assert status == "failed"
    assert "JSON" in error and "passage at 0" in error
    assert n_calls == 2  # asked, then re-asked once with the error
    calls = rows(
        store,
        "SELECT attempt, status, error IS NOT NULL FROM llm_calls "
        'WHERE response_raw LIKE \'{"labels": [{"id": 1, "metric": \' ORDER BY attempt',
    )
    assert calls == [(1, "invalid", True), (2, "invalid", True)]
    assert facts_by_origin(store, folder) == {"good.md": [1200]}

    # The model is fixed: the failed document is retried (not from the cache), the rest skipped.
    fixed = FakeBackend(echo_responder)
    second = run(store, fixed, [folder])
    assert {Path(r.origin).name: r.status for r in second.reports} == {
        "bad.txt": "done",
        "good.md": "skipped",
        "nonum.txt": "skipped",
    }
    assert len(fixed.calls) == 1 and second.counts.n_cached_calls == 0
    statuses = rows(
        store,
        "SELECT e.status FROM extractions e JOIN documents d USING (doc_id) "
        "WHERE d.origin LIKE '%bad.txt' ORDER BY e.finished_at",
    )
    assert statuses == [("superseded",), ("done",)]
    assert facts_by_origin(store, folder) == {"bad.txt": [300], "good.md": [1200]}


def test_a_model_that_always_answers_garbage_fails_documents_not_the_run(
    store: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    write_articles(folder, 3)
    (folder / "nonum.txt").write_text(NO_NUMBERS)
    summary = run(store, FakeBackend(lambda messages: "Sure! Here are the labels: none"), [folder])
    assert summary.counts.n_failed == 3 and summary.counts.n_documents == 1
    assert rows(
        store, "SELECT status, count(*), count(error) FROM extractions GROUP BY ALL ORDER BY ALL"
    ) == [("done", 1, 0), ("failed", 3, 3)]
    assert rows(store, "SELECT count(*) FROM facts") == [(0,)]
    assert run_counts(store, summary.run_id)["status"] == "finished"


def test_a_model_error_is_recorded_on_the_document(store: Database, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write_articles(folder, 2)

    def responder(messages: list[dict[str, Any]]) -> Any:
        if "100" in str(messages[-1].get("content", "")):
            return ValueError("model process died")
        return echo_responder(messages)

    summary = run(store, FakeBackend(responder), [folder])
    assert {Path(r.origin).name: r.status for r in summary.reports} == {
        "doc_00.txt": "failed",
        "doc_01.txt": "done",
    }
    errors = rows(store, "SELECT error FROM extractions WHERE status = 'failed'")
    assert len(errors) == 1 and "model process died" in errors[0][0]


# ---------------------------------------------------------------------------------------------
# Concurrency and interruption


def _facts(db: Database) -> list[tuple[Any, ...]]:
    return rows(
        db,
        "SELECT origin, metric, value, low, high, qualifier, quote, span_start, span_end "
        "FROM facts ORDER BY ALL",
    )


def test_concurrent_run_stores_the_same_claims_as_a_sequential_one(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write_articles(folder, 12)
    results = {}
    for workers in (1, 8):
        backend = CountingBackend(echo_responder, delay_s=0.05, max_concurrency=8)
        db = open_db(tmp_path / f"c{workers}.duckdb")
        try:
            summary = run(db, backend, [folder], concurrency=workers)
            results[workers] = (_facts(db), summary.counts, backend.max_in_flight)
        finally:
            db.close()
    facts_1, counts_1, in_flight_1 = results[1]
    facts_8, counts_8, in_flight_8 = results[8]
    assert len(facts_1) == 12
    assert facts_8 == facts_1
    assert counts_8 == counts_1
    assert in_flight_1 == 1
    assert 1 < in_flight_8 <= 8


def test_concurrency_is_capped_by_what_the_backend_allows(store: Database, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write_articles(folder, 6)
    backend = CountingBackend(echo_responder, delay_s=0.02, max_concurrency=1)
    summary = run(store, backend, [folder], concurrency=8)
    assert summary.counts.n_documents == 6
    assert backend.max_in_flight == 1


class GatedBackend(FakeBackend):
    """Answers document 0 at once; every other request waits until `gate` is set."""

    def __init__(self) -> None:
        super().__init__(echo_responder, max_concurrency=2)
        self.gate = threading.Event()
        self.started: list[str] = []
        self._started_lock = threading.Lock()

    def complete(self, request: LLMRequest) -> LLMResult:
        last = str(request.messages[-1]["content"])
        with self._started_lock:
            self.started.append(last)
        if "100" not in last:
            assert self.gate.wait(10), "gate never opened"
        return super().complete(request)


def test_interrupt_keeps_finished_documents_and_drops_queued_ones(
    store: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    write_articles(folder, 6)
    backend = GatedBackend()

    def interrupt(report: DocumentReport) -> None:
        # Documents 1 and 2 are in flight, 3 is queued: let the in-flight ones finish a moment
        # after the interrupt, by which time document 3 must have been dropped.
        threading.Timer(0.3, backend.gate.set).start()
        raise KeyboardInterrupt

    runner = BatchRunner(store, backend, RunOptions(concurrency=2))
    with pytest.raises(KeyboardInterrupt):
        runner.run([folder], progress=interrupt)

    (status,) = rows(store, "SELECT status FROM runs")[0]
    assert status == "interrupted"
    stored = rows(
        store,
        "SELECT d.origin, e.status FROM extractions e JOIN documents d USING (doc_id) "
        "ORDER BY d.origin",
    )
    assert [(Path(o).name, s) for o, s in stored] == [
        ("doc_00.txt", "done"),
        ("doc_01.txt", "done"),
        ("doc_02.txt", "done"),
    ]
    assert not any("103" in m for m in backend.started)  # queued, never started

    # Run again: the three stored documents are skipped, the other three done.
    resumed = run(store, FakeBackend(echo_responder), [folder])
    assert (resumed.counts.n_skipped, resumed.counts.n_documents) == (3, 3)
    assert rows(store, "SELECT count(*), count(DISTINCT doc_id) FROM facts") == [(6, 6)]


def test_editing_the_topic_file_without_a_version_bump_re_extracts(
    store: Database, tmp_path: Path
) -> None:
    from pipeline.prompts import PROMPTS_DIR

    topic = tmp_path / "mytopic.toml"
    topic.write_text((PROMPTS_DIR / "topics" / "ukraine_dprk.toml").read_text())
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("Kyiv said 40 North Korean soldiers were captured in Kursk.\n")
    first = run(store, FakeBackend(echo_responder), [folder], topic=str(topic))
    unchanged = FakeBackend(echo_responder)
    again = run(store, unchanged, [folder], topic=str(topic))
    assert (first.counts.n_documents, again.counts.n_skipped) == (1, 1)
    assert unchanged.calls == []
    topic.write_text(topic.read_text().replace('"killed", "dead"', '"killed", "slain in", "dead"'))
    edited = run(store, FakeBackend(echo_responder), [folder], topic=str(topic))
    assert (edited.counts.n_documents, edited.counts.n_skipped) == (1, 0)


def test_editing_a_prompt_file_without_a_version_bump_re_extracts(
    store: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from pipeline import prompts

    copy = tmp_path / "prompts"
    shutil.copytree(prompts.PROMPTS_DIR, copy)
    monkeypatch.setattr(prompts, "PROMPTS_DIR", copy)
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("Kyiv said 40 North Korean soldiers were captured in Kursk.\n")
    first = run(store, FakeBackend(echo_responder), [folder])
    unchanged = FakeBackend(echo_responder)
    again = run(store, unchanged, [folder])
    assert (first.counts.n_documents, again.counts.n_skipped) == (1, 1)
    assert unchanged.calls == []
    prompt = copy / "anchored_label.toml"
    text = prompt.read_text()
    version = next(line for line in text.splitlines() if line.startswith("version"))
    prompt.write_text(text.replace("You label numbers", "You label the numbers"))
    assert version in prompt.read_text()  # the version string is unchanged
    edited_backend = FakeBackend(echo_responder)
    edited = run(store, edited_backend, [folder])
    assert (edited.counts.n_documents, edited.counts.n_skipped) == (1, 0)
    # The edited words reach the model: the call is new, not replayed from the cache.
    assert len(edited_backend.calls) == 1
    assert "You label the numbers" in edited_backend.calls[0]["messages"][0]["content"]
