"""Saved llama.cpp states of each prompt's shared prefix, so a new process need not re-read it.

Every request of one prompt starts with the same instructions and examples (~700 tokens for the
anchored prompt). In one process llama.cpp keeps their KV cache between calls, but each new
process reads them again: on 2 cores that is the ~45 s the first call of every run pays. After a
prompt's first call its state (KV cache plus tokens) is written to disk with llama.cpp's own
`llama_state_save_file`; the first call of that prompt in a later process loads it, and
llama-cpp-python's prefix matching then evaluates only the tokens that differ. The file is keyed
by model file, llama.cpp version, context size and prompt version; one that does not load is
deleted and the call just reads the prompt.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DISABLE_ENV = "SPANFACT_PREFIX_STATES"
SUFFIX = ".llstate"
# Each state is a few tens of MB (28 KB of KV per token for the 1.5B model).
KEEP = 8


def enabled() -> bool:
    return os.environ.get(DISABLE_ENV, "on").lower() not in ("0", "off", "no", "false")


class PrefixStates:
    def __init__(self, directory: Path, model_path: Path, n_ctx: int, *, keep: int = KEEP) -> None:
        import llama_cpp

        self.directory = directory
        stat = model_path.stat()
        self._model_key = f"{model_path.name}:{stat.st_size}:{llama_cpp.__version__}:{n_ctx}"
        self.keep = keep

    def path(self, family: str) -> Path:
        digest = hashlib.sha256(f"{self._model_key}:{family}".encode()).hexdigest()[:24]
        return self.directory / f"{digest}{SUFFIX}"

    def restore(self, llm: Any, family: str) -> int:
        """Load the saved state of `family` into `llm`; the number of tokens it holds (0: none)."""
        import llama_cpp

        path = self.path(family)
        if not path.exists():
            return 0
        capacity = llm.n_ctx()
        tokens = (llama_cpp.llama_token * capacity)()
        count = ctypes.c_size_t(0)
        loaded = llama_cpp.llama_state_load_file(
            llm.ctx, str(path).encode(), tokens, capacity, ctypes.byref(count)
        )
        n = int(count.value)
        if not loaded or n == 0:
            log.warning("discarding a saved prompt state that does not load: %s", path)
            path.unlink(missing_ok=True)
            llm.reset()
            return 0
        llm.input_ids[:n] = tokens[:n]
        llm.n_tokens = n
        # The logits in memory are not those of the restored tokens: make the next call decode.
        llm._requires_eval = True
        path.touch()
        log.info("restored %d prompt tokens of %s from %s", n, family, path)
        return n

    def save(self, llm: Any, family: str) -> None:
        """Write `llm`'s current state as `family`'s, atomically; then prune old states."""
        import llama_cpp

        n = int(llm.n_tokens)
        if n == 0:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path(family)
        partial = path.with_suffix(f".{os.getpid()}.partial")
        tokens = (llama_cpp.llama_token * n)(*llm.input_ids[:n].tolist())
        if not llama_cpp.llama_state_save_file(llm.ctx, str(partial).encode(), tokens, n):
            partial.unlink(missing_ok=True)
            log.warning("could not save the prompt state of %s", family)
            return
        partial.replace(path)
        self._prune()

    def _prune(self) -> None:
        states = sorted(
            self.directory.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True
        )
        for old in states[self.keep :]:
            old.unlink(missing_ok=True)
