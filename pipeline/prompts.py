"""Prompt and topic files from `prompts/`: versioned data, rendered with Jinja2."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from pipeline.sources import SourceAliases, load_aliases

# Editable installs and wheels both place `prompts/` next to the `pipeline` package.
PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
DEFAULT_TOPIC = "ukraine_dprk"

_ENV = jinja2.Environment(
    undefined=jinja2.StrictUndefined, keep_trailing_newline=False, autoescape=False
)


@cache
def _compiled(source: str) -> jinja2.Template:
    # Parsing a template costs milliseconds; a run renders the same few thousands of times.
    return _ENV.from_string(source)


class PromptError(ValueError):
    """A prompt or topic file is missing or malformed."""


@dataclass(frozen=True)
class Example:
    user: str
    assistant: str


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    version: str
    system: str
    user: str
    examples: tuple[Example, ...] = ()

    def messages(
        self, system_vars: dict[str, Any], user_vars: dict[str, Any]
    ) -> list[dict[str, str]]:
        """System and examples first, so every call of a run shares one cacheable prefix."""
        out = [{"role": "system", "content": _compiled(self.system).render(**system_vars)}]
        for ex in self.examples:
            out.append({"role": "user", "content": ex.user.strip()})
            out.append({"role": "assistant", "content": ex.assistant.strip()})
        out.append({"role": "user", "content": _compiled(self.user).render(**user_vars)})
        return out


@dataclass(frozen=True)
class Topic:
    name: str
    version: str
    description: str
    terms: tuple[str, ...]
    sources_file: Path | None = None
    # metric name -> words that name it (see pipeline/extract/cues.py)
    metric_cues: dict[str, list[str]] = field(default_factory=dict)

    def aliases(self) -> SourceAliases | None:
        """The topic's source alias table, if it has one."""
        table = self.sources_file
        return load_aliases(table) if table is not None and table.is_file() else None

    def mentions_topic(self, text: str) -> bool:
        low = text.lower()
        return any(term in low for term in self.terms)


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise PromptError(f"no such prompt file: {path}")
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise PromptError(f"{path}: {exc}") from exc


@cache
def load_prompt(name: str, directory: Path = PROMPTS_DIR) -> PromptTemplate:
    data = _read_toml(directory / f"{name}.toml")
    try:
        return PromptTemplate(
            name=str(data.get("name", name)),
            version=str(data["version"]),
            system=str(data["system"]),
            user=str(data["user"]),
            examples=tuple(
                Example(str(e["user"]), str(e["assistant"])) for e in data.get("examples", [])
            ),
        )
    except KeyError as exc:
        raise PromptError(f"{directory / name}.toml: missing key {exc}") from exc


@cache
def load_topic(name: str = DEFAULT_TOPIC, directory: Path = PROMPTS_DIR / "topics") -> Topic:
    path = Path(name) if name.endswith(".toml") else directory / f"{name}.toml"
    data = _read_toml(path)
    try:
        sources = data.get("sources_file")
        return Topic(
            name=str(data.get("name", path.stem)),
            version=str(data["version"]),
            description=" ".join(str(data["description"]).split()),
            terms=tuple(str(t).lower() for t in data.get("topic_terms", [])),
            sources_file=path.parent / str(sources) if sources else None,
            metric_cues={
                str(k): [str(w) for w in v] for k, v in data.get("metric_cues", {}).items()
            },
        )
    except KeyError as exc:
        raise PromptError(f"{path}: missing key {exc}") from exc
