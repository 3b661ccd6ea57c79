"""`--model` strings to backends, in one place (the only place that knows every backend).

`fake` and the `SPANFACT_FAKE_DELAY` variable are test seams (see `pipeline.backends.fake`).
"""

from __future__ import annotations

import os

from pipeline.backends.base import Backend, BackendError
from pipeline.backends.instructed import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_S, ResponseFormat

MODEL_HELP = (
    "local (embedded Qwen2.5-Coder-1.5B, default) | local:0.5b (the 0.5B variant, `small` extra) "
    "| local:PATH.gguf | "
    "openai:NAME (OpenAI, vLLM, Ollama, llama.cpp server via OPENAI_BASE_URL) | fake (tests)"
)


def create_backend(
    spec: str,
    *,
    response_format: str | None = None,
    timeout_s: float | None = None,
    max_retries: int | None = None,
) -> Backend:
    """`timeout_s` and `max_retries` apply to remote models (None: the backend's default)."""
    family, _, rest = spec.partition(":")
    fmt = ResponseFormat(response_format) if response_format else None
    if family == "local":
        from pipeline.backends.local import LocalBackend

        if rest in ("", "1.5b", "0.5b"):
            return LocalBackend(None, variant=rest or "1.5b")
        return LocalBackend(rest)
    if family == "openai":
        from pipeline.backends.openai_compat import OpenAIBackend

        return OpenAIBackend(
            rest,
            response_format=fmt,
            timeout_s=DEFAULT_TIMEOUT_S if timeout_s is None else timeout_s,
            max_retries=DEFAULT_MAX_RETRIES if max_retries is None else max_retries,
        )
    if family == "fake":
        from pipeline.backends.fake import FakeBackend, echo_responder

        # Test seam: a delay lets tests kill or interrupt a run mid-way, as a slow model would.
        delay = float(os.environ.get("SPANFACT_FAKE_DELAY", "0") or 0)
        return FakeBackend(echo_responder, model="fake-echo", delay_s=delay)
    raise BackendError(f"unknown --model {spec!r}; expected {MODEL_HELP}")
