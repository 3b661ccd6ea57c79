"""A backend wrapper that answers repeated requests from the call log and logs every call.

Each call that reaches the model is handed to `on_call` as a `ModelCall`, and travels on its
`LLMResult.logged` too: by default it is committed at once (`CallLog.record`); the batch job
with several workers instead stores a document's calls with its results.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError

from pipeline.backends.base import Backend, LLMRequest, LLMResult
from pipeline.backends.call_log import CallLog, ModelCall

log = logging.getLogger(__name__)


@cache
def _schema(model: type[BaseModel]) -> dict[str, Any]:
    # Response models are classes created once (dynamic ones are cached where they are built).
    return model.model_json_schema()


def request_hash(backend: Backend, request: LLMRequest) -> str:
    """A hash of everything that decides the answer: model, messages, schema, parameters."""
    payload = {
        "identity": backend.identity(),
        "messages": request.messages,
        "schema": _schema(request.response_model),
        "schema_name": request.schema_name,
        "schema_version": request.schema_version,
        "prompt": [request.prompt_name, request.prompt_version],
        "params": request.params(),
        "max_reasks": request.max_reasks,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class CachedBackend:
    def __init__(
        self,
        inner: Backend,
        calls: CallLog,
        *,
        use_cache: bool = True,
        on_call: Callable[[ModelCall], None] | None = None,
    ) -> None:
        self.inner = inner
        self.calls = calls
        # What to do with each new call besides returning it: store it now, by default.
        self.on_call = calls.record if on_call is None else on_call
        self.use_cache = use_cache
        self.name = inner.name
        self.model = inner.model
        self.max_concurrency = inner.max_concurrency
        # Requests answered so far, from the model or the cache: progress inside a document.
        self.n_requests = 0
        self._count_lock = threading.Lock()

    def identity(self) -> dict[str, Any]:
        return self.inner.identity()

    def complete(self, request: LLMRequest) -> LLMResult:
        try:
            return self._complete(request)
        finally:
            with self._count_lock:
                self.n_requests += 1

    def _complete(self, request: LLMRequest) -> LLMResult:
        key = request_hash(self.inner, request)
        if self.use_cache:
            hit = self.calls.lookup(key)
            if hit is not None:
                try:
                    parsed = request.response_model.model_validate(
                        hit.parsed, context=request.context
                    )
                except ValidationError as exc:
                    # Validators may have tightened since the answer was stored: ask again.
                    log.info("cached answer no longer validates, calling the model: %s", exc)
                else:
                    return LLMResult(
                        parsed=parsed,
                        cached=True,
                        request_hash=key,
                        replayed_invalid=hit.invalid,
                    )
        result = self.inner.complete(request)
        result.request_hash = key
        result.logged = ModelCall(key, self.inner.name, self.inner.model, request, result.records)
        self.on_call(result.logged)
        return result
