"""Hostile input, end to end: each file in tests/hostile/ is run through the CLI or the batch job.

Issue 14 found these by probing as a new user would; every test here failed before its fix.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from pipeline import cli
from pipeline.ingest import InputStatus, iter_inputs
from tests.cli_helpers import cli_invoker
from tests.store_helpers import stored_rows

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = Path(__file__).resolve().parent / "hostile"

pytestmark = pytest.mark.usefixtures("quiet_cli_logging")


@pytest.fixture
def invoke() -> Callable[..., Result]:
    return cli_invoker(columns=250)


def one_line(text: str) -> str:
    """rich wraps and pads; compare words, not layout."""
    return " ".join(text.split())


@pytest.fixture
def store(invoke: Any, tmp_path: Path) -> Path:
    """A database holding the facts of the bracket article."""
    path = tmp_path / "store.duckdb"
    result = invoke("run", str(HOSTILE / "brackets.txt"), "--model", "fake", "--db", str(path))
    assert result.exit_code == 0, result.output
    return path


# --- 1. square brackets are data, not markup ------------------------------------------------


def test_brackets_in_an_article_print_literally_and_the_run_completes(
    invoke: Any, tmp_path: Path
) -> None:
    db = tmp_path / "b.duckdb"
    result = invoke("run", str(HOSTILE / "brackets.txt"), "--model", "fake", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert "[NIS] said 300" in one_line(result.output)
    assert stored_rows(db, "SELECT count(*) FROM extractions WHERE status = 'done'") == [(1,)]


def test_a_problem_report_with_brackets_in_the_path_prints_literally(
    invoke: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "[bold] empty.txt").write_text("")
    shutil.copy(HOSTILE / "brackets.txt", folder / "z.txt")
    result = invoke("run", str(folder), "--model", "fake", "--db", str(tmp_path / "p.duckdb"))
    assert result.exit_code == 0, result.output
    assert "[bold] empty.txt: empty (0 bytes)" in one_line(result.output)


def test_sql_prints_brackets_literally(invoke: Any, store: Path) -> None:
    result = invoke("sql", "SELECT 'a [bold]b' AS x, quote FROM facts", "--db", str(store))
    assert result.exit_code == 0, result.output
    text = one_line(result.output)
    assert "a [bold]b" in text
    assert "[/b] [bold red]so far[/]." in text


def test_eval_compare_keeps_its_per_metric_labels(invoke: Any, tmp_path: Path) -> None:
    db = str(tmp_path / "eval.duckdb")
    articles, gold = str(ROOT / "data" / "articles"), str(ROOT / "evals" / "gold")
    ids = []
    for _ in range(2):
        result = invoke(
            "eval", "--model", "fake", "--db", db, "--json", "--articles", articles, "--gold", gold
        )
        assert result.exit_code == 0, result.output
        ids.append(json.loads(result.stdout)["eval_id"])
    result = invoke("eval", "--compare", ids[0], ids[1], "--db", db)
    assert result.exit_code == 0, result.output
    assert "f1[killed]" in result.output


# --- 8. one-line errors, exit code 2 ----------------------------------------------------------


def assert_one_line_error(result: Result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    text = one_line(result.output)
    assert text.startswith("error:"), result.output
    for word in words:
        assert word in text


def run_into(invoke: Any, db: Path, *extra: str) -> Result:
    return invoke("run", str(HOSTILE / "brackets.txt"), "--model", "fake", "--db", str(db), *extra)


def test_a_garbage_database_file_is_a_one_line_error(invoke: Any, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(os.urandom(5000))
    assert_one_line_error(run_into(invoke, garbage), "cannot open the database", "--db")


def test_a_directory_as_database_is_a_one_line_error(invoke: Any, tmp_path: Path) -> None:
    assert_one_line_error(run_into(invoke, tmp_path), "cannot open the database")


def test_a_database_path_under_a_file_is_a_one_line_error(invoke: Any, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    assert_one_line_error(
        run_into(invoke, tmp_path / "file" / "db.duckdb"), "cannot open the database"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes regardless of permissions")
def test_a_database_in_a_read_only_folder_is_a_one_line_error(invoke: Any, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert_one_line_error(run_into(invoke, folder / "db.duckdb"), "cannot open the database")
    finally:
        folder.chmod(0o700)


def test_max_bytes_zero_is_a_one_line_error(invoke: Any, tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    assert_one_line_error(run_into(invoke, db, "--max-bytes", "0"), "--max-bytes")
    assert not db.exists()


@pytest.mark.parametrize("statement", ["", "   "])
def test_an_empty_sql_statement_is_a_one_line_error(
    invoke: Any, store: Path, statement: str
) -> None:
    assert_one_line_error(invoke("sql", statement, "--db", str(store)), "give a SQL statement")


def test_a_comment_only_sql_statement_prints_nothing(invoke: Any, store: Path) -> None:
    result = invoke("sql", "/* nothing */", "--db", str(store), "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


# --- 9. exit codes ------------------------------------------------------------------------------


def test_a_run_over_a_missing_path_exits_3(invoke: Any, tmp_path: Path) -> None:
    result = invoke(
        "run", str(tmp_path / "nope.txt"), "--model", "fake", "--db", str(tmp_path / "x.duckdb")
    )
    assert result.exit_code == cli.EXIT_NOTHING == 3, result.output
    assert "nothing could be processed" in one_line(result.output)


def test_a_run_where_every_input_is_bad_exits_3(invoke: Any, tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "empty.txt").write_text("")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02" * 10)
    result = invoke("run", str(folder), "--model", "fake", "--db", str(tmp_path / "x.duckdb"))
    assert result.exit_code == 3, result.output


def test_a_run_with_some_bad_inputs_exits_0_and_reports_them(invoke: Any, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "empty.txt").write_text("")
    shutil.copy(HOSTILE / "brackets.txt", folder / "good.txt")
    db = tmp_path / "x.duckdb"
    result = invoke(
        "run", str(folder), str(tmp_path / "missing.txt"), "--model", "fake", "--db", str(db)
    )
    assert result.exit_code == 0, result.output
    text = one_line(result.output)
    assert "empty.txt: empty" in text and "missing.txt: no such file" in text
    assert stored_rows(db, "SELECT n_documents, n_bad_inputs FROM runs") == [(1, 2)]


def test_a_second_run_that_only_skips_exits_0(invoke: Any, store: Path) -> None:
    assert run_into(invoke, store).exit_code == 0


def test_the_exit_codes_are_documented() -> None:
    readme = (ROOT / "README.md").read_text()
    for code in (cli.EXIT_OK, cli.EXIT_FAILED, cli.EXIT_USAGE, cli.EXIT_NOTHING, 130):
        assert f"| {code} |" in readme


# --- 11. read-only SQL writes nothing anywhere ----------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "COPY (SELECT * FROM facts) TO '{out}'",
        "ATTACH '{out}' AS other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SELECT * FROM read_csv('{secret}')",
        "SELECT * FROM read_text('{secret}')",
        "SET enable_external_access = true",
    ],
)
def test_read_only_sql_refuses_every_file_access(
    invoke: Any, store: Path, tmp_path: Path, statement: str
) -> None:
    out = tmp_path / "leak.csv"
    secret = tmp_path / "secret.csv"
    secret.write_text("a,b\n1,2\n")
    result = invoke("sql", statement.format(out=out, secret=secret), "--db", str(store))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not out.exists()
    assert "1,2" not in result.output


def test_sql_write_may_copy_to_a_file(invoke: Any, store: Path, tmp_path: Path) -> None:
    out = tmp_path / "copy.csv"
    result = invoke(
        "sql", f"COPY (SELECT value FROM facts) TO '{out}'", "--db", str(store), "--write"
    )
    assert result.exit_code == 0, result.output
    assert out.read_text().split() == ["value", "300"]


# --- also: export format from the suffix, CSV line endings -----------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [("x.csv", "csv"), ("x.jsonl", "jsonl"), ("x.parquet", "parquet"), ("x.out", "parquet")],
)
def test_export_takes_the_format_from_the_suffix(
    invoke: Any, store: Path, tmp_path: Path, name: str, kind: str
) -> None:
    out = tmp_path / name
    result = invoke("export", str(out), "--db", str(store))
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    if kind == "parquet":
        assert data[:4] == b"PAR1"
    elif kind == "csv":
        assert b"\r\n" not in data
        parsed = list(csv.DictReader(io.StringIO(data.decode())))
        assert [r["value"] for r in parsed] == ["300"]
    else:
        assert json.loads(data.decode().splitlines()[0])["value"] == 300


def test_export_format_option_wins_over_the_suffix(
    invoke: Any, store: Path, tmp_path: Path
) -> None:
    out = tmp_path / "x.csv"
    assert invoke("export", str(out), "--db", str(store), "--format", "jsonl").exit_code == 0
    assert json.loads(out.read_text().splitlines()[0])["value"] == 300


def test_sql_csv_lines_end_with_newline_only(invoke: Any, store: Path) -> None:
    result = invoke("sql", "SELECT value, quote FROM facts", "--db", str(store), "-f", "csv")
    assert result.exit_code == 0, result.output
    assert "\r" not in result.stdout
    assert result.stdout.endswith("\n")


# --- 7. HTML is sniffed by content ------------------------------------------------------------


@pytest.mark.parametrize("name", ["scraped_page.txt", "scraped_fragment.md"])
def test_html_without_a_doctype_is_read_as_html(name: str) -> None:
    (item,) = list(iter_inputs([HOSTILE / name]))
    assert item.status is InputStatus.ok and item.document is not None
    text = item.document.text
    assert "300 North Korean troops were killed" in text
    for script_number in ("9876", "5432", "4,321", "1234", "7,777", "<p>", "700px"):
        assert script_number not in text


def test_markdown_with_a_little_inline_html_stays_plain_text(tmp_path: Path) -> None:
    md = tmp_path / "a.md"
    md.write_text("# Title\n\nSome <b>bold</b> text with 300 troops.\n\nA second paragraph<br>\n")
    (item,) = list(iter_inputs([md]))
    assert item.document is not None
    assert item.document.text.startswith("# Title\n\nSome <b>bold</b>")


def test_a_scraped_page_stores_no_script_numbers(invoke: Any, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    result = invoke("run", str(HOSTILE / "scraped_page.txt"), "--model", "fake", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert stored_rows(db, "SELECT value FROM claims") == [(300,)]


# --- 2 and 3. linear time, bounded requests ----------------------------------------------------


def one_long_paragraph(n_chars: int) -> str:
    """A scraped page without breaks: one line, numbers throughout, on topic."""
    words = ["Russia", "said", "North", "Korean", "troops", "were", "killed", "near", "Kursk"]
    out: list[str] = []
    size = 0
    i = 0
    while size < n_chars:
        word = words[i % len(words)] + (f" {100 + i % 800}" if i % 17 == 0 else "")
        out.append(word)
        size += len(word) + 1
        i += 1
    return " ".join(out)[:n_chars]


def test_a_40_kb_paragraph_is_extracted_in_seconds_not_minutes() -> None:
    from pipeline.backends.fake import FakeBackend, echo_responder
    from pipeline.extract import create_strategy
    from pipeline.grounding import claim_checker
    from pipeline.topic import load_topic

    text = one_long_paragraph(40_000)
    backend = FakeBackend(echo_responder)
    topic = load_topic()
    started = time.perf_counter()
    create_strategy("anchored", backend, topic, check=claim_checker(topic)).extract(text)
    # It took 82 s (quadratic in the paragraph); now about half a second on 2 shared cores.
    assert time.perf_counter() - started < 10
    assert len(backend.calls) > 10  # sent in bounded pieces, not as one request


@pytest.mark.parametrize("strategy", ["anchored", "whole"])
def test_no_request_outgrows_the_context_whatever_the_sentence_length(strategy: str) -> None:
    from pipeline.backends.fake import FakeBackend, echo_responder
    from pipeline.extract import create_strategy
    from pipeline.grounding import claim_checker
    from pipeline.topic import load_topic

    text = one_long_paragraph(200_000)  # one 200 KB "sentence": 43,342 tokens asked before
    backend = FakeBackend(echo_responder)
    topic = load_topic()
    create_strategy(strategy, backend, topic, check=claim_checker(topic)).extract(text)
    longest = max(len(str(m["content"])) for call in backend.calls for m in call["messages"])
    assert longest < 12_000  # characters: well under a 4,096-token context with the prompt


def test_sentences_are_bounded_and_cover_long_lines_in_order() -> None:
    from pipeline.text.sentences import MAX_SENTENCE_CHARS, split_sentences

    text = one_long_paragraph(50_000) + "\n\nA short one. And 5 000 troops."
    sentences = split_sentences(text)
    assert max(s.end - s.start for s in sentences) <= MAX_SENTENCE_CHARS
    assert all(a.end <= b.start for a, b in itertools.pairwise(sentences))
    assert all(text[s.start : s.end] == s.text for s in sentences)
    assert sum(len(s.text) for s in sentences) >= 49_000  # nothing of the line is lost
    assert "5 000 troops." in sentences[-1].text  # a grouped number is never cut


def test_long_document_bench_prints_seconds_per_size() -> None:
    from bench.long_docs import main

    assert main(["--sizes", "10000", "20000", "--shapes", "paragraph"]) == 0


# --- 12. non-English articles are reported --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "says"), [("korean.txt", "Hangul"), ("ukrainian.txt", "Cyrillic"), ("german.txt", "")]
)
def test_a_non_english_article_is_reported_not_silently_empty(
    invoke: Any, tmp_path: Path, name: str, says: str
) -> None:
    db = tmp_path / "l.duckdb"
    result = invoke("run", str(HOSTILE / name), "--model", "fake", "--db", str(db))
    assert result.exit_code == 0, result.output
    text = one_line(result.output)
    assert f"note {HOSTILE / name}:" in text and says in text
    assert "1 document(s) seem not to be in English" in text
    (message,) = stored_rows(db, "SELECT message FROM run_inputs")[0]
    assert "topic's terms" in message


def test_english_articles_get_no_language_note() -> None:
    from pipeline.language import non_english_note

    for path in [*(ROOT / "data" / "articles").glob("*.txt"), HOSTILE / "brackets.txt"]:
        assert non_english_note(path.read_text()) is None, path
