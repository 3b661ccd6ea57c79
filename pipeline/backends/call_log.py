"""The `llm_calls` table: the log of every model call, and the response cache.

`CachedBackend` answers from it and hands each new call on as a `LoggedCall` (also on its
`LLMResult`). Who stores the call says when: `CallLog.record` commits it at once (the embedded
model, whose calls are slow and each worth keeping if the run is killed), or the batch job
collects a document's calls in its `ExtractionOutcome` and stores them in the same transaction as
the document's results (`CallLog.write_for`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
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
class LoggedCall:
    """One request that reached the model, with every attempt it took."""

    request_hash: str
    backend: str
    model: str
    request: LLMRequest
    records: list[CallRecord]

    def rows(self, run_id: str | None) -> list[list[Any]]:
        r = self.request
        return [
            [
                str(uuid.uuid4()),
                self.request_hash,
                a.attempt,
                self.backend,
                self.model,
                r.prompt_name,
                r.prompt_version,
                r.schema_name,
                r.schema_version,
                json.dumps(a.messages, ensure_ascii=False),
                json.dumps(a.params, ensure_ascii=False, default=str),
                a.response_raw,
                json.dumps(a.parsed, ensure_ascii=False) if a.parsed is not None else None,
                a.error,
                a.status,
                a.prompt_tokens,
                a.completion_tokens,
                a.latency_ms,
                run_id,
            ]
            for a in self.records
        ]


@dataclass(frozen=True)
class CachedAnswer:
    parsed: dict[str, Any]
    # Answers of the same call's earlier attempts that failed validation, in order.
    invalid: list[str] = field(default_factory=list)


class CallLog:
    def __init__(self, db: Database, run_id: str | None = None) -> None:
        self.db = db
        self.run_id = run_id

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

    def record(self, call: LoggedCall) -> None:
        """Store each attempt of `call`, committed before this returns: a later crash keeps it."""
        write = self.write_for([call])
        if write.rows:
            self.db.write(write)

    def write_for(self, calls: Sequence[LoggedCall]) -> Write:
        """The write that stores `calls`; all the attempts of one call share `created_at`,
        which `lookup` relies on, as one write is one transaction."""
        rows = [row for call in calls for row in call.rows(self.run_id)]
        return Write(rows=[Rows("llm_calls", _COLUMNS, rows)] if rows else [])
