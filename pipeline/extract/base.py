"""What every extraction strategy returns, before validation, and the checker it may be given."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from pipeline.backends.base import CallStatus, LLMResult
from pipeline.backends.call_log import ModelCall
from schemas.claims import Claim
from schemas.records import Span


class ClaimChecker(Protocol):
    """Judges a claim against the article `text` it was read from: what to fix, phrased for the
    model, or None when the claim passes.

    The run hands one to the strategy (`pipeline.grounding.claim_checker`, the checks of
    `pipeline.validate` with the topic bound), so a strategy can re-ask the model with the
    checks' errors without importing the layer that judges its output.
    """

    def __call__(self, claim: Claim, text: str) -> str | None: ...


@dataclass(frozen=True)
class Extracted:
    claim: Claim
    # Where the claim is known to rest, when the strategy found it in the text itself.
    anchor: Span | None = None


@dataclass
class ExtractionOutcome:
    prompt_name: str
    prompt_version: str
    claims: list[Extracted] = field(default_factory=list)
    # Claims the model gave that failed validation even after the re-ask: kept to be rejected.
    salvaged: list[Extracted] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    n_calls: int = 0
    n_cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # The calls that reached the model, for the batch job to store with the results.
    calls: list[ModelCall] = field(default_factory=list)

    def count(self, result: LLMResult) -> None:
        if result.logged is not None:
            self.calls.append(result.logged)
        if result.cached:
            self.n_cached += 1
        else:
            self.n_calls += len([r for r in result.records if r.status != CallStatus.error]) or 1
        self.prompt_tokens += result.prompt_tokens
        self.completion_tokens += result.completion_tokens
