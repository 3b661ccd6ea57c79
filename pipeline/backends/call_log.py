"""The `llm_calls` table: the log of every model call, and the response cache.

`CachedBackend` answers from it and hands each new call on as a `ModelCall` (also on its
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


@dataclass(frozen=True)
class ModelCall:
    """One request that reached the model, with every attempt it took."""

    request_hash: str
    backend: str
    model: str
    request: LLMRequest
    records: list[CallRecord]

    def rows(self, run_id: str | None) -> list[dict[str, Any]]:
        """One `llm_calls` row per attempt."""
        r = self.request
        return [
            {
                "call_id": str(uuid.uuid4()),
                "request_hash": self.request_hash,
                "attempt": a.attempt,
                "backend": self.backend,
                "model": self.model,
                "prompt_name": r.prompt_name,
                "prompt_version": r.prompt_version,
                "schema_name": r.schema_name,
                "schema_version": r.schema_version,
                "messages": json.dumps(a.messages, ensure_ascii=False),
                "params": json.dumps(a.params, ensure_ascii=False, default=str),
                "response_raw": a.response_raw,
                "parsed": json.dumps(a.parsed, ensure_ascii=False)
                if a.parsed is not None
                else None,
                "error": a.error,
                "status": str(a.status),
                "prompt_tokens": a.prompt_tokens,
                "completion_tokens": a.completion_tokens,
                "latency_ms": a.latency_ms,
                "run_id": run_id,
            }
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

    def record(self, call: ModelCall) -> None:
        """Store each attempt of `call`, committed before this returns: a later crash keeps it."""
        write = self.write_for([call])
        if write.rows:
            self.db.write(write)

    def write_for(self, calls: Sequence[ModelCall]) -> Write:
        """The write that stores `calls`; all the attempts of one call share `created_at`,
        which `lookup` relies on, as one write is one transaction."""
        rows = [row for call in calls for row in call.rows(self.run_id)]
        return Write(rows=[Rows.of("llm_calls", rows)] if rows else [])
