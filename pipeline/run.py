"""The batch job: inputs -> extraction -> validation -> store, resumable and concurrent."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

import duckdb

from pipeline.backends.base import Backend
from pipeline.backends.cached import CachedBackend
from pipeline.backends.call_log import CallLog, ModelCall
from pipeline.extract import Strategy, create_strategy
from pipeline.grounding import claim_checker, ground
from pipeline.ingest import DEFAULT_MAX_BYTES, InputItem, InputStatus, iter_inputs
from pipeline.language import non_english_note
from pipeline.metadata import DocumentMeta
from pipeline.prompts import PromptTemplate
from pipeline.store.db import Database
from pipeline.store.figures import BuildStats, refresh_figures
from pipeline.store.writer import (
    ExtractionRecord,
    RunConfig,
    RunCounts,
    RunStatus,
    document_result,
    extraction_statuses,
    finish_run,
    record_input,
    start_run,
    stored_counts,
)
from pipeline.text.article import read_article
from pipeline.topic import DEFAULT_TOPIC, NormalizeSource, Topic, load_topic, topic_cues
from schemas.claims import SCHEMA_VERSION
from schemas.records import ClaimStatus, Document, Provenance, ValidatedClaim

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOptions:
    strategy: str = "anchored"
    topic: str = DEFAULT_TOPIC
    force: bool = False
    use_cache: bool = True
    concurrency: int = 1
    max_bytes: int = DEFAULT_MAX_BYTES
    command: str = "run"
    # Date and outlet for documents that do not carry their own (--date, --outlet).
    metadata: DocumentMeta | None = None


class DocumentStatus(StrEnum):
    done = "done"
    failed = "failed"
    skipped = "skipped"  # extracted earlier, or the same text seen earlier in the run


@dataclass(frozen=True)
class DocumentReport:
    origin: str
    status: DocumentStatus | InputStatus  # an InputStatus for bad input
    doc_id: str | None = None
    message: str = ""
    # n_inputs is 1, with one of n_documents, n_skipped, n_failed, n_bad_inputs (see `counted`).
    counts: RunCounts = field(default_factory=RunCounts)
    seconds: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # Something the user should know about a document that was processed (e.g. not English).
    note: str = ""


@dataclass
class RunSummary:
    run_id: str
    config: RunConfig
    counts: RunCounts
    seconds: float = 0.0
    reports: list[DocumentReport] = field(default_factory=list)
    # Stopped by `BatchRunner.stop()` (a first Ctrl-C) before every input was read.
    interrupted: bool = False
    figures: BuildStats | None = None  # the figures rebuild at the end of the run


ProgressCallback = Callable[[DocumentReport], None]


def content_digest(prompt: PromptTemplate, topic: Topic, schema: dict[str, Any]) -> str:
    """What the stored results of a configuration depend on, by content rather than version:
    the prompt file, the topic file with its alias table, and the response schema."""
    blob = "\0".join([prompt.digest, topic.digest, json.dumps(schema, sort_keys=True)])
    return hashlib.sha256(blob.encode()).hexdigest()


# Which count a document adds to, by its status; any other status is bad input.
_COUNTED_AS: dict[str, str] = {
    DocumentStatus.done: "n_documents",
    DocumentStatus.skipped: "n_skipped",
    DocumentStatus.failed: "n_failed",
}


def counted(status: DocumentStatus | InputStatus, **counts: int) -> RunCounts:
    """One document's counts: one input, what became of it, and `counts`."""
    became = _COUNTED_AS.get(status, "n_bad_inputs")
    return RunCounts(n_inputs=1, **{became: 1}, **counts)


@dataclass
class ExtractedDocument:
    """What extracting one document gave: its claims, its report and the model calls it made
    (stored with its results when the batch job has several workers)."""

    claims: list[ValidatedClaim]
    report: DocumentReport
    calls: list[ModelCall] = field(default_factory=list)


def _stored_with_document(call: ModelCall) -> None:
    """`on_call` with several workers: the call reaches the store with its document's results
    (through `ExtractionOutcome.calls`), so nothing is stored here."""


def extract_document(
    strategy: Strategy,
    document: Document,
    topic: Topic,
    provenance: Provenance,
    normalize_source: NormalizeSource,
) -> ExtractedDocument:
    started = time.perf_counter()
    # The document read once: the strategy reads this Article, the checks the same one.
    article = read_article(document.text)
    outcome = strategy.extract(article)
    claims = ground(
        [*outcome.claims, *outcome.salvaged],
        article.text,
        topic.on_topic,
        provenance,
        normalize_source,
        cues=topic_cues(topic),
    )
    n_rejected = sum(1 for c in claims if c.status == ClaimStatus.rejected)
    status = DocumentStatus.failed if outcome.errors else DocumentStatus.done
    report = DocumentReport(
        origin=document.origin,
        status=status,
        doc_id=document.doc_id,
        message="; ".join(outcome.errors)[:2000],
        counts=counted(
            status,
            n_claims=len(claims) - n_rejected,
            n_rejected=n_rejected,
            n_model_calls=outcome.n_calls,
            n_cached_calls=outcome.n_cached,
        ),
        seconds=time.perf_counter() - started,
        prompt_tokens=outcome.prompt_tokens,
        completion_tokens=outcome.completion_tokens,
        note=non_english_note(article.text) or "",
    )
    return ExtractedDocument(claims, report, outcome.calls)


