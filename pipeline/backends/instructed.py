"""The one path from a raw chat-completion function to a validated pydantic answer.

Every backend (llama.cpp in-process, any OpenAI-compatible server, the fake) supplies only a
`create(**kwargs) -> ChatCompletion` function. This module wraps it with:

- the `response_format` the server actually honours (llama.cpp ignores OpenAI's
  `{"type": "json_schema"}` and constrains output only with
  `{"type": "json_object", "schema": ...}`);
- tenacity retries with backoff for transient failures (timeouts, 429, 5xx, dropped connections);
- a record of every attempt (request, raw answer, tokens, latency) for the call log;

and hands it to instructor, which validates the answer against the schema and re-asks the model
with the validation error (bounded by `LLMRequest.max_reasks`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any

import instructor
import openai
from instructor.core import IncompleteOutputException, InstructorRetryException
from openai.types.chat import ChatCompletion
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from pipeline.backends.base import CallRecord, CallStatus, LLMRequest, LLMResult

log = logging.getLogger(__name__)

RawCreate = Callable[..., Any]


class ResponseFormat(StrEnum):
    """How a server is told to produce JSON for a schema."""

    json_schema = "json_schema"  # OpenAI structured outputs, vLLM, recent Ollama
    llamacpp = "llamacpp"  # llama.cpp / llama-cpp-python: json_object + schema -> grammar
    json_object = "json_object"  # plain JSON mode; the schema travels in the prompt only


def adapt_response_format(kwargs: dict[str, Any], fmt: ResponseFormat) -> dict[str, Any]:
    """Rewrite instructor's JSON_SCHEMA `response_format` into the form the server honours."""
    rf = kwargs.get("response_format")
    if fmt is ResponseFormat.json_schema or not isinstance(rf, dict) or "json_schema" not in rf:
        return kwargs
    schema = rf["json_schema"]["schema"]
    out = dict(kwargs)
    if fmt is ResponseFormat.llamacpp:
        out["response_format"] = {"type": "json_object", "schema": schema}
    else:
        out["response_format"] = {"type": "json_object"}
        note = "Answer with one JSON object matching this JSON schema:\n" + json.dumps(schema)
        out["messages"] = [{"role": "system", "content": note}, *kwargs.get("messages", [])]
    return out


def is_transient(exc: BaseException) -> bool:
    """Errors worth waiting for: the same request may well succeed a moment later."""
    if isinstance(exc, openai.APITimeoutError | openai.APIConnectionError | openai.RateLimitError):
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code >= 500 or exc.status_code in (408, 409, 429)
    return isinstance(exc, TimeoutError | ConnectionError)


# The longest a server's Retry-After is obeyed for: a header asking for an hour must not stall a
# batch; past this the retry waits this long and, if still refused, the document fails.
MAX_RETRY_AFTER_S = 60.0
DEFAULT_TIMEOUT_S = 120.0
DEFAULT_MAX_RETRIES = 3


def retry_after_seconds(exc: BaseException, now: datetime | None = None) -> float | None:
    """The wait a 429/503 answer asks for (Retry-After seconds or date, or retry-after-ms)."""
    if not isinstance(exc, openai.APIStatusError) or exc.status_code not in (429, 503):
        return None
    headers = exc.response.headers
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class _WaitRetryAfter:
    """Exponential backoff with jitter, unless the server said how long to wait."""

    def __init__(self, max_wait_s: float, max_retry_after_s: float) -> None:
        self._backoff = wait_exponential_jitter(multiplier=0.5, max=max_wait_s)
        self._cap = max_retry_after_s

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = retry_after_seconds(exc) if exc is not None else None
        if asked is not None:
            return min(asked, self._cap)
        return float(self._backoff(state))


