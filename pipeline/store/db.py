"""Opening the DuckDB file: migrations on open, one writer at a time, thread-safe access."""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Hashable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipeline.store.migrations import LATEST_VERSION, migrate, stored_version

DEFAULT_DB = Path("data/spanfact.duckdb")


class DatabaseLockedError(RuntimeError):
    """Another process holds the database file open for writing."""


@dataclass(frozen=True)
class Rows:
    """Rows for one table. The rows of every write in a group commit go in one INSERT per table."""

    table: str
    columns: tuple[str, ...]
    values: Sequence[Sequence[Any]]
    on_conflict: str = ""  # e.g. "ON CONFLICT (doc_id) DO NOTHING"

    @classmethod
    def of(cls, table: str, rows: Sequence[Mapping[str, Any]], on_conflict: str = "") -> Rows:
        """Rows given as dicts keyed by column name, all with the same keys: adding a column
        touches its migration and the one place that fills it."""
        columns = tuple(rows[0]) if rows else ()
        for row in rows:
            if tuple(row) != columns:
                raise ValueError(f"{table}: rows with different columns: {columns} {tuple(row)}")
        return cls(table, columns, [list(row.values()) for row in rows], on_conflict)


@dataclass(frozen=True)
class Write:
    """What one call stores atomically: its statements run first, then its rows are inserted."""

    statements: Sequence[tuple[str, Sequence[Any]]] = ()
    rows: Sequence[Rows] = ()
    # Writes with the same key never share a group commit: a statement of one (an UPDATE) may
    # concern rows another inserts, and within a group the inserts come after all statements.
    key: Hashable | None = None


# A committer thread with nothing to do for this long ends (the next write starts one).
COMMITTER_IDLE_S = 2.0


class _Job:
    def __init__(self, write: Write) -> None:
        self.write = write
        self.future: Future[None] = Future()
        self.finished = False
        self.error: Exception | None = None

    def settle(self) -> None:
        if self.error is not None:
            self.future.set_exception(self.error)
        else:
            self.future.set_result(None)


