"""Anchored strategy: numbers are found deterministically; the model only labels them.

Small models copy numbers and quotes badly but can say what a number counts when shown it. So
value, range and hedge come from `pipeline.numbers`, the quote is the sentence itself, and the
model answers one short JSON list per sentence: a metric (or `none`), a subject and a source.
Neighbouring sentences travel with it because attribution often sits there ("..., the GUR said.").
"""

from __future__ import annotations

import logging
from functools import cache

from pydantic import BaseModel, Field, create_model

from pipeline.backends.base import Backend, LLMRequest
from pipeline.extract.base import Extracted, ExtractionOutcome
from pipeline.extract.sentences import Sentence, split_sentences
from pipeline.numbers import NumberMention, find_mentions
from pipeline.prompts import PromptTemplate, Topic, load_prompt
from pipeline.validate import paragraph_around
from schemas.claims import SCHEMA_VERSION, Claim, LabelMetric, MentionLabel, Metric, Qualifier
from schemas.records import Span

log = logging.getLogger(__name__)

PROMPT_NAME = "anchored_label"
SNIPPET_CHARS = 60
TOKENS_PER_LABEL = 40


@cache
def labels_model(n: int) -> type[BaseModel]:
    """A MentionLabels schema with exactly `n` labels, so the grammar cannot skip or add one."""
    model: type[BaseModel] = create_model(
        "MentionLabels",
        labels=(list[MentionLabel], Field(min_length=n, max_length=n)),
    )
    return model


def snippet(sentence: Sentence, mention: NumberMention) -> str:
    """A window of the sentence around the number, cut at word boundaries."""
    lo = max(sentence.start, mention.start - SNIPPET_CHARS)
    hi = min(sentence.end, mention.end + SNIPPET_CHARS)
    text = sentence.text[lo - sentence.start : hi - sentence.start]
    if lo > sentence.start and " " in text:
        text = text.split(" ", 1)[1]
    if hi < sentence.end and " " in text:
        text = text.rsplit(" ", 1)[0]
    return " ".join(text.split())


def passage(sentences: list[Sentence], index: int, before: int, after: int) -> str:
    window = sentences[max(0, index - before) : index + after + 1]
    return " ".join(s.text for s in window)


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value if value and value.lower() not in ("null", "none", "unknown", "n/a") else None


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


def match_labels(labels: list[MentionLabel], ids: list[int]) -> list[MentionLabel]:
    """Labels in the order of `ids`: by id when the model kept them, else by position."""
    by_id = {label.id: label for label in labels}
    if sorted(by_id) == sorted(ids):
        return [by_id[i] for i in ids]
    return labels[: len(ids)]


class AnchoredStrategy:
    name = "anchored"

    def __init__(
        self,
        backend: Backend,
        topic: Topic,
        prompt: PromptTemplate | None = None,
        *,
        context_before: int = 2,
        context_after: int = 1,
    ) -> None:
        self.backend = backend
        self.topic = topic
        self.prompt = prompt or load_prompt(PROMPT_NAME)
        self.context_before = context_before
        self.context_after = context_after

    def extract(self, text: str) -> ExtractionOutcome:
        outcome = ExtractionOutcome(self.prompt.name, self.prompt.version)
        sentences = split_sentences(text)
        candidates = [m for m in find_mentions(text) if m.is_candidate]
        for index, sentence in enumerate(sentences):
            mentions = [m for m in candidates if sentence.start <= m.start < sentence.end]
            if not mentions:
                continue
            span = Span(start=sentence.start, end=sentence.end, method="anchored")
            if not self.topic.mentions_topic(paragraph_around(text, span)):
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
        items = [
            {"id": i, "text": m.text, "snippet": snippet(sentence, m)}
            for i, m in enumerate(mentions, start=1)
        ]
        request = LLMRequest(
            messages=self.prompt.messages(
                {"topic": self.topic.description},
                {
                    "passage": passage(sentences, index, self.context_before, self.context_after),
                    "mentions": items,
                },
            ),
            response_model=labels_model(len(mentions)),
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
        labels = match_labels(list(getattr(result.parsed, "labels", [])), [i["id"] for i in items])
        anchor = Span(start=sentence.start, end=sentence.end, method="anchored")
        for label, mention in zip(labels, mentions, strict=False):
            if label.metric is LabelMetric.none:
                continue
            outcome.claims.append(Extracted(claim_from_label(label, mention, sentence), anchor))
