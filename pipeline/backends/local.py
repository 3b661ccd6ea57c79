"""The embedded default: a GGUF model run in-process by llama-cpp-python.

Output is grammar-constrained: llama.cpp turns `{"type": "json_object", "schema": ...}` into a
GBNF grammar, so every token the model emits keeps the answer valid against the schema.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from pathlib import Path
from typing import Any

from pipeline.backends.base import BackendError, LLMRequest, LLMResult
from pipeline.backends.instructed import InstructedBackend, ResponseFormat
from pipeline.backends.model_files import cache_dir, describe, resolve_model_path
from pipeline.backends.prefix_states import PrefixStates
from pipeline.backends.prefix_states import enabled as prefix_states_on

log = logging.getLogger(__name__)

# Arguments llama-cpp-python's chat completion accepts; anything else would be a TypeError.
_ACCEPTED = frozenset(
    {"messages", "response_format", "max_tokens", "temperature", "seed", "stop", "top_p", "model"}
)

DEFAULT_N_CTX = 4096


class LocalBackend(InstructedBackend):
    def __init__(
        self,
        model_path: str | None = None,
        *,
        variant: str = "1.5b",
        n_ctx: int = DEFAULT_N_CTX,
        n_threads: int | None = None,
        states_dir: Path | None = None,
    ) -> None:
        if importlib.util.find_spec("llama_cpp") is None:
            raise BackendError(
                "the local model needs llama-cpp-python: pip install -e '.[local]' "
                "(or use --model openai:NAME with OPENAI_BASE_URL)"
            )
        path: Path = resolve_model_path(model_path, variant)
        self.model_path = path
        self._llm: Any = None
        self._settings = {"n_ctx": n_ctx, "n_threads": n_threads or os.cpu_count() or 2}

        def create(**kwargs: Any) -> Any:
            return self.llm.create_chat_completion_openai_v1(
                **{k: v for k, v in kwargs.items() if k in _ACCEPTED}
            )

        super().__init__(
            name="local",
            model=describe(path),
            create=create,
            response_format=ResponseFormat.llamacpp,
            max_concurrency=1,
            # A local call fails for reasons a retry will not fix.
            max_retries=0,
            extra_params={"seed": 0},
            serialize=True,
        )
        self.n_ctx = n_ctx
        self._states = (
            PrefixStates(states_dir or cache_dir() / "prompt-states", path, n_ctx)
            if prefix_states_on()
            else None
        )
        self._family: str | None = None
        self._saved: set[str] = set()
        self._state_lock = threading.Lock()

    def complete(self, request: LLMRequest) -> LLMResult:
        family = f"{request.prompt_name}@{request.prompt_version}"
        with self._state_lock:
            states = self._states
            if states is not None and family != self._family:
                # Only when the prompt changes: otherwise the KV cache in memory is as good.
                states.restore(self.llm, family)
            result = super().complete(request)
            if states is not None and family not in self._saved and result.records:
                if not states.path(family).exists():
                    states.save(self.llm, family)
                self._saved.add(family)
            self._family = family
            return result

    @property
    def llm(self) -> Any:
        """The loaded model; loading waits for the first call, so fully cached runs skip it."""
        if self._llm is None:
            from llama_cpp import Llama

            log.info("loading %s", self.model_path)
            self._llm = Llama(
                model_path=str(self.model_path),
                n_ctx=self._settings["n_ctx"],
                n_threads=self._settings["n_threads"],
                n_batch=512,
                seed=0,
                verbose=False,
            )
        return self._llm
