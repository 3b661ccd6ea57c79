"""Records that pass between pipeline steps: documents in, validated claims out."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from schemas.claims import Claim


class Document(BaseModel):
    """A decoded article ready for extraction; `doc_id` is the sha256 of `text`."""

    doc_id: str
    origin: str = Field(description="File path, 'path#line' for JSONL, or '-' for stdin.")
    title: str | None = None
    text: str
    warnings: list[str] = Field(default_factory=list)
    published_at: datetime | None = None
    outlet: str | None = Field(default=None, description="Who published it, e.g. 'Yonhap'.")
    url: str | None = None


class Span(BaseModel):
    start: int
    end: int
    method: str = Field(default="exact", description="exact | normalized | fuzzy | anchored")
    score: float = 100.0


class CheckResult(BaseModel):
    name: str
    passed: bool
    detail: str = ""
    # A failed blocking check rejects the claim; a non-blocking one only flags it.
    blocking: bool = True


class ClaimStatus(StrEnum):
    verified = "verified"
    rejected = "rejected"


class Provenance(BaseModel):
    """What produced a claim, so that every stored fact can be traced and re-run."""

    model: str
    strategy: str
    prompt_name: str
    prompt_version: str
    schema_version: str


class ValidatedClaim(BaseModel):
    claim: Claim
    spans: list[Span] = Field(default_factory=list, description="Every place the claim is stated.")
    checks: list[CheckResult] = Field(default_factory=list)
    status: ClaimStatus
    provenance: Provenance
    # The source as one canonical name, so that "NIS" and "Seoul's spy agency" group together.
    source_norm: str | None = None

    @property
    def reasons(self) -> list[str]:
        return [f"{c.name}: {c.detail}" for c in self.checks if not c.passed]

    @property
    def span(self) -> Span | None:
        return self.spans[0] if self.spans else None
