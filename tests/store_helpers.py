"""Reading a test's store back with SQL: opened read-only and closed again, so a module-scoped
store shared by several tests is never held open or changed by one of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.store.db import open_db


def stored_rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    db = open_db(path, read_only=True)
    try:
        return db.read(sql)
    finally:
        db.close()


def scalar(path: Path, sql: str) -> Any:
    """The first column of the first row; the query must return one."""
    rows = stored_rows(path, sql)
    assert rows
    return rows[0][0]
