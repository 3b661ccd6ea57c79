"""Writes of a batch run: runs, inputs, documents and each document's claims and checks.

A document's results go in one transaction, so a run killed at any moment leaves each document
either fully stored or not at all; the next run skips what is stored and redoes the rest.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pipeline.store.db import Database, Rows, Write, insert
from schemas.records import ClaimStatus, Document, ValidatedClaim


@dataclass(frozen=True)
class RunConfig:
    model: str
    strategy: str
    # Bumped when a strategy's own code changes what it extracts (the prompt has its version).
    strategy_version: str
    topic: str
    prompt_name: str
    prompt_version: str
    schema_version: str
    # sha256 of the prompt file, the topic file (with its alias table) and the response schemas:
    # an edit that forgets to bump a version still makes earlier results stale.
    content: str = ""

    @property
    def key(self) -> str:
        """Documents are done once per configuration; a new prompt or model redoes them."""
        blob = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def recorded(self) -> dict[str, str]:
        """The columns `runs` and `extractions` store of the configuration."""
        return {
            "model": self.model,
            "strategy": self.strategy,
            "topic": self.topic,
            "prompt_name": self.prompt_name,
            "prompt_version": self.prompt_version,
            "schema_version": self.schema_version,
        }


class RunStatus(StrEnum):
    running = "running"
    finished = "finished"
    interrupted = "interrupted"
    failed = "failed"


class ExtractionStatus(StrEnum):
    done = "done"
    failed = "failed"
    superseded = "superseded"  # a later extraction of the same configuration replaced it


@dataclass
class RunCounts:
    """What a run counts, as `runs` stores it. A document's report counts the same things for
    itself (one input, and what became of it); a run's counts are the sum of its reports'."""

    n_inputs: int = 0
    n_documents: int = 0
    n_skipped: int = 0
    n_bad_inputs: int = 0
    n_failed: int = 0
    n_claims: int = 0
    n_rejected: int = 0
    n_model_calls: int = 0
    n_cached_calls: int = 0

    def add(self, other: RunCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def start_run(db: Database, config: RunConfig, command: str, args: dict[str, Any]) -> str:
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    with db.transaction() as con:
        # We hold the only write lock, so a run still marked running died without finishing.
        con.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running'")
        row = {
            "run_id": run_id,
            "started_at": _now(),
            "status": str(RunStatus.running),
            "command": command,
            **config.recorded(),
            "args": json.dumps(args, default=str),
        }
        insert(con, "runs", row)
    return run_id


def finish_run(db: Database, run_id: str, status: RunStatus, counts: RunCounts) -> None:
    counted = asdict(counts)
    assignments = ", ".join(f"{name} = ?" for name in counted)
    with db.transaction() as con:
        con.execute(
            f"UPDATE runs SET status = ?, finished_at = ?, {assignments} WHERE run_id = ?",
            [str(status), _now(), *counted.values(), run_id],
        )


def _input_row(
    run_id: str, origin: str, status: str, message: str | None, doc_id: str | None
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "origin": origin,
        "status": status,
        "message": message or None,
        "doc_id": doc_id,
    }


def record_input(
    db: Database, run_id: str, origin: str, status: str, message: str, doc_id: str | None
) -> None:
    row = _input_row(run_id, origin, status, message, doc_id)
    db.write(Write(rows=[Rows.of("run_inputs", [row])]))


def extraction_statuses(db: Database, doc_id: str, config_key: str) -> set[str]:
    """Which of 'done' and 'failed' the document's current extractions of a configuration are."""
    # On the caller's own cursor: triage never waits behind the workers' writes.
    rows = db.read(
        "SELECT DISTINCT status FROM extractions "
        "WHERE doc_id = ? AND config_key = ? AND status IN ('done', 'failed')",
        [doc_id, config_key],
    )
    return {status for (status,) in rows}


def is_done(db: Database, doc_id: str, config_key: str) -> bool:
    return "done" in extraction_statuses(db, doc_id, config_key)


@dataclass(frozen=True)
class ExtractionRecord:
    status: ExtractionStatus | str  # done | failed
    error: str | None
    n_model_calls: int
    n_cached_calls: int
    seconds: float
    # Where this run read the document, if its run_inputs row ("ok", with any ingest warning)
    # is to be stored with its results: the batch job's triage then writes nothing for it.
    input_origin: str | None = None
    input_message: str | None = None
    # False when the caller knows there is no earlier extraction of this configuration to mark
    # superseded: the UPDATE is the one statement a group commit runs per document.
    supersede: bool = True


def save_document_result(
    db: Database,
    run_id: str,
    document: Document,
    config: RunConfig,
    claims: list[ValidatedClaim],
    record: ExtractionRecord,
) -> str:
    """Store the document, its extraction, claims and checks atomically; returns extraction id."""
    extraction_id, write = document_result(run_id, document, config, claims, record)
    db.write(write)
    return extraction_id


