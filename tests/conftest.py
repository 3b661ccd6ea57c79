"""Shared fixtures: a fake model, a throwaway database, the topic of the first corpus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.store.db import Database, open_db
from pipeline.topic import Topic, load_topic

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "data" / "articles"
GOLD = ROOT / "evals" / "gold"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_db(tmp_path / "test.duckdb")
    yield database
    database.close()


@pytest.fixture
def topic() -> Topic:
    return load_topic()


@pytest.fixture
def quiet_cli_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    """For modules that invoke the CLI in-process: `run` reconfigures the root logger for a
    terminal, and in-process that would outlive the test. Modules opt in with
    `pytestmark = pytest.mark.usefixtures("quiet_cli_logging")`."""
    from pipeline import cli

    monkeypatch.setattr(cli, "_setup_logging", lambda verbose: None)
