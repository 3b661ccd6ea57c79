"""Opening the DuckDB file: migrations on open, one writer at a time, thread-safe access."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipeline.store.migrations import LATEST_VERSION, migrate, stored_version

DEFAULT_DB = Path("data/spanfact.duckdb")


class DatabaseLockedError(RuntimeError):
    """Another process holds the database file open for writing."""


class Database:
    """A DuckDB connection shared by worker threads behind one lock.

    DuckDB connections are not safe to use from several threads at once, and the writes are tiny
    next to model calls, so serialising them costs nothing measurable.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path | None) -> None:
        self.con = con
        self.path = path
        self.lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.lock:
            self.con.execute("BEGIN TRANSACTION")
            try:
                yield self.con
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            self.con.execute("COMMIT")

    def close(self) -> None:
        with self.lock:
            self.con.close()


def open_db(path: Path | str | None = DEFAULT_DB, *, read_only: bool = False) -> Database:
    """Open (creating and upgrading as needed) the database; `None` opens an in-memory one."""
    if path is None:
        con = duckdb.connect(":memory:")
        migrate(con)
        return Database(con, None)
    p = Path(path)
    if read_only and not p.exists():
        raise FileNotFoundError(f"no database at {p}; run `spanfact run` first or pass --db")
    p.parent.mkdir(parents=True, exist_ok=True)
    con = _connect(p, read_only)
    try:
        if not read_only:
            migrate(con)
        elif 0 < stored_version(con) < LATEST_VERSION:
            # An old spanfact file is upgraded on any open, or `sql` and `export` would miss new
            # views; a DuckDB file spanfact never wrote (version 0) is left alone.
            con.close()
            open_db(p).close()
            con = _connect(p, read_only=True)
    except BaseException:
        # A refused file (e.g. NewerDatabaseError) must not stay open: the connection holds
        # DuckDB's file lock until it is closed.
        con.close()
        raise
    return Database(con, p)


def _connect(p: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(p), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseLockedError(
                f"{p} is in use by another spanfact process (DuckDB allows one writer at a "
                "time); wait for it to finish, or use --db to write elsewhere"
            ) from exc
        raise
