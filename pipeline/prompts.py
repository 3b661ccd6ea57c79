"""Prompt files from `prompts/`: versioned data, rendered with Jinja2.

The topic files in `prompts/topics/` are read by `pipeline.topic`.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

# Editable installs and wheels both place `prompts/` next to the `pipeline` package.
PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"

_ENV = jinja2.Environment(
    undefined=jinja2.StrictUndefined, keep_trailing_newline=False, autoescape=False
)


@cache
def _compiled(source: str) -> jinja2.Template:
    # Parsing a template costs milliseconds; a run renders the same few thousands of times.
    return _ENV.from_string(source)


class PromptError(ValueError):
    """A prompt, topic or metrics file is missing or malformed."""


@dataclass(frozen=True)
class Example:
    """A few-shot turn: written out (`user`, `assistant`), or a plain `passage` with its
    `labels`, which the strategy renders with the same code as a live request."""

    user: str = ""
    assistant: str = ""
    passage: str | None = None
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    version: str
    system: str
    user: str
    examples: tuple[Example, ...] = ()
    # sha256 of the file: an edit that forgets to bump `version` still makes results stale.
    digest: str = ""

    def render_user(self, user_vars: dict[str, Any]) -> str:
        return _compiled(self.user).render(**user_vars)

    def messages(
        self,
        system_vars: dict[str, Any],
        user_vars: dict[str, Any],
        examples: Sequence[Example] | None = None,
    ) -> list[dict[str, str]]:
        """System and examples first, so every call of a run shares one cacheable prefix.
        `examples` replaces the file's own, once a strategy has rendered them."""
        out = [{"role": "system", "content": _compiled(self.system).render(**system_vars)}]
        for ex in self.examples if examples is None else examples:
            out.append({"role": "user", "content": ex.user.strip()})
            out.append({"role": "assistant", "content": ex.assistant.strip()})
        out.append({"role": "user", "content": self.render_user(user_vars)})
        return out


def read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise PromptError(f"no such prompt file: {path}")
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise PromptError(f"{path}: {exc}") from exc


def file_digest(*paths: Path | None) -> str:
    h = hashlib.sha256()
    for path in paths:
        if path is not None and path.is_file():
            h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def load_prompt(name: str, directory: Path | None = None) -> PromptTemplate:
    """The prompt `name` from `directory` (default `PROMPTS_DIR`), re-read when its file changes,
    so a long-lived process never renders an edited prompt with the old text."""
    path = (directory or PROMPTS_DIR) / f"{name}.toml"
    return _load_prompt(path, name, file_digest(path))


def _example(data: dict[str, Any]) -> Example:
    if "passage" in data:
        return Example(passage=str(data["passage"]), labels=tuple(str(x) for x in data["labels"]))
    return Example(str(data["user"]), str(data["assistant"]))


@cache
def _load_prompt(path: Path, name: str, digest: str) -> PromptTemplate:
    data = read_toml(path)
    try:
        return PromptTemplate(
            name=str(data.get("name", name)),
            version=str(data["version"]),
            system=str(data["system"]),
            user=str(data["user"]),
            examples=tuple(_example(e) for e in data.get("examples", [])),
            digest=digest,
        )
    except KeyError as exc:
        raise PromptError(f"{path}: missing key {exc}") from exc
