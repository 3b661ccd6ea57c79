"""The `spanfact` command line: help, read-only SQL, export formats and clear errors."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from typer.testing import Result

from pipeline.backends.fake import FakeBackend, echo_responder
from pipeline.run import BatchRunner, RunOptions
from pipeline.store.db import open_db
from tests.cli_helpers import cli_invoker
from tests.store_helpers import scalar

ARTICLES = {
    "seoul.txt": "South Korea's spy agency said 300 North Korean troops were killed in Kursk.\n",
    # Commas and double quotes in the quote: CSV output must escape them.
    "kyiv.md": 'Ukraine said "about 1,500" North Korean soldiers were wounded, near Kursk.\n',
    "feed.jsonl": '{"text": "Russia received 20,000 artillery shells from North Korea."}\n',
    "nonum.txt": "Kyiv officials met on Tuesday to talk about Russia.\n",
}
N_FACTS = 3


pytestmark = pytest.mark.usefixtures("quiet_cli_logging")


@pytest.fixture
def invoke() -> Callable[..., Result]:
    return cli_invoker(columns=200)


def write_articles(path: Path) -> Path:
    path.mkdir()
    for name, text in ARTICLES.items():
        (path / name).write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_articles(tmp_path / "articles")


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the facts of ARTICLES, written through the library (fake model).

    Shared by the tests of this module, which only read it; a test that writes takes a copy.
    """
    root = tmp_path_factory.mktemp("cli")
    folder = write_articles(root / "articles")
    path = root / "store.duckdb"
    db = open_db(path)
    try:
        summary = BatchRunner(db, FakeBackend(echo_responder), RunOptions()).run([folder])
    finally:
        db.close()
    assert summary.counts.n_claims == N_FACTS
    return path


# ---------------------------------------------------------------------------------------------
# Help


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            "run",
            [
                "--model",
                "--db",
                "--force",
                "--no-cache",
                "--concurrency",
                "--max-bytes",
                "--strategy",
                "skips what is done",
                "fake (tests)",
            ],
        ),
        ("eval", ["--articles", "--gold", "--model", "--compare", "--min-f1", "gold set"]),
        ("sql", ["--format", "table | csv | json", "--write", "--db", "Read-only unless"]),
        ("export", ["--format", "parquet | csv | jsonl", "--db", "verified facts"]),
    ],
)
def test_help_explains_each_command(invoke: Any, command: str, expected: list[str]) -> None:
    result = invoke(command, "--help")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # rich wraps and pads; compare words, not layout
    for word in expected:
        assert word in text, (command, word)


def test_top_level_help_lists_every_command(invoke: Any) -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("run", "eval", "sql", "export"):
        assert f" {command} " in result.output


# ---------------------------------------------------------------------------------------------
# run


def test_run_stores_and_prints_facts_then_skips_on_a_second_run(
    invoke: Any, folder: Path, tmp_path: Path
) -> None:
    db = tmp_path / "cli.duckdb"
    first = invoke("run", str(folder), "--model", "fake", "--db", str(db))
    assert first.exit_code == 0, first.output
    assert f"{N_FACTS} facts (verified claims)" in first.stdout
    assert "20,000" in first.stdout and "1,500" in first.stdout
    assert scalar(db, "SELECT count(*) FROM facts") == N_FACTS

    second = invoke("run", str(folder), "--model", "fake", "--db", str(db))
    assert second.exit_code == 0, second.output
    assert "0 model calls" in second.stderr
    # The facts of the documents the run touched are printed even though all were skipped.
    assert f"{N_FACTS} facts (verified claims)" in second.stdout
    assert scalar(db, "SELECT count(*) FROM facts") == N_FACTS
    assert scalar(db, "SELECT list(n_skipped ORDER BY started_at) FROM runs") == [0, 4]


def test_unknown_model_is_a_clear_error_and_creates_no_database(
    invoke: Any, folder: Path, tmp_path: Path
) -> None:
    db = tmp_path / "typo.duckdb"
    result = invoke("run", str(folder), "--model", "gpt5", "--db", str(db))
    assert result.exit_code == 2
    assert "unknown --model 'gpt5'" in result.stderr
    assert "openai:NAME" in result.stderr  # says what would have been valid
    assert "Traceback" not in result.output
    assert not db.exists()


def test_unknown_strategy_is_a_clear_error(invoke: Any, folder: Path, tmp_path: Path) -> None:
    result = invoke(
        "run",
        str(folder),
        "--model",
        "fake",
        "--strategy",
        "magic",
        "--db",
        str(tmp_path / "x.duckdb"),
    )
    assert result.exit_code == 2
    assert "unknown --strategy 'magic'" in result.stderr