def document_result(
    run_id: str,
    document: Document,
    config: RunConfig,
    claims: list[ValidatedClaim],
    record: ExtractionRecord,
) -> tuple[str, Write]:
    """A new extraction id, and the write that stores the document's results atomically."""
    extraction_id = uuid.uuid4().hex
    n_rejected = sum(1 for c in claims if c.status == ClaimStatus.rejected)
    claim_rows = []
    check_rows = []
    for idx, v in enumerate(claims):
        claim_id = f"{extraction_id}-{idx}"
        c = v.claim
        span = v.span
        claim_rows.append(
            {
                "claim_id": claim_id,
                "extraction_id": extraction_id,
                "doc_id": document.doc_id,
                "run_id": run_id,
                "idx": idx,
                "status": v.status.value,
                "metric": c.metric.value,
                "value": c.value,
                "low": c.low,
                "high": c.high,
                "qualifier": c.qualifier.value,
                "subject": c.subject,
                "source": c.source,
                "source_norm": v.source_norm,
                "location": c.location,
                "time_reference": c.time_reference,
                "quote": c.quote,
                "span_start": span.start if span else None,
                "span_end": span.end if span else None,
                "spans": json.dumps([s.model_dump() for s in v.spans]),
                "reasons": v.reasons,
                "model": v.provenance.model,
                "strategy": v.provenance.strategy,
                "prompt_name": v.provenance.prompt_name,
                "prompt_version": v.provenance.prompt_version,
                "schema_version": v.provenance.schema_version,
            }
        )
        check_rows += [
            {"claim_id": claim_id, "name": ch.name, "passed": ch.passed, "detail": ch.detail}
            for ch in v.checks
        ]

    statements: list[tuple[str, list[Any]]] = []
    if record.status == ExtractionStatus.done and record.supersede:
        # A failed retry must not hide the last good extraction.
        statements.append(
            (
                "UPDATE extractions SET status = 'superseded' "
                "WHERE doc_id = ? AND config_key = ? AND status IN ('done', 'failed')",
                [document.doc_id, config.key],
            )
        )
    document_row = {
        "doc_id": document.doc_id,
        "origin": document.origin,
        "title": document.title,
        "text": document.text,
        "n_chars": len(document.text),
        "warnings": document.warnings,
        "published_at": document.published_at,
        "outlet": document.outlet,
        "url": document.url,
    }
    extraction_row = {
        "extraction_id": extraction_id,
        "doc_id": document.doc_id,
        "config_key": config.key,
        "run_id": run_id,
        **config.recorded(),
        "status": str(record.status),
        "error": record.error,
        "n_claims": len(claims) - n_rejected,
        "n_rejected": n_rejected,
        "n_model_calls": record.n_model_calls,
        "n_cached_calls": record.n_cached_calls,
        "seconds": record.seconds,
    }
    rows = [
        Rows.of("documents", [document_row], on_conflict="ON CONFLICT (doc_id) DO NOTHING"),
        Rows.of("extractions", [extraction_row]),
        Rows.of("claims", claim_rows),
        Rows.of("checks", check_rows),
    ]
    if record.input_origin is not None:
        input_row = _input_row(
            run_id, record.input_origin, "ok", record.input_message, document.doc_id
        )
        rows.append(Rows.of("run_inputs", [input_row]))
    return extraction_id, Write(statements, rows, key=("document", document.doc_id))


def stored_counts(db: Database, run_id: str) -> RunCounts:
    """A run's counts as the store holds them.

    After an interrupt, documents that were in flight are stored whole but never reported back
    to the loop that counts, so the loop's own figures undercount.
    """
    db.flush()
    inputs = db.read(
        "SELECT count(*), count(*) FILTER (status = 'skipped'), "
        "count(*) FILTER (status NOT IN ('ok', 'skipped')) FROM run_inputs WHERE run_id = ?",
        [run_id],
    )[0]
    done = db.read(
        "SELECT count(*) FILTER (status = 'done'), count(*) FILTER (status = 'failed'), "
        "coalesce(sum(n_claims), 0), coalesce(sum(n_rejected), 0), "
        "coalesce(sum(n_model_calls), 0), coalesce(sum(n_cached_calls), 0) "
        "FROM extractions WHERE run_id = ?",
        [run_id],
    )[0]
    return RunCounts(
        n_inputs=int(inputs[0]),
        n_documents=int(done[0]),
        n_skipped=int(inputs[1]),
        n_bad_inputs=int(inputs[2]),
        n_failed=int(done[1]),
        n_claims=int(done[2]),
        n_rejected=int(done[3]),
        n_model_calls=int(done[4]),
        n_cached_calls=int(done[5]),
    )


def abandon_run(db: Database, run_id: str, timeout_s: float = 2.0) -> bool:
    """Mark a run interrupted without waiting for pending writes (a second Ctrl-C).

    Best effort: if the store is busy for longer than `timeout_s`, the run stays `running`,
    and the next run marks it interrupted (see `start_run`).
    """
    if not db.lock.acquire(timeout=timeout_s):
        return False
    try:
        db.con.execute(
            "UPDATE runs SET status = 'interrupted', finished_at = ? WHERE run_id = ?",
            [_now(), run_id],
        )
    finally:
        db.lock.release()
    return True
