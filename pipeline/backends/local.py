"""The embedded default: a GGUF model run in-process by llama-cpp-python.

Output is grammar-constrained: llama.cpp turns `{"type": "json_object", "schema": ...}` into a
GBNF grammar, so every token the model emits keeps the answer valid against the schema. A schema
that only picks among fixed strings (the anchored labels) is answered by `choice_decoding`
instead: the same greedy choices, without a forward pass per token of JSON the schema fixes.
`SPANFACT_DECODER=grammar` turns that off (for comparing the two). Both pick the model's greedy
answer; they differ only where two labels are near-tied and reading tokens in a batch rather
than one by one tips the balance (6 of 812 labels over the dev sets), so a cached answer of
either is the model's answer and the decoder is not part of the cache key.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from pipeline.backends.base import BackendError, LLMRequest, LLMResult
from pipeline.backends.choice_decoding import ChoicePlan, choice_plan, decode
from pipeline.backends.instructed import InstructedBackend, ResponseFormat, chat_completion
from pipeline.backends.model_files import cache_dir, describe, resolve_model_path
from pipeline.backends.prefix_states import PrefixStates
from pipeline.backends.prefix_states import enabled as prefix_states_on

log = logging.getLogger(__name__)

# Arguments llama-cpp-python's chat completion accepts; anything else would be a TypeError.
_ACCEPTED = frozenset(
    {"messages", "response_format", "max_tokens", "temperature", "seed", "stop", "top_p", "model"}
)

DEFAULT_N_CTX = 4096
DECODER_ENV = "SPANFACT_DECODER"


def choice_decoding_on() -> bool:
    return os.environ.get(DECODER_ENV, "choice").lower() != "grammar"


def prefix_family(request: LLMRequest) -> str:
    """What a saved prefix state is kept under: the prompt and everything before the request's
    own message. The topic's description and metrics are part of the instructions, so a state
    saved under one topic would match another's prompt for a few tokens only."""
    shared = json.dumps(request.messages[:-1], sort_keys=True)
    digest = hashlib.sha256(shared.encode()).hexdigest()[:16]
    return f"{request.prompt_name}@{request.prompt_version}:{digest}"


def _plan(kwargs: dict[str, Any]) -> ChoicePlan | None:
    response_format = kwargs.get("response_format")
    if not isinstance(response_format, dict) or response_format.get("type") != "json_object":
        return None
    schema = response_format.get("schema")
    return choice_plan(schema) if isinstance(schema, dict) else None


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

        self.choice_decoding = choice_decoding_on()

        def create(**kwargs: Any) -> Any:
            plan = _plan(kwargs) if self.choice_decoding else None
            if plan is not None:
                return self._choose(plan, kwargs["messages"])
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
        self._formatter: Any = None
        self._token_ids: dict[bytes, int] | None = None
        self._family: str | None = None
        self._saved: set[str] = set()
        self._state_lock = threading.Lock()

    def _prompt_tokens(self, messages: list[dict[str, Any]]) -> list[int]:
        """The chat-formatted prompt, tokenized as llama-cpp-python's chat completion does."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        llm = self.llm
        if self._formatter is None:
            self._formatter = Jinja2ChatFormatter(
                template=llm.metadata["tokenizer.chat_template"],
                eos_token=llm.detokenize([llm.token_eos()], special=True).decode(),
                bos_token=llm.detokenize([llm.token_bos()], special=True).decode(),
            )
        formatted = self._formatter(messages=messages)
        tokens: list[int] = llm.tokenize(
            formatted.prompt.encode(), add_bos=not formatted.added_special, special=True
        )
        return tokens

    def _vocabulary(self) -> dict[bytes, int]:
        """Each token's text, to find the tokens that spell the start of an option."""
        if self._token_ids is None:
            llm = self.llm
            ids: dict[bytes, int] = {}
            for token in range(llm.n_vocab()):
                text = llm.detokenize([token])
                if text:
                    # setdefault: a text two ids share keeps the first (lower, more common) id.
                    ids.setdefault(text, token)
            self._token_ids = ids
        return self._token_ids

    def _choose(self, plan: ChoicePlan, messages: list[dict[str, Any]]) -> Any:
        import llama_cpp
        import numpy as np

        llm = self.llm
        prompt = self._prompt_tokens(messages)
        if len(prompt) + 16 * len(plan.choices) > llm.n_ctx():
            raise ValueError(
                f"Requested tokens ({len(prompt)}) exceed context window of {llm.n_ctx()}"
            )
        # Reuse the KV cache of the longest prefix already evaluated (the shared instructions).
        cached = llm.longest_token_prefix(llm.input_ids[: llm.n_tokens].tolist(), prompt)
        llm.n_tokens = cached
        n_vocab = llm.n_vocab()

        def evaluate(tokens: list[int]) -> Any:
            llm.eval(tokens)
            logits = llama_cpp.llama_get_logits_ith(llm.ctx, -1)
            return np.ctypeslib.as_array(logits, shape=(n_vocab,))

        def tokenize(text: bytes) -> list[int]:
            tokens: list[int] = llm.tokenize(text, add_bos=False, special=False)
            return tokens

        content, answer_tokens = decode(
            plan, tokenize, self._vocabulary().get, evaluate, prompt[cached:]
        )
        # The logits in memory follow the last evaluated token, not the whole answer.
        llm._requires_eval = True
        return chat_completion(content, self.model, len(prompt), answer_tokens)

    def complete(self, request: LLMRequest) -> LLMResult:
        family = prefix_family(request)
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
