"""Schema migrations: recorded on a fresh file, applied to an old one, refused from a newer one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from pipeline import cli
from pipeline.store import migrations
from pipeline.store.db import open_db
from pipeline.store.migrations import (
    LATEST_VERSION,
    MIGRATIONS,
    Migration,
    NewerDatabaseError,
    migrate,
    stored_version,
)

pytestmark = pytest.mark.usefixtures("quiet_cli_logging")

DOC_ID = "d" * 64


def recorded(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str]]:
    return con.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()


def view_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    return {name for (name,) in rows}


def make_v1_database(path: Path) -> None:
    """A file as the first spanfact release left it: migration 1 only, with one verified claim."""
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    first = MIGRATIONS[0]
    first.apply(con)
    con.execute(
        "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [first.version, first.name]
    )
    con.execute(
        "INSERT INTO documents (doc_id, origin, text, n_chars) VALUES (?, 'old.txt', ?, 42)",
        [DOC_ID, "Seoul said 300 North Korean troops died."],
    )
    provenance = ["fake", "anchored", "ukraine_dprk@1", "anchored_label", "1", "1"]
    con.execute(
        "INSERT INTO runs (run_id, started_at, status, command, model, strategy, topic, "
        "prompt_name, prompt_version, schema_version) "
        "VALUES ('r1', TIMESTAMP '2024-11-05 10:00:00', 'finished', 'run', ?, ?, ?, ?, ?, ?)",
        provenance,
    )
    con.execute(
        "INSERT INTO extractions (extraction_id, doc_id, config_key, run_id, model, strategy, "
        "topic, prompt_name, prompt_version, schema_version, status, n_claims) "
        "VALUES ('e1', ?, 'k', 'r1', ?, ?, ?, ?, ?, ?, 'done', 1)",
        [DOC_ID, *provenance],
    )
    con.execute(
        "INSERT INTO claims (claim_id, extraction_id, doc_id, run_id, idx, status, metric, value, "
        "qualifier, quote, span_start, span_end, model, strategy, prompt_name, prompt_version, "
        "schema_version) VALUES ('e1-0', 'e1', ?, 'r1', 0, 'verified', 'killed', 300, 'exact', "
        "'Seoul said 300 North Korean troops died.', 0, 40, 'fake', 'anchored', "
        "'anchored_label', '1', '1')",
        [DOC_ID],
    )
    con.close()


def make_newer_database(path: Path) -> None:
    db = open_db(path)
    db.con.execute(
        "INSERT INTO schema_migrations (version, name) VALUES (?, 'from the future')",
        [LATEST_VERSION + 1],
    )
    db.close()


def test_a_fresh_database_records_every_migration(tmp_path: Path) -> None:
    db = open_db(tmp_path / "fresh.duckdb")
    try:
        assert recorded(db.con) == [(m.version, m.name) for m in MIGRATIONS]
        assert [m.version for m in MIGRATIONS] == list(range(1, LATEST_VERSION + 1))
        assert {"facts", "latest_figures", "rejected_claims"} <= view_names(db.con)
    finally:
        db.close()
    # Opening again applies nothing twice.
    again = open_db(tmp_path / "fresh.duckdb")
    try:
        assert recorded(again.con) == [(m.version, m.name) for m in MIGRATIONS]
        assert migrate(again.con) == []
    finally:
        again.close()


def test_an_old_database_is_upgraded_on_open_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    make_v1_database(path)

    db = open_db(path)
    try:
        assert [v for v, _ in recorded(db.con)] == list(range(1, LATEST_VERSION + 1))
        assert db.con.execute("SELECT doc_id, origin, n_chars FROM documents").fetchall() == [
            (DOC_ID, "old.txt", 42)
        ]
        # The view added by migration 2 sees the claim stored before it existed.
        assert db.con.execute("SELECT claim_id, metric, value, origin FROM facts").fetchall() == [
            ("e1-0", "killed", 300, "old.txt")
        ]
        assert db.con.execute("SELECT metric, value FROM latest_figures").fetchall() == [
            ("killed", 300)
        ]
    finally:
        db.close()


def test_an_old_database_is_upgraded_by_read_only_commands_too(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    make_v1_database(path)
    out = tmp_path / "facts.jsonl"
    result = CliRunner().invoke(
        cli.app, ["export", str(out), "--format", "jsonl", "--db", str(path)]
    )
    assert result.exit_code == 0, result.output
    assert "wrote 1 facts" in result.stderr
    assert '"claim_id":"e1-0"' in out.read_text()
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert stored_version(con) == LATEST_VERSION
    finally:
        con.close()


def test_a_failing_migration_is_rolled_back_and_not_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "db.duckdb"
    open_db(path).close()

    def broken(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("CREATE TABLE half_done (a INTEGER)")
        raise RuntimeError("migration bug")

    monkeypatch.setattr(
        migrations, "MIGRATIONS", (*MIGRATIONS, Migration(LATEST_VERSION + 1, "broken", broken))
    )
    with pytest.raises(RuntimeError, match="migration bug"):
        open_db(path)
    con = duckdb.connect(str(path), read_only=True)  # also proves the failed open let go
    try:
        assert stored_version(con) == LATEST_VERSION
        tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert "half_done" not in tables
    finally:
        con.close()


def test_a_newer_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "newer.duckdb"
    make_newer_database(path)
    with pytest.raises(NewerDatabaseError, match=f"schema version {LATEST_VERSION + 1}") as info:
        open_db(path)
    assert "upgrade spanfact" in str(info.value)
    # The refused connection was closed: the file can be opened at once with other settings.
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert stored_version(con) == LATEST_VERSION + 1
        assert len(recorded(con)) == LATEST_VERSION + 1
    finally:
        con.close()


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli.app, list(args), env={"COLUMNS": "200"})


def test_the_cli_refuses_to_write_a_newer_database(tmp_path: Path) -> None:
    path = tmp_path / "newer.duckdb"
    make_newer_database(path)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Seoul said 300 North Korean troops died in Kursk.\n")

    result = invoke("run", str(folder), "--model", "fake", "--db", str(path))
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert f"schema version {LATEST_VERSION + 1}, newer than this spanfact knows" in message
    assert "Traceback" not in result.output
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM runs").fetchone() == (0,)
    finally:
        con.close()

    write = invoke("sql", "DELETE FROM claims", "--db", str(path), "--write")
    assert write.exit_code == 2
    assert "newer than this spanfact knows" in " ".join(write.stderr.split())


def test_the_cli_still_reads_a_newer_database(tmp_path: Path) -> None:
    # Reading cannot break a file, so `sql` without --write works on a newer schema.
    path = tmp_path / "newer.duckdb"
    make_newer_database(path)
    result = invoke(
        "sql",
        "SELECT max(version) AS v FROM schema_migrations",
        "--db",
        str(path),
        "--format",
        "csv",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == ["v", str(LATEST_VERSION + 1)]
