"""Prompt and topic files from `prompts/`: versioned data, rendered with Jinja2."""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from pipeline.sources import SourceAliases, load_aliases, parse_aliases
from schemas.claims import Metric

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


@dataclass(frozen=True)
class Topic:
    name: str
    version: str
    description: str
    terms: tuple[str, ...]
    sources_file: Path | None = None
    # metric name -> words that name it (see pipeline/extract/cues.py)
    metric_cues: dict[str, list[str]] = field(default_factory=dict)
    # metric name -> what it counts, as the model is told; the topic's metric vocabulary
    metrics: dict[str, str] = field(default_factory=dict)
    # Metrics whose cues only name who is counted ("troops", "shells"), not what happened.
    noun_metrics: tuple[str, ...] = ()
    # The `[sources]` table of the topic file itself, when the aliases live there.
    inline_sources: dict[str, Any] | None = None
    # sha256 of the topic file and its alias table: what decides that results are stale.
    digest: str = ""

    def aliases(self) -> SourceAliases | None:
        """The topic's source alias table, if it has one."""
        return _aliases(self)

    def mentions_topic(self, text: str) -> bool:
        low = text.lower()
        return any(term in low for term in self.terms)

    @property
    def label_metrics(self) -> tuple[str, ...]:
        """What the model may answer for a number: the topic's metrics, `other`, `none`."""
        names = [m for m in self.metrics if m not in ("other", "none")]
        return (*names, "other", "none")

    def __hash__(self) -> int:
        return hash((self.name, self.digest))


_ALIAS_CACHE: dict[tuple[str, str], SourceAliases | None] = {}


def _aliases(topic: Topic) -> SourceAliases | None:
    key = (topic.name, topic.digest)
    if key not in _ALIAS_CACHE:
        if topic.inline_sources is not None:
            table: SourceAliases | None = parse_aliases(
                topic.inline_sources, origin=f"topic {topic.name}: [sources]"
            )
        elif topic.sources_file is not None and topic.sources_file.is_file():
            table = load_aliases(topic.sources_file)
        else:
            table = None
        _ALIAS_CACHE[key] = table
    return _ALIAS_CACHE[key]


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise PromptError(f"no such prompt file: {path}")
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise PromptError(f"{path}: {exc}") from exc


def _digest(*paths: Path | None) -> str:
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
    return _load_prompt(path, name, _digest(path))


def _example(data: dict[str, Any]) -> Example:
    if "passage" in data:
        return Example(passage=str(data["passage"]), labels=tuple(str(x) for x in data["labels"]))
    return Example(str(data["user"]), str(data["assistant"]))


@cache
def _load_prompt(path: Path, name: str, digest: str) -> PromptTemplate:
    data = _read_toml(path)
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


@dataclass(frozen=True)
class MetricDefaults:
    """What every topic inherits for a metric it names (prompts/metrics.toml)."""

    text: dict[str, str]
    cues: dict[str, list[str]]


def metrics_file() -> Path:
    return PROMPTS_DIR / "metrics.toml"


def load_metric_defaults(path: Path | None = None) -> MetricDefaults:
    data = _read_toml(path or metrics_file()).get("metrics", {})
    known = {m.value for m in Metric}
    unknown = sorted(set(data) - known)
    if unknown:
        raise PromptError(f"{path or metrics_file()}: unknown metric(s) {', '.join(unknown)}")
    return MetricDefaults(
        text={k: " ".join(str(v.get("text", k)).split()) for k, v in data.items()},
        cues={k: [str(w) for w in v.get("cues", [])] for k, v in data.items()},
    )


def load_topic(name: str = DEFAULT_TOPIC, directory: Path | None = None) -> Topic:
    """The topic named `name` (a file in `prompts/topics/`) or at a `.toml` path."""
    folder = directory or PROMPTS_DIR / "topics"
    path = Path(name) if name.endswith(".toml") else folder / f"{name}.toml"
    sources = _read_toml(path).get("sources_file")
    sources_path = path.parent / str(sources) if sources else None
    # Re-read when a file changes, so a long-lived process (tests, a server) never scores a
    # topic edit with the old words. The shared metric defaults are part of every topic.
    return _load_topic(path, _digest(path, sources_path, metrics_file()))


@cache
def _load_topic(path: Path, digest: str) -> Topic:
    data = _read_toml(path)
    try:
        sources = data.get("sources_file")
        own_cues = {str(k): [str(w) for w in v] for k, v in data.get("metric_cues", {}).items()}
        described = {str(k): " ".join(str(v).split()) for k, v in data.get("metrics", {}).items()}
        # A topic without a [metrics] table uses the metrics its cues name.
        names = list(described) or [*own_cues, "other"]
        defaults = load_metric_defaults()
        metrics = {m: described.get(m) or defaults.text.get(m, m) for m in names}
        # The generic words for each metric the topic uses, then the topic's own: a topic file
        # written with few cue words still gets the everyday ones ("death toll", "injured").
        cues = {
            m: list(dict.fromkeys([*defaults.cues.get(m, []), *own_cues.get(m, [])]))
            for m in dict.fromkeys([*metrics, *own_cues])
        }
        cues = {m: words for m, words in cues.items() if words}
        known = {m.value for m in Metric}
        unknown = sorted({*metrics, *cues} - known)
        if unknown:
            raise PromptError(
                f"{path}: unknown metric(s) {', '.join(unknown)}; "
                f"choose from {', '.join(sorted(known))}"
            )
        inline = data.get("sources")
        if inline is not None and not isinstance(inline, dict):
            raise PromptError(f"{path}: [sources] must be a table")
        return Topic(
            name=str(data.get("name", path.stem)),
            version=str(data["version"]),
            description=" ".join(str(data["description"]).split()),
            terms=tuple(str(t).lower() for t in data.get("topic_terms", [])),
            sources_file=path.parent / str(sources) if sources else None,
            metric_cues=cues,
            metrics=metrics,
            noun_metrics=tuple(str(m) for m in data.get("noun_metrics", [])),
            inline_sources=inline,
            digest=digest,
        )
    except KeyError as exc:
        raise PromptError(f"{path}: missing key {exc}") from exc