class Database:
    """A DuckDB connection shared by worker threads.

    DuckDB connections are not safe to use from several threads at once, so statements on `con`
    run under `lock`. A DuckDB statement costs a millisecond or more, and each gives up the GIL
    and must win it back from busy worker threads: with 16 documents in flight, committing each
    write on its own made the store the bottleneck, and waiting for it took a third of each
    worker's time (bench/README.md). So writes go through one committer thread, which commits
    all writes queued meanwhile in one transaction with one INSERT per table (group commit);
    `write` waits for that, `submit` does not. `read` queries run on a cursor of their own per
    thread, without waiting for the writers.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path | None) -> None:
        self.con = con
        self.path = path
        self.lock = threading.RLock()
        self._queue: deque[_Job] = deque()
        self._queue_changed = threading.Condition()
        self._committer: threading.Thread | None = None
        self._closing = False
        self._local = threading.local()
        self._cursors: dict[threading.Thread, duckdb.DuckDBPyConnection] = {}

    def _in_transaction(self) -> bool:
        return bool(getattr(self._local, "depth", 0))

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.lock:
            if self._in_transaction():  # nested: part of the enclosing transaction
                yield self.con
                return
            self._local.depth = 1
            try:
                self.con.execute("BEGIN TRANSACTION")
                try:
                    yield self.con
                except BaseException:
                    self.con.execute("ROLLBACK")
                    raise
                self.con.execute("COMMIT")
            finally:
                self._local.depth = 0

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a query, on this thread's own cursor: it sees committed data only."""
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cursor is None:
            with self.lock:
                # Worker threads come and go with each run; their cursors go with them.
                for thread in [t for t in self._cursors if not t.is_alive()]:
                    self._cursors.pop(thread).close()
                cursor = self.con.cursor()
                self._cursors[threading.current_thread()] = cursor
            self._local.cursor = cursor
        return cursor.execute(sql, list(params)).fetchall()

    def write(self, write: Write) -> None:
        """Store `write` atomically; it is committed when this returns."""
        if self._in_transaction():  # inside this thread's `transaction()`: part of it
            with self.lock:
                _execute(self.con, [write])
            return
        self.submit(write).result()

    def submit(self, write: Write) -> Future[None]:
        """Queue `write` to be stored atomically; the future is done once it is committed.

        Writes are committed in the order they are submitted. If one write of a shared
        transaction fails, each is redone in a transaction of its own, so a bad write never loses
        another; its future then holds the error and nothing of it is stored.
        """
        job = _Job(write)
        with self._queue_changed:
            if self._closing:
                raise RuntimeError("the database is closed")
            self._queue.append(job)
            if self._committer is None:
                self._committer = threading.Thread(
                    target=self._commit_loop, name="spanfact-store", daemon=True
                )
                self._committer.start()
            self._queue_changed.notify()
        return job.future

    def flush(self) -> None:
        """Wait until every write submitted so far is committed (or has failed)."""
        if self._committer is not None:
            self.submit(Write()).result()

    def _commit_loop(self) -> None:
        while True:
            with self._queue_changed:
                if not self._queue and not self._closing:
                    self._queue_changed.wait(COMMITTER_IDLE_S)
                if not self._queue:
                    # Closing, or idle: the next `submit` starts a new committer.
                    self._committer = None
                    return
            with self.lock:
                # Taken once the lock is ours: writes queued while we waited join this commit.
                batch = self._take_batch()
                self._commit(batch)
            for job in batch:
                job.settle()

    def _take_batch(self) -> list[_Job]:
        batch: list[_Job] = []
        keys: set[Hashable] = set()
        with self._queue_changed:
            while self._queue:
                key = self._queue[0].write.key
                if key is not None and key in keys:
                    break  # left for the next commit
                if key is not None:
                    keys.add(key)
                batch.append(self._queue.popleft())
        return batch

    def _commit(self, batch: list[_Job]) -> None:
        self._local.depth = 1
        try:
            jobs = [job for job in batch if job.write.statements or job.write.rows]
            if jobs and not self._run(jobs):
                for job in jobs:  # one failed: each on its own, so the others are stored
                    self._run([job])
        except BaseException as exc:  # not a database error: no write of this batch is stored
            for job in batch:
                if not job.finished:
                    job.error = RuntimeError(f"write abandoned: {type(exc).__name__}: {exc}")
        finally:
            self._local.depth = 0

    def _run(self, jobs: list[_Job]) -> bool:
        """Run jobs in one transaction; False (rolled back) if one failed and others remain."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            _execute(self.con, [job.write for job in jobs])
            self.con.execute("COMMIT")
        except Exception as exc:
            with contextlib.suppress(duckdb.Error):  # a failed COMMIT has already rolled back
                self.con.execute("ROLLBACK")
            if len(jobs) > 1:
                return False
            jobs[0].error = exc
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                self.con.execute("ROLLBACK")
            raise
        for job in jobs:
            job.finished = True
        return True

    def close(self) -> None:
        """Store every write submitted so far, then close the connection."""
        with self._queue_changed:
            self._closing = True
            self._queue_changed.notify()
            committer = self._committer
        if committer is not None and committer is not threading.current_thread():
            committer.join()
        with self.lock:
            for cursor in self._cursors.values():
                cursor.close()
            self._cursors.clear()
            self.con.close()


def _execute(con: duckdb.DuckDBPyConnection, writes: list[Write]) -> None:
    """The statements of every write in order, then one INSERT per table and conflict clause."""
    groups: dict[tuple[str, tuple[str, ...], str], list[Sequence[Any]]] = {}
    for write in writes:
        for sql, params in write.statements:
            con.execute(sql, list(params))
        for rows in write.rows:
            groups.setdefault((rows.table, rows.columns, rows.on_conflict), []).extend(rows.values)
    for (table, columns, on_conflict), values in groups.items():
        insert_rows(con, table, columns, values, on_conflict=on_conflict)


def insert(con: duckdb.DuckDBPyConnection, table: str, row: Mapping[str, Any]) -> None:
    """INSERT one row given as a dict keyed by column name."""
    insert_rows(con, table, tuple(row), [list(row.values())])


def insert_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    on_conflict: str = "",
    chunk: int = 200,
) -> None:
    """INSERT many rows with one statement per `chunk` rows.

    DuckDB's `executemany` runs the statement once per row, at about a millisecond each.
    """
    placeholders = "(" + ", ".join("?" * len(columns)) + ")"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    tail = f" {on_conflict}" if on_conflict else ""
    for at in range(0, len(rows), chunk):
        part = rows[at : at + chunk]
        sql = head + ", ".join([placeholders] * len(part)) + tail
        con.execute(sql, [v for row in part for v in row])


def open_db(
    path: Path | str | None = DEFAULT_DB, *, read_only: bool = False, sealed: bool = False
) -> Database:
    """Open (creating and upgrading as needed) the database; `None` opens an in-memory one.

    `sealed` (with `read_only`) also shuts DuckDB off from everything but this file: no COPY TO,
    ATTACH, INSTALL/LOAD or reading other files, and no SET that would undo it. A read-only
    connection alone still writes files anywhere with `COPY ... TO`.
    """
    if sealed and not read_only:
        raise ValueError("only a read-only connection can be sealed")
    if path is None:
        con = duckdb.connect(":memory:")
        migrate(con)
        return Database(con, None)
    p = Path(path)
    if read_only and not p.exists():
        raise FileNotFoundError(f"no database at {p}; run `spanfact run` first or pass --db")
    p.parent.mkdir(parents=True, exist_ok=True)
    con = _connect(p, read_only, sealed)
    try:
        if not read_only:
            migrate(con)
        elif 0 < stored_version(con) < LATEST_VERSION:
            # An old spanfact file is upgraded on any open, or `sql` and `export` would miss new
            # views; a DuckDB file spanfact never wrote (version 0) is left alone.
            con.close()
            open_db(p).close()
            con = _connect(p, read_only=True, sealed=sealed)
    except BaseException:
        # A refused file (e.g. NewerDatabaseError) must not stay open: the connection holds
        # DuckDB's file lock until it is closed.
        con.close()
        raise
    return Database(con, p)


_SEALED: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "lock_configuration": True,
}


def _connect(p: Path, read_only: bool, sealed: bool = False) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(p), read_only=read_only, config=_SEALED if sealed else {})
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseLockedError(
                f"{p} is in use by another spanfact process (DuckDB allows one writer at a "
                "time); wait for it to finish, or use --db to write elsewhere"
            ) from exc
        raise