@dataclass(frozen=True)
class _ToExtract:
    """A document triage sends to the workers."""

    supersede: bool  # an earlier extraction of this configuration is to be marked superseded


class BatchRunner:
    def __init__(self, db: Database, backend: Backend, options: RunOptions) -> None:
        self.db = db
        self.options = options
        self.topic = load_topic(options.topic)
        self.normalize_source = self.topic.source_normalizer()
        self.workers = max(1, min(options.concurrency, backend.max_concurrency))
        # One worker (the embedded model) stores each call as it is answered: calls are slow,
        # and a killed run then keeps every one. Several workers store a document's calls with
        # its results, in one write they do not wait for (a document is reported only once it
        # is committed, which is what resuming needs): waiting for the store took a third of
        # each worker's time with 16 documents in flight (bench/README.md).
        self.calls = CallLog(db)
        self.calls_with_results = self.workers > 1
        on_call = _stored_with_document if self.calls_with_results else self.calls.record
        self.backend = CachedBackend(
            backend, self.calls, use_cache=options.use_cache, on_call=on_call
        )
        self.strategy = create_strategy(
            options.strategy, self.backend, self.topic, check=claim_checker(self.topic)
        )
        self.config = RunConfig(
            model=backend.model,
            strategy=options.strategy,
            strategy_version=self.strategy.version,
            topic=f"{self.topic.name}@{self.topic.version}",
            prompt_name=self.strategy.prompt.name,
            prompt_version=self.strategy.prompt.version,
            schema_version=SCHEMA_VERSION,
            content=content_digest(
                self.strategy.prompt, self.topic, self.strategy.response_schema()
            ),
        )
        self.run_id: str | None = None
        # Set by `stop()`: no new document starts; those in flight finish and are stored.
        self._stopping = threading.Event()
        self.provenance = Provenance(
            model=backend.model,
            strategy=options.strategy,
            prompt_name=self.config.prompt_name,
            prompt_version=self.config.prompt_version,
            schema_version=SCHEMA_VERSION,
        )

    def stop(self) -> None:
        """Finish the documents in flight, start no other, and end the run as interrupted.

        Safe to call from a signal handler: it only sets a flag the batch loop reads.
        """
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    @property
    def n_requests(self) -> int:
        """Model requests answered so far in this process (cached ones too): progress within
        a document, which may take minutes on a small machine."""
        return self.backend.n_requests

    def run(
        self,
        paths: Sequence[str | Path],
        *,
        stdin: BinaryIO | None = None,
        progress: ProgressCallback | None = None,
        args: dict[str, Any] | None = None,
    ) -> RunSummary:
        started = time.perf_counter()
        run_id = start_run(self.db, self.config, self.options.command, args or {})
        self.run_id = run_id
        self.calls.run_id = run_id
        summary = RunSummary(run_id=run_id, config=self.config, counts=RunCounts())
        status = RunStatus.failed
        try:
            items = iter_inputs(
                paths,
                max_bytes=self.options.max_bytes,
                stdin=stdin,
                fallback=self.options.metadata,
            )
            for report in self._process_all(run_id, items):
                summary.reports.append(report)
                summary.counts.add(report.counts)
                if progress is not None:
                    progress(report)
            summary.interrupted = self.stopping
            status = RunStatus.interrupted if summary.interrupted else RunStatus.finished
        except KeyboardInterrupt:
            status = RunStatus.interrupted
            raise
        finally:
            self.db.flush()  # documents in flight at an interrupt are stored whole
            summary.seconds = time.perf_counter() - started
            if status != RunStatus.finished:
                # Documents in flight at an interrupt were stored but never reported here.
                summary.counts = stored_counts(self.db, run_id)
            finish_run(self.db, run_id, status, summary.counts)
        summary.figures = self._refresh_figures()
        return summary

    def _refresh_figures(self) -> BuildStats | None:
        # Incremental, so well under a second per thousand new documents (bench/figures.py).
        # The run's own results are stored by now: a failure here must not fail the run.
        try:
            return refresh_figures(self.db)
        except duckdb.Error:
            log.exception("could not rebuild figures; run `spanfact figures --rebuild`")
            return None

    def _process_all(self, run_id: str, items: Iterable[InputItem]) -> Iterator[DocumentReport]:
        seen: set[str] = set()
        pool = ThreadPoolExecutor(max_workers=self.workers)
        try:
            pending: set[Future[DocumentReport]] = set()
            started: dict[Future[DocumentReport], Future[None]] = {}
            for item in items:
                if self.stopping:
                    break
                triaged = self._triage(run_id, item, seen)
                if isinstance(triaged, DocumentReport):
                    yield triaged
                    continue
                assert item.document is not None
                stored: Future[DocumentReport] = Future()
                started[stored] = pool.submit(self._process_one, run_id, item, triaged, stored)
                pending.add(stored)
                # Bounded look-ahead: a huge feed is read as fast as the model consumes it.
                if len(pending) >= self.workers * 2:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    yield from (f.result() for f in done)
            while pending:
                if self.stopping:
                    # Queued but not started: left for the next run, which resumes them.
                    pending = {f for f in pending if not started[f].cancel()}
                    if not pending:
                        break
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (f.result() for f in done)
        finally:
            # On Ctrl-C or an error, documents not yet started are dropped at once rather than
            # extracted while the user waits; those in flight finish and are stored whole.
            pool.shutdown(wait=True, cancel_futures=True)

    def _triage(self, run_id: str, item: InputItem, seen: set[str]) -> DocumentReport | _ToExtract:
        """Bad input and finished documents are recorded here; the rest are to be extracted."""
        if item.status is not InputStatus.ok or item.document is None:
            record_input(self.db, run_id, item.origin, item.status.value, item.message, None)
            return DocumentReport(
                origin=item.origin,
                status=item.status,
                message=item.message,
                counts=counted(item.status),
            )
        doc = item.document
        duplicate = doc.doc_id in seen
        seen.add(doc.doc_id)
        earlier = set() if duplicate else extraction_statuses(self.db, doc.doc_id, self.config.key)
        if duplicate or (not self.options.force and "done" in earlier):
            message = "same text seen earlier in this run" if duplicate else "already extracted"
            record_input(self.db, run_id, item.origin, "skipped", message, doc.doc_id)
            return DocumentReport(
                origin=item.origin,
                status=DocumentStatus.skipped,
                doc_id=doc.doc_id,
                message=message,
                counts=counted(DocumentStatus.skipped),
            )
        if item.message:
            log.warning("%s: %s", item.origin, item.message)
        # Its run_inputs row is stored with its results: triage never waits for the store.
        return _ToExtract(supersede=bool(earlier))

    def _process_one(
        self, run_id: str, item: InputItem, todo: _ToExtract, stored: Future[DocumentReport]
    ) -> None:
        """Extract a document and queue its results; `stored` gets the report once committed.

        With several workers, this one moves on to the next document meanwhile: waiting for the
        store took a third of each worker's time with 16 documents in flight (bench/README.md).
        """
        document = item.document
        assert document is not None
        try:
            try:
                done = extract_document(
                    self.strategy, document, self.topic, self.provenance, self.normalize_source
                )
            except Exception as exc:  # one bad document must not stop the batch
                log.exception("extraction failed for %s", document.origin)
                done = ExtractedDocument(
                    claims=[],
                    report=DocumentReport(
                        origin=document.origin,
                        status=DocumentStatus.failed,
                        doc_id=document.doc_id,
                        message=f"{type(exc).__name__}: {exc}",
                        counts=counted(DocumentStatus.failed),
                    ),
                )
            report = done.report
            _, result = document_result(
                run_id,
                document,
                self.config,
                done.claims,
                ExtractionRecord(
                    status=report.status,
                    error=report.message or None,
                    n_model_calls=report.counts.n_model_calls,
                    n_cached_calls=report.counts.n_cached_calls,
                    seconds=report.seconds,
                    input_origin=item.origin,
                    # run_inputs.message: the ingest warnings and any note, for `spanfact sql`.
                    input_message="; ".join(m for m in (item.message, report.note) if m) or None,
                    supersede=todo.supersede,
                ),
            )
            # Calls not stored yet go first, in the same transaction as the results.
            calls = self.calls.write_for(done.calls if self.calls_with_results else [])
            write = self.db.submit(replace(result, rows=[*calls.rows, *result.rows]))
            if self.workers == 1:
                wait([write])
        except BaseException as exc:  # e.g. the store is closed: the run must hear of it
            stored.set_exception(exc)
            return
        write.add_done_callback(lambda w: _report_when_stored(stored, report, w))


def _report_when_stored(
    stored: Future[DocumentReport], report: DocumentReport, write: Future[None]
) -> None:
    # A write that failed means the store is failing: the run stops, as it would on any error.
    error = write.exception()
    if error is not None:
        stored.set_exception(error)
    else:
        stored.set_result(report)
