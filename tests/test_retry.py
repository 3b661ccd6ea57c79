"""Issue 14, item 10: Retry-After is honoured (bounded); timeout and retries are options.

Over real loopback HTTP against the scripted stub server.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import openai
import pytest
from typer.testing import CliRunner

from bench.stub_server import Scripted, StubServer
from pipeline import cli
from pipeline.backends.instructed import retry_after_seconds
from pipeline.backends.openai_compat import OpenAIBackend
from pipeline.run import BatchRunner, RunOptions
from pipeline.store.db import Database, open_db
from tests.batch_inputs import write_articles


def status_error(status: int, headers: dict[str, str]) -> openai.APIStatusError:
    # Built by hand: the HTTP client behind the SDK varies between openai releases.
    exc = openai.APIStatusError.__new__(openai.APIStatusError)
    exc.status_code = status
    exc.response = SimpleNamespace(headers=headers)  # type: ignore[assignment]
    return exc


def test_retry_after_is_read_in_seconds_milliseconds_and_dates() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    date = format_datetime(now + timedelta(seconds=7), usegmt=True)
    assert retry_after_seconds(status_error(429, {"retry-after": "3"})) == 3.0
    assert retry_after_seconds(status_error(503, {"retry-after-ms": "250"})) == 0.25
    assert retry_after_seconds(status_error(429, {"retry-after": date}), now=now) == 7.0
    assert retry_after_seconds(status_error(429, {})) is None
    assert retry_after_seconds(status_error(500, {"retry-after": "3"})) is None
    assert retry_after_seconds(status_error(429, {"retry-after": "soon"})) is None


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Database]:
    database = open_db(tmp_path / "r.duckdb")
    yield database
    database.close()


def run_one(store: Database, folder: Path, backend: OpenAIBackend) -> Any:
    return BatchRunner(store, backend, RunOptions(use_cache=False)).run([folder])


@pytest.fixture(autouse=True)
def stub_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "stub")
    monkeypatch.setenv("SPANFACT_RESPONSE_FORMAT", "llamacpp")


def test_a_429_with_retry_after_waits_as_asked_and_logs_each_attempt(
    store: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_articles(tmp_path / "in", 1)
    script = [Scripted(429, {"Retry-After": "2"}), Scripted(503, {"Retry-After": "0"})]
    with StubServer(delay_s=0, script=script) as base_url:
        backend = OpenAIBackend("stub", base_url=base_url)
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="pipeline.backends.instructed"):
            summary = run_one(store, tmp_path / "in", backend)
        elapsed = time.monotonic() - started
    # Backoff alone would wait 0.5-1.5 s before the second attempt; the server asked for 2.
    assert 2.0 <= elapsed < 5.0
    assert (summary.counts.n_documents, summary.counts.n_claims) == (1, 1)
    messages = [r.getMessage() for r in caplog.records]
    assert any("attempt 1 of 4, retrying in 2.0 s" in m for m in messages), messages
    assert any("attempt 2 of 4, retrying in 0.0 s" in m for m in messages), messages
    attempts = store.read("SELECT attempt, status FROM llm_calls ORDER BY attempt")
    assert attempts == [(1, "error"), (2, "error"), (3, "ok")]


def test_a_huge_retry_after_is_bounded(store: Database, tmp_path: Path) -> None:
    write_articles(tmp_path / "in", 1)
    with StubServer(delay_s=0, script=[Scripted(429, {"Retry-After": "3600"})]) as base_url:
        backend = OpenAIBackend("stub", base_url=base_url, max_retry_after_s=0.3)
        started = time.monotonic()
        summary = run_one(store, tmp_path / "in", backend)
    assert time.monotonic() - started < 3
    assert summary.counts.n_documents == 1


def test_max_retries_and_timeout_are_options_and_env_vars(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "_setup_logging", lambda verbose: None)
    write_articles(tmp_path / "in", 1)
    runner = CliRunner()
    db = tmp_path / "c.duckdb"
    args = ["run", str(tmp_path / "in"), "--model", "openai:stub", "--db", str(db), "--no-cache"]
    with StubServer(delay_s=0, script=[Scripted(429, {"Retry-After": "0"})] * 2) as base_url:
        monkeypatch.setenv("OPENAI_BASE_URL", base_url)
        result = runner.invoke(cli.app, args, env={"SPANFACT_MAX_RETRIES": "1"})
    assert result.exit_code == 1, result.output  # two attempts, both refused: failed
    with StubServer(delay_s=2.0) as base_url:
        monkeypatch.setenv("OPENAI_BASE_URL", base_url)
        started = time.monotonic()
        result = runner.invoke(cli.app, [*args, "--timeout", "0.2", "--max-retries", "0"])
    assert result.exit_code == 1, result.output
    assert time.monotonic() - started < 1.9
    rows = open_db(db, read_only=True)
    try:
        calls = rows.read(
            "SELECT attempt, status, error FROM llm_calls ORDER BY created_at, attempt"
        )
    finally:
        rows.close()
    assert [(a, s) for a, s, _ in calls] == [(1, "error"), (2, "error"), (1, "error")]
    assert "Timeout" in calls[-1][2]