# ---------------------------------------------------------------------------------------------
# sql


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO documents (doc_id, origin, text, n_chars) VALUES ('x', 'y', 'z', 1)",
        "CREATE TABLE notes (a INTEGER)",
        "DELETE FROM claims",
    ],
)
def test_sql_is_read_only_unless_asked(invoke: Any, db_path: Path, statement: str) -> None:
    claims_before = scalar(db_path, "SELECT count(*) FROM claims")
    result = invoke("sql", statement, "--db", str(db_path))
    assert result.exit_code == 2
    assert "read-only" in result.stderr and "--write" in result.stderr
    assert "Traceback" not in result.output
    assert scalar(db_path, "SELECT count(*) FROM claims") == claims_before
    assert scalar(db_path, "SELECT count(*) FROM documents") == len(ARTICLES)
    assert scalar(db_path, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'notes'") == 0


def test_sql_write_allows_changes(invoke: Any, db_path: Path, tmp_path: Path) -> None:
    own = tmp_path / "own.duckdb"
    shutil.copy(db_path, own)
    result = invoke("sql", "CREATE TABLE notes (a INTEGER)", "--db", str(own), "--write")
    assert result.exit_code == 0, result.output
    assert scalar(own, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'notes'") == 1


def test_sql_csv_output_parses(invoke: Any, db_path: Path) -> None:
    result = invoke(
        "sql",
        "SELECT doc_id, value, quote FROM facts ORDER BY value",
        "--db",
        str(db_path),
        "--format",
        "csv",
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["doc_id", "value", "quote"]
    assert [int(r[1]) for r in rows[1:]] == [300, 1500, 20000]
    assert rows[2][2] == ARTICLES["kyiv.md"].strip()  # commas and quotes survive


def test_sql_json_output_parses(invoke: Any, db_path: Path) -> None:
    result = invoke(
        "sql",
        "SELECT metric, value, extracted_at FROM facts ORDER BY value",
        "--db",
        str(db_path),
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["metric"], r["value"]) for r in rows] == [
        ("other", 300),
        ("other", 1500),
        ("other", 20000),
    ]
    assert all(isinstance(r["extracted_at"], str) for r in rows)  # timestamps as text


def test_sql_table_output_shows_rows(invoke: Any, db_path: Path) -> None:
    result = invoke("sql", "SELECT value FROM facts ORDER BY value", "--db", str(db_path))
    assert result.exit_code == 0
    assert [v for v in ("300", "1500", "20000") if v in result.stdout] == ["300", "1500", "20000"]


def test_sql_on_a_missing_database_is_a_clear_error(invoke: Any, tmp_path: Path) -> None:
    missing = tmp_path / "nope.duckdb"
    result = invoke("sql", "SELECT 1", "--db", str(missing))
    assert result.exit_code == 2
    assert f"no database at {missing}" in " ".join(result.stderr.split())
    assert not missing.exists()  # a read must not create the file


def test_sql_error_is_one_clear_line(invoke: Any, db_path: Path) -> None:
    result = invoke("sql", "SELECT * FROM no_such_table", "--db", str(db_path))
    assert result.exit_code == 2
    assert "no_such_table does not exist" in result.stderr
    assert "Traceback" not in result.output


def test_sql_rejects_an_unknown_format(invoke: Any, db_path: Path) -> None:
    result = invoke("sql", "SELECT 1", "--db", str(db_path), "--format", "yaml")
    assert result.exit_code == 2
    assert "--format must be table, csv or json" in result.stderr


# ---------------------------------------------------------------------------------------------
# export


def read_export(path: Path, fmt: str) -> list[dict[str, Any]]:
    if fmt == "parquet":
        rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
        return rows
    if fmt == "csv":
        with path.open(newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_export_writes_every_fact(invoke: Any, db_path: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "out" / f"facts.{fmt}"
    result = invoke("export", str(out), "--format", fmt, "--db", str(db_path))
    assert result.exit_code == 0, result.output
    n_facts = scalar(db_path, "SELECT count(*) FROM facts")
    assert n_facts == N_FACTS
    assert f"wrote {n_facts} facts" in result.stderr

    rows = read_export(out, fmt)
    assert len(rows) == n_facts
    for column in (
        "claim_id",
        "doc_id",
        "origin",
        "metric",
        "value",
        "quote",
        "span_start",
        "span_end",
        "model",
        "prompt_version",
        "schema_version",
        "run_id",
    ):
        assert column in rows[0], (fmt, column)
    ids = scalar(db_path, "SELECT list(claim_id ORDER BY claim_id) FROM facts")
    assert sorted(r["claim_id"] for r in rows) == ids
    assert sorted(int(r["value"]) for r in rows) == [300, 1500, 20000]
    assert ARTICLES["kyiv.md"].strip() in {r["quote"] for r in rows}


def test_export_rejects_an_unknown_format(invoke: Any, db_path: Path, tmp_path: Path) -> None:
    result = invoke("export", str(tmp_path / "f.xlsx"), "--format", "xlsx", "--db", str(db_path))
    assert result.exit_code == 2
    assert "--format must be one of parquet, csv, jsonl" in result.stderr


def test_export_from_a_missing_database_is_a_clear_error(invoke: Any, tmp_path: Path) -> None:
    result = invoke(
        "export", str(tmp_path / "f.csv"), "--format", "csv", "--db", str(tmp_path / "nope.duckdb")
    )
    assert result.exit_code == 2
    assert "no database at" in result.stderr


def test_export_to_an_unwritable_place_is_a_clear_error(
    invoke: Any, db_path: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    result = invoke("export", str(blocker / "facts.csv"), "--format", "csv", "--db", str(db_path))
    assert result.exit_code == 2
    assert "cannot write" in result.stderr
    assert "Traceback" not in result.output


def test_eval_scores_with_a_topic_file_outside_prompts(
    invoke: Callable[..., Result], tmp_path: Path
) -> None:
    # The run records only the topic's name; the scorer must load the file it was given.
    topic = tmp_path / "my_war.toml"
    topic.write_text(
        'name = "my_war"\nversion = "1"\ndescription = "the war"\n'
        'topic_terms = ["korea", "kursk"]\n[metrics]\nkilled = "people killed"\n',
        encoding="utf-8",
    )
    root = Path(__file__).resolve().parents[1]
    result = invoke(
        "eval", "--model", "fake", "--db", str(tmp_path / "e.duckdb"), "--json",
        "--articles", str(root / "data" / "articles"), "--gold", str(root / "evals" / "gold"),
        "--topic", str(topic),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n_gold"] == 21
