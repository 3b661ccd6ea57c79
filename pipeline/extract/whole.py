"""Whole strategy: the model reads a passage and returns every claim; for large hosted models.

Each answer's claims go through the checker the run gives the strategy (instructor hands it to
the schema's validator in its validation context, with the article): a quote that is not in the
text or a number the quote does not contain becomes the error message of a re-ask. Claims of a
rejected answer that pass the checker are kept, since the re-ask may drop them; if the re-ask
fails too, its claims are kept so the bad ones are stored as rejected.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from pydantic import ValidationError, ValidationInfo, model_validator

from pipeline.backends.base import Backend, LLMRequest
from pipeline.extract.base import ClaimChecker, Extracted, ExtractionOutcome
from pipeline.prompts import PromptTemplate, load_prompt
from pipeline.text.article import Article
from pipeline.text.sentences import windows
from pipeline.topic import Topic
from schemas.claims import SCHEMA_VERSION, Claim, ClaimList

log = logging.getLogger(__name__)

PROMPT_NAME = "whole_article"
DEFAULT_CHUNK_CHARS = 6000


class GroundedClaimList(ClaimList):
    """A ClaimList that only validates when every claim passes the checker of its validation
    context (`{"check": ClaimChecker, "text": article}`); without one it checks nothing."""

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> GroundedClaimList:
        context: dict[str, Any] = info.context or {}
        check: ClaimChecker | None = context.get("check")
        text: str | None = context.get("text")
        if check is None or text is None:
            return self
        found = (check(draft.to_claim(), text) for draft in self.claims)
        errors = [error for error in found if error is not None]
        if errors:
            raise ValueError(
                "fix or drop these claims, copying quotes exactly from the text:\n"
                + "\n".join(errors)
            )
        return self


_DELIMITER = re.compile(r"<(/?)(article\b)", re.IGNORECASE)


def as_data(passage: str) -> str:
    """The passage with any <article> tag of its own defused, so that text in it cannot close
    the delimiters the prompt puts around it and pose as instructions after them."""
    return _DELIMITER.sub(r"‹\1\2", passage)


def chunks(text: str, max_chars: int = DEFAULT_CHUNK_CHARS) -> list[str]:
    """Paragraph-aligned chunks; each repeats the previous chunk's last paragraph as overlap."""
    paragraphs = [
        p[lo:hi]
        for p in text.split("\n")
        if p.strip()
        # A paragraph over the limit is sent in pieces, so no request outgrows the context.
        for lo, hi in windows(p, 0, len(p), max_chars)
        if p[lo:hi].strip()
    ]
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
    # 2: quote-first drafts; good claims of a rejected answer survive the re-ask; 3: re-asked
    # when a quote is less than its number's clause, names another metric, misstates the hedge,
    # or addresses a model; the article is sent between delimiters as data
    version = "3"

    def __init__(
        self,
        backend: Backend,
        topic: Topic,
        prompt: PromptTemplate | None = None,
        *,
        check: ClaimChecker,
        chunk_chars: int = DEFAULT_CHUNK_CHARS,
        max_tokens: int = 1536,
    ) -> None:
        self.backend = backend
        self.topic = topic
        self.prompt = prompt or load_prompt(PROMPT_NAME)
        # What decides a re-ask, and which claims of a rejected answer are kept.
        self.check = check
        self.chunk_chars = chunk_chars
        self.max_tokens = max_tokens

    def response_schema(self) -> dict[str, Any]:
        return GroundedClaimList.model_json_schema()

    def extract(self, text: str | Article) -> ExtractionOutcome:
        text = text.text if isinstance(text, Article) else text
        outcome = ExtractionOutcome(self.prompt.name, self.prompt.version)
        for chunk in chunks(text, self.chunk_chars):
            request = LLMRequest(
                messages=self.prompt.messages(
                    {"topic": self.topic.description}, {"passage": as_data(chunk)}
                ),
                response_model=GroundedClaimList,
                prompt_name=self.prompt.name,
                prompt_version=self.prompt.version,
                schema_version=SCHEMA_VERSION,
                max_tokens=self.max_tokens,
                context={"check": self.check, "text": text},
            )
            result = self.backend.complete(request)
            outcome.count(result)
            rejected = [_parse(raw) for raw in result.invalid_answers]
            if result.parsed is not None:
                final = [d.to_claim() for d in getattr(result.parsed, "claims", [])]
                outcome.claims += [Extracted(c) for c in final]
            else:
                # The last answer failed too: its claims go on, to be stored as rejected.
                last = rejected.pop() if rejected else None
                if last is None:
                    outcome.errors.append(result.error or "no answer")
                else:
                    outcome.salvaged += [Extracted(c) for c in last]
            # Claims of earlier answers that pass stay (a re-ask may drop them); the rest were
            # fixed or withdrawn.
            earlier = [claims for claims in rejected if claims is not None]
            kept = [c for claims in earlier for c in claims if self.check(c, text) is None]
            outcome.claims += [Extracted(c) for c in kept]
        return outcome


def _parse(raw: str) -> list[Claim] | None:
    """The claims of an answer that is a JSON claim list, skipping items that are not claims."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        return None
    items = data.get("claims") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return None
    claims = []
    for item in items:
        try:
            claims.append(Claim.model_validate(item))
        except ValidationError:
            log.debug("dropping an item that is not a claim: %r", item)
    return claims
