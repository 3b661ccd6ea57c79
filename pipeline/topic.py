"""The topic a run extracts for: its metrics, their cue words, its on-topic test and how it
names sources.

A topic is a file in `prompts/topics/` (or any `.toml` path); every topic inherits the generic
metric texts and cue words of `prompts/metrics.toml`. The topic's `digest` hashes all the files
it was read from, so an edit that forgets to bump `version` still makes stored results stale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

# `prompts.PROMPTS_DIR` read at call time: tests point it at a copy.
from pipeline import prompts
from pipeline.prompts import PromptError, file_digest, read_toml
from pipeline.sources import SourceAliases, load_aliases, parse_aliases
from schemas.claims import LabelMetric, Metric

if TYPE_CHECKING:
    from pipeline.extract.cues import MetricCues

DEFAULT_TOPIC = "ukraine_dprk"

# A source as the model wrote it -> its canonical name (None: nobody is credited).
NormalizeSource = Callable[[str | None], str | None]


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
        """The on-topic test: does `text` (a paragraph) name one of the topic's terms?"""
        low = text.lower()
        return any(term in low for term in self.terms)

    @property
    def on_topic(self) -> OnTopic:
        """The on-topic test that also lets a story's last paragraphs, which name only its
        events ("1,850 people have been evacuated"), count as about the topic."""
        return _on_topic(self)

    def source_normalizer(self) -> NormalizeSource:
        """Canonical source names through the topic's alias table; without one, names are only
        tidied, and the "nobody" words still read as no source."""
        aliases = self.aliases()
        return (_NO_ALIASES if aliases is None else aliases).normalize

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


_NO_ALIASES = SourceAliases(entries=())


@dataclass(frozen=True)
class MetricDefaults:
    """What every topic inherits for a metric it names (prompts/metrics.toml)."""

    text: dict[str, str]
    cues: dict[str, list[str]]


def metrics_file() -> Path:
    return prompts.PROMPTS_DIR / "metrics.toml"


def load_metric_defaults(path: Path | None = None) -> MetricDefaults:
    data = read_toml(path or metrics_file()).get("metrics", {})
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
    folder = directory or prompts.PROMPTS_DIR / "topics"
    path = Path(name) if name.endswith(".toml") else folder / f"{name}.toml"
    sources = read_toml(path).get("sources_file")
    sources_path = path.parent / str(sources) if sources else None
    # Re-read when a file changes, so a long-lived process (tests, a server) never scores a
    # topic edit with the old words. The shared metric defaults are part of every topic.
    return _load_topic(path, file_digest(path, sources_path, metrics_file()))


@cache
def _load_topic(path: Path, digest: str) -> Topic:
    data = read_toml(path)
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


@dataclass(frozen=True, eq=False)
class OnTopic:
    """`Topic.mentions_topic`, and whether a paragraph names one of the topic's events: a cue
    of a metric that says what happened (not `other`, not a who-metric like `deployed`), found
    as the strategy finds cues."""

    topic: Topic
    cues: MetricCues

    def __call__(self, text: str) -> bool:
        return self.topic.mentions_topic(text)

    def names_event(self, text: str) -> bool:
        return any(
            m in self.cues.events and m is not LabelMetric.other for _, m in self.cues.found(text)
        )


@cache
def topic_cues(topic: Topic) -> MetricCues:
    """The topic's metric words, compiled once per topic file (a Topic hashes by its digest):
    the strategy, the checks and the on-topic test all read the same table."""
    from pipeline.extract.cues import MetricCues  # pipeline.extract's strategies read topics

    return MetricCues.from_config(topic.metric_cues, topic.noun_metrics)


@cache
def _on_topic(topic: Topic) -> OnTopic:
    return OnTopic(topic, topic_cues(topic))