def chat_completion(
    content: str,
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    finish_reason: str = "stop",
) -> ChatCompletion:
    """An OpenAI chat completion holding `content`, for answers made without a server."""
    return ChatCompletion.model_validate(
        {
            "id": "spanfact",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": finish_reason,
                    "message": {"role": "assistant", "content": content},
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    )


def _usage(response: Any) -> tuple[int | None, int | None]:
    usage = getattr(response, "usage", None)
    if usage is None:
        return None, None
    return getattr(usage, "prompt_tokens", None), getattr(usage, "completion_tokens", None)


def _content(response: Any) -> str | None:
    choices = getattr(response, "choices", None)
    if not choices:
        return None
    content = choices[0].message.content
    return content if isinstance(content, str) else None


class InstructedBackend:
    """A backend made of a raw `create` function; subclasses only decide which function."""

    def __init__(
        self,
        *,
        name: str,
        model: str,
        create: RawCreate,
        response_format: ResponseFormat,
        max_concurrency: int = 1,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_wait_s: float = 20.0,
        max_retry_after_s: float = MAX_RETRY_AFTER_S,
        extra_params: dict[str, Any] | None = None,
        serialize: bool = False,
    ) -> None:
        self.name = name
        self.model = model
        self.max_concurrency = max_concurrency
        self.response_format = response_format
        self._create = create
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {max_retries}")
        self._attempts = max_retries + 1
        self._max_wait_s = max_wait_s
        self._max_retry_after_s = max_retry_after_s
        self._extra_params = dict(extra_params or {})
        # In-process models are not thread-safe; a lock keeps concurrent callers correct.
        self._lock: threading.Lock | None = threading.Lock() if serialize else None

    def identity(self) -> dict[str, Any]:
        """Everything about this backend that changes answers, for the cache key."""
        return {
            "backend": self.name,
            "model": self.model,
            "response_format": self.response_format.value,
            **self._extra_params,
        }

    def _call_with_retries(self, kwargs: dict[str, Any], records: list[CallRecord]) -> Any:
        attempts = self._attempts

        def log_retry(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            wait_s = state.next_action.sleep if state.next_action else 0.0
            log.warning(
                "transient model error on attempt %d of %d, retrying in %.1f s: %s",
                state.attempt_number,
                attempts,
                wait_s,
                exc,
            )

        def log_give_up(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            if state.attempt_number >= attempts and exc is not None and is_transient(exc):
                log.error("model error after %d attempts, giving up: %s", state.attempt_number, exc)

        retrying = Retrying(
            stop=stop_after_attempt(attempts),
            wait=_WaitRetryAfter(self._max_wait_s, self._max_retry_after_s),
            retry=retry_if_exception(is_transient),
            before_sleep=log_retry,
            after=log_give_up,
            reraise=True,
        )
        params = {k: v for k, v in kwargs.items() if k not in ("messages", "response_format")}
        for attempt in retrying:
            with attempt:
                started = time.perf_counter()
                try:
                    if self._lock is not None:
                        with self._lock:
                            response = self._create(**kwargs)
                    else:
                        response = self._create(**kwargs)
                except Exception as exc:
                    records.append(
                        CallRecord(
                            attempt=len(records) + 1,
                            messages=list(kwargs.get("messages", [])),
                            params=params,
                            error=f"{type(exc).__name__}: {exc}",
                            status=CallStatus.error,
                            latency_ms=(time.perf_counter() - started) * 1000,
                        )
                    )
                    raise
                prompt_tokens, completion_tokens = _usage(response)
                records.append(
                    CallRecord(
                        attempt=len(records) + 1,
                        messages=list(kwargs.get("messages", [])),
                        params=params,
                        response_raw=_content(response),
                        prompt_tokens=prompt_tokens,
                        completion_tokens=completion_tokens,
                        latency_ms=(time.perf_counter() - started) * 1000,
                    )
                )
                return response
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    def complete(self, request: LLMRequest) -> LLMResult:
        records: list[CallRecord] = []

        def recording_create(**kwargs: Any) -> Any:
            return self._call_with_retries(
                adapt_response_format(kwargs, self.response_format), records
            )

        create = instructor.patch(create=recording_create, mode=instructor.Mode.JSON_SCHEMA)
        try:
            parsed = create(
                model=self.model,
                messages=[dict(m) for m in request.messages],
                response_model=request.response_model,
                max_retries=request.max_reasks,
                context=request.context,
                # Lenient parsing: a remote model without a grammar may write "300" for 300.
                strict=False,
                **request.params(),
                **self._extra_params,
            )
        except InstructorRetryException as exc:
            cause = exc.__cause__ or exc
            error = f"{type(cause).__name__}: {cause}"
            _mark_failed(records, error)
            return LLMResult(parsed=None, records=records, error=_short(error))
        except IncompleteOutputException:
            error = (
                f"the answer was cut off at max_tokens={request.max_tokens} and is not valid JSON"
            )
            _mark_failed(records, error)
            return LLMResult(parsed=None, records=records, error=error)
        _mark_success(records, parsed.model_dump(mode="json", by_alias=True))
        return LLMResult(parsed=parsed, records=records)


def _answered(records: list[CallRecord]) -> list[CallRecord]:
    return [r for r in records if r.status != CallStatus.error]


def _mark_success(records: list[CallRecord], parsed: dict[str, Any]) -> None:
    answered = _answered(records)
    for r in answered[:-1]:
        r.status = CallStatus.invalid
        r.error = r.error or "failed validation; the model was re-asked with the error"
    if answered:
        answered[-1].parsed = parsed


def _mark_failed(records: list[CallRecord], error: str) -> None:
    for r in _answered(records):
        r.status = CallStatus.invalid
        r.error = _short(error)


def _short(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else text[:limit] + " ..."
