"""Anchored strategy: numbers are found deterministically; the model only labels them.

Small models copy numbers and quotes badly but can say what a number counts when shown it. So
value, range and hedge come from `pipeline.numbers`, the quote is the sentence itself, and the
model answers one short JSON list per sentence: a metric (or `none`), a subject and a source.
Neighbouring sentences travel with it because attribution often sits there ("..., the GUR said.").
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, create_model

from pipeline.backends.base import Backend, LLMRequest
from pipeline.extract.attribution import attribute, known_sources
from pipeline.extract.base import Extracted, ExtractionOutcome
from pipeline.extract.cues import MetricCues, allowed_metrics
from pipeline.extract.sentences import Sentence, split_sentences
from pipeline.numbers import NumberMention, find_mentions
from pipeline.prompts import PromptTemplate, Topic, load_prompt
from pipeline.validate import topical_paragraph
from schemas.claims import SCHEMA_VERSION, Claim, LabelMetric, MentionLabel, Metric, Qualifier
from schemas.records import Span

log = logging.getLogger(__name__)

PROMPT_NAME = "anchored_label"
TOKENS_PER_LABEL = 40


def _literal(*values: object) -> Any:
    # A Literal built at run time: the allowed values depend on the sentence.
    return Literal.__getitem__(values)


def _fixed_tuple(items: list[Any]) -> Any:
    return tuple.__class_getitem__(tuple(items))


@cache
def labels_model(options: tuple[tuple[str, ...], ...]) -> type[BaseModel]:
    """A schema with one label per mention, in order, each limited to that mention's metrics.

    The grammar llama.cpp builds from it cannot skip, add or reorder a label, nor pick a metric
    the words around the number do not support.
    """
    items: list[Any] = []
    for i, allowed in enumerate(options, start=1):
        items.append(
            create_model(
                f"Label{i}",
                id=(_literal(i), ...),
                metric=(_literal(*allowed), ...),
                subject=(str | None, ...),
                source=(str | None, ...),
            )
        )
    model: type[BaseModel] = create_model("MentionLabels", labels=(_fixed_tuple(items), ...))
    return model


def mark(
    sentences: list[Sentence], index: int, before: int, after: int, mentions: list[NumberMention]
) -> str:
    """The passage around sentence `index`, with each mention written as [id:number]."""
    window = sentences[max(0, index - before) : index + after + 1]
    target = sentences[index]
    parts = []
    for s in window:
        if s is not target:
            parts.append(s.text)
            continue
        text = s.text
        for i, m in reversed(list(enumerate(mentions, start=1))):
            lo, hi = m.start - s.start, m.end - s.start
            text = f"{text[:lo]}[{i}:{text[lo:hi]}]{text[hi:]}"
        parts.append(text)
    return " ".join(parts)


def mention_options(
    cues: MetricCues, sentence: Sentence, mentions: list[NumberMention]
) -> list[tuple[str, ...]]:
    """Each mention's allowed metrics, from its clause: up to the neighbouring mentions."""
    out = []
    for k, m in enumerate(mentions):
        next_start = mentions[k + 1].start if k + 1 < len(mentions) else sentence.end
        prev_end = mentions[k - 1].end if k > 0 else sentence.start
        after = sentence.text[m.end - sentence.start : next_start - sentence.start]
        before = sentence.text[prev_end - sentence.start : m.start - sentence.start]
        out.append(tuple(metric.value for metric in allowed_metrics(cues, after, before)))
    return out


# Answers that name nobody; small models also cite the prompt's own words ("the passage").
_NO_SOURCE = frozenset(
    ["null", "none", "unknown", "n/a", "the passage", "passage", "the text", "text", "the article"]
)


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value if value and value.lower() not in _NO_SOURCE else None


def claim_from_label(label: MentionLabel, mention: NumberMention, sentence: Sentence) -> Claim:
    return Claim(
        metric=Metric(label.metric.value),
        value=mention.value,
        low=mention.low,
        high=mention.high,
        qualifier=Qualifier(mention.qualifier),
        subject=_clean(label.subject) or "unspecified",
        source=_clean(label.source),
        quote=sentence.text,
    )


class AnchoredStrategy:
    name = "anchored"
    # 2: sentence attribution wins over the model; 3: tighter metric cues; 4: continuation
    # paragraphs count as on-topic, wider noun window, no "the passage" sources; 5: measures and
    # appositive ages are not counts
    version = "5"

    def __init__(
        self,
        backend: Backend,
        topic: Topic,
        prompt: PromptTemplate | None = None,
        *,
        context_before: int = 1,
        context_after: int = 1,
    ) -> None:
        self.backend = backend
        self.topic = topic
        self.prompt = prompt or load_prompt(PROMPT_NAME)
        self.context_before = context_before
        self.context_after = context_after
        self.cues = MetricCues.from_config(topic.metric_cues)
        self.known = known_sources(topic.aliases())

    def extract(self, text: str) -> ExtractionOutcome:
        outcome = ExtractionOutcome(self.prompt.name, self.prompt.version)
        sentences = split_sentences(text)
        candidates = [m for m in find_mentions(text) if m.is_candidate]
        for index, sentence in enumerate(sentences):
            mentions = [m for m in candidates if sentence.start <= m.start < sentence.end]
            if not mentions:
                continue
            span = Span(start=sentence.start, end=sentence.end, method="anchored")
            if topical_paragraph(text, span, self.topic.mentions_topic) is None:
                log.debug("skipping off-topic sentence %r", sentence.text[:80])
                continue
            self._label_sentence(outcome, sentences, index, mentions)
        return outcome

    def _label_sentence(
        self,
        outcome: ExtractionOutcome,
        sentences: list[Sentence],
        index: int,
        mentions: list[NumberMention],
    ) -> None:
        sentence = sentences[index]
        options = mention_options(self.cues, sentence, mentions)
        items = [
            {"id": i, "text": m.text, "options": ", ".join(opts)}
            for i, (m, opts) in enumerate(zip(mentions, options, strict=True), start=1)
        ]
        request = LLMRequest(
            messages=self.prompt.messages(
                {"topic": self.topic.description},
                {
                    "passage": mark(
                        sentences, index, self.context_before, self.context_after, mentions
                    ),
                    "mentions": items,
                },
            ),
            response_model=labels_model(tuple(options)),
            prompt_name=self.prompt.name,
            prompt_version=self.prompt.version,
            schema_version=SCHEMA_VERSION,
            max_tokens=24 + TOKENS_PER_LABEL * len(mentions),
        )
        result = self.backend.complete(request)
        outcome.count(result)
        if result.parsed is None:
            outcome.errors.append(f"sentence at {sentence.start}: {result.error}")
            return
        labels = [
            MentionLabel.model_validate(label.model_dump())
            for label in getattr(result.parsed, "labels", ())
        ]
        anchor = Span(start=sentence.start, end=sentence.end, method="anchored")
        for label, mention in zip(labels, mentions, strict=False):
            if label.metric is LabelMetric.none:
                continue
            claim = claim_from_label(label, mention, sentence)
            credited = attribute(
                sentence.text,
                mention.start - sentence.start,
                mention.end - sentence.start,
                self.known,
            )
            if credited is not None:
                claim = claim.model_copy(update={"source": credited})
            outcome.claims.append(Extracted(claim, anchor))
