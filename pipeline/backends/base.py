"""The one interface every model sits behind, and the records a call leaves behind.

A backend turns an `LLMRequest` (messages plus the pydantic model the answer must fill) into an
`LLMResult`: the parsed answer or an error, and one `CallRecord` per attempt, which the call log
stores. Callers never branch on which backend they hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

if TYPE_CHECKING:
    from pipeline.backends.call_log import ModelCall


@dataclass(frozen=True)
class LLMRequest:
    messages: list[dict[str, str]]
    response_model: type[BaseModel]
    prompt_name: str
    prompt_version: str
    schema_version: str
    max_tokens: int = 512
    temperature: float = 0.0
    # Handed to pydantic validators (e.g. the article text), so a re-ask can quote the error.
    context: dict[str, Any] | None = None
    # Re-asks after a validation error (instructor's max_retries).
    max_reasks: int = 1

    @property
    def schema_name(self) -> str:
        return self.response_model.__name__

    def params(self) -> dict[str, Any]:
        return {"max_tokens": self.max_tokens, "temperature": self.temperature}


class CallStatus(StrEnum):
    ok = "ok"
    invalid = "invalid"  # the answer failed validation
    error = "error"  # no usable answer


@dataclass
class CallRecord:
    """One attempt at the model: what went in, what came out, what it cost."""

    attempt: int
    messages: list[dict[str, Any]]
    params: dict[str, Any]
    response_raw: str | None = None
    parsed: dict[str, Any] | None = None
    error: str | None = None
    status: CallStatus = CallStatus.ok
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_ms: float | None = None


@dataclass
class LLMResult:
    parsed: BaseModel | None
    records: list[CallRecord] = field(default_factory=list)
    error: str | None = None
    cached: bool = False
    request_hash: str = ""
    # On a cache hit, the logged answers of the call's attempts that failed validation.
    replayed_invalid: list[str] = field(default_factory=list)
    # Set by `CachedBackend` when the request reached the model: the call to store.
    logged: ModelCall | None = None

    @property
    def ok(self) -> bool:
        return self.parsed is not None

    @property
    def invalid_answers(self) -> list[str]:
        """Raw answers that failed validation, in attempt order.

        A re-ask can lose what an earlier answer had right (small models often answer with an
        empty list), so callers may want the parts of these that do validate.
        """
        if self.cached:
            return list(self.replayed_invalid)
        return [
            r.response_raw
            for r in self.records
            if r.status == CallStatus.invalid and r.response_raw is not None
        ]

    @property
    def prompt_tokens(self) -> int:
        return sum(r.prompt_tokens or 0 for r in self.records)

    @property
    def completion_tokens(self) -> int:
        return sum(r.completion_tokens or 0 for r in self.records)


class Backend(Protocol):
    """A model that fills pydantic schemas. `name` is the family, `model` the exact model id."""

    name: str
    model: str
    # How many requests may be in flight at once; in-process models serialise.
    max_concurrency: int

    def complete(self, request: LLMRequest) -> LLMResult: ...

    def identity(self) -> dict[str, Any]:
        """Everything about the backend that changes its answers (part of the cache key)."""
        ...


class BackendError(RuntimeError):
    """A backend could not be set up (missing model file, missing extra, bad URL)."""
