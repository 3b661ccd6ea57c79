"""Whole strategy: the model reads a passage and returns every claim; for large hosted models.

The answer is validated against the article (instructor passes it as validation context): a quote
that is not in the text or a number the quote does not contain becomes the error message of a
re-ask. If the re-ask fails too, the last answer is kept so its bad claims are stored as rejected.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError, ValidationInfo, model_validator

from pipeline.backends.base import Backend, LLMRequest
from pipeline.extract.base import Extracted, ExtractionOutcome
from pipeline.prompts import PromptTemplate, Topic, load_prompt
from pipeline.validate import error_for_model, passed, validate_claim
from schemas.claims import SCHEMA_VERSION, ClaimList

log = logging.getLogger(__name__)

PROMPT_NAME = "whole_article"
DEFAULT_CHUNK_CHARS = 6000


class GroundedClaimList(ClaimList):
    """A ClaimList that only validates when every claim is grounded in the article."""

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> GroundedClaimList:
        context: dict[str, Any] = info.context or {}
        text = context.get("text")
        if text is None:
            return self
        errors = []
        for claim in self.claims:
            checks, _ = validate_claim(claim, text, context["on_topic"])
            if not passed(checks):
                errors.append(error_for_model(claim, checks))
        if errors:
            raise ValueError(
                "fix or drop these claims, copying quotes exactly from the text:\n"
                + "\n".join(errors)
            )
        return self


def chunks(text: str, max_chars: int = DEFAULT_CHUNK_CHARS) -> list[str]:
    """Paragraph-aligned chunks; each repeats the previous chunk's last paragraph as overlap."""
    paragraphs = [p for p in text.split("\n") if p.strip()]
    out: list[str] = []
    current: list[str] = []
    for para in paragraphs:
        if current and sum(len(p) + 1 for p in current) + len(para) > max_chars:
            out.append("\n".join(current))
            current = current[-1:] if len(current[-1]) < max_chars // 2 else []
        current.append(para)
    if current:
        out.append("\n".join(current))
    return out


class WholeStrategy:
    name = "whole"
    version = "1"

    def __init__(
        self,
        backend: Backend,
        topic: Topic,
        prompt: PromptTemplate | None = None,
        *,
        chunk_chars: int = DEFAULT_CHUNK_CHARS,
        max_tokens: int = 1536,
    ) -> None:
        self.backend = backend
        self.topic = topic
        self.prompt = prompt or load_prompt(PROMPT_NAME)
        self.chunk_chars = chunk_chars
        self.max_tokens = max_tokens

    def extract(self, text: str) -> ExtractionOutcome:
        outcome = ExtractionOutcome(self.prompt.name, self.prompt.version)
        for chunk in chunks(text, self.chunk_chars):
            request = LLMRequest(
                messages=self.prompt.messages(
                    {"topic": self.topic.description}, {"passage": chunk}
                ),
                response_model=GroundedClaimList,
                prompt_name=self.prompt.name,
                prompt_version=self.prompt.version,
                schema_version=SCHEMA_VERSION,
                max_tokens=self.max_tokens,
                context={"text": text, "on_topic": self.topic.mentions_topic},
            )
            result = self.backend.complete(request)
            outcome.count(result)
            if result.parsed is not None:
                outcome.claims += [Extracted(c) for c in getattr(result.parsed, "claims", [])]
                continue
            salvaged = _salvage(result.last_raw)
            if salvaged is None:
                outcome.errors.append(result.error or "no answer")
            else:
                outcome.salvaged += [Extracted(c) for c in salvaged.claims]
        return outcome


def _salvage(raw: str | None) -> ClaimList | None:
    """The last answer's claims, if it was well-formed JSON for the schema at all."""
    if not raw:
        return None
    try:
        return ClaimList.model_validate_json(raw)
    except ValidationError:
        return None
