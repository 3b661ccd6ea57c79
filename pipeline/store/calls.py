"""The `llm_calls` table: the log of every model call, and the response cache."""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from pipeline.backends.base import CallRecord, LLMRequest
from pipeline.store.db import Database, Rows, Write

_COLUMNS = (
    "call_id",
    "request_hash",
    "attempt",
    "backend",
    "model",
    "prompt_name",
    "prompt_version",
    "schema_name",
    "schema_version",
    "messages",
    "params",
    "response_raw",
    "parsed",
    "error",
    "status",
    "prompt_tokens",
    "completion_tokens",
    "latency_ms",
    "run_id",
)


@dataclass(frozen=True)
class CachedAnswer:
    parsed: dict[str, Any]
    # Answers of the same call's earlier attempts that failed validation, in order.
    invalid: list[str] = field(default_factory=list)


class CallLog:
    def __init__(self, db: Database, run_id: str | None = None, *, wait: bool = True) -> None:
        self.db = db
        self.run_id = run_id
        # False: `record` queues the rows and returns (see `take_pending`).
        self.wait = wait
        self._local = threading.local()

    def lookup(self, request_hash: str) -> CachedAnswer | None:
        """The latest successful call with this hash, if any, with its rejected attempts."""
        rows = self.db.read(
            "SELECT parsed, created_at, attempt FROM llm_calls WHERE request_hash = ? "
            "AND status = 'ok' AND parsed IS NOT NULL ORDER BY created_at DESC LIMIT 1",
            [request_hash],
        )
        if not rows:
            return None
        raw, created_at, attempt = rows[0]
        value = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(value, dict):
            return None
        # The attempts of one call are written in one transaction, so they share created_at.
        earlier = self.db.read(
            "SELECT response_raw FROM llm_calls WHERE request_hash = ? AND created_at = ? "
            "AND attempt < ? AND status = 'invalid' AND response_raw IS NOT NULL "
            "ORDER BY attempt",
            [request_hash, created_at, attempt],
        )
        return CachedAnswer(parsed=value, invalid=[r[0] for r in earlier])

    def record(
        self,
        request_hash: str,
        backend: str,
        model: str,
        request: LLMRequest,
        records: list[CallRecord],
    ) -> None:
        """Store each attempt, committed before this returns: a later crash loses no call.

        With `wait=False` the rows are only queued, ahead of anything this thread stores next,
        and committed within one group commit; `take_pending` hands over their futures.
        """
        rows = [
            [
                str(uuid.uuid4()),
                request_hash,
                r.attempt,
                backend,
                model,
                request.prompt_name,
                request.prompt_version,
                request.schema_name,
                request.schema_version,
                json.dumps(r.messages, ensure_ascii=False),
                json.dumps(r.params, ensure_ascii=False, default=str),
                r.response_raw,
                json.dumps(r.parsed, ensure_ascii=False) if r.parsed is not None else None,
                r.error,
                r.status,
                r.prompt_tokens,
                r.completion_tokens,
                r.latency_ms,
                self.run_id,
            ]
            for r in records
        ]
        if not rows:
            return
        write = Write(rows=[Rows("llm_calls", _COLUMNS, rows)])
        if self.wait:
            self.db.write(write)
        else:
            self._pending().append(self.db.submit(write))

    def take_pending(self) -> list[Future[None]]:
        """The queued writes of this thread's calls since it last asked (`wait=False`)."""
        pending = self._pending()
        taken = list(pending)
        pending.clear()
        return taken

    def _pending(self) -> list[Future[None]]:
        if not hasattr(self._local, "pending"):
            self._local.pending = []
        pending: list[Future[None]] = self._local.pending
        return pending
