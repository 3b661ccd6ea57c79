"""Pydantic models shared by every step of spanfact. Nothing here talks to a model or a database."""

from schemas.claims import (
    SCHEMA_VERSION,
    Claim,
    ClaimList,
    LabelMetric,
    MentionLabel,
    MentionLabels,
    Metric,
    Qualifier,
)
from schemas.records import (
    CheckResult,
    ClaimStatus,
    Document,
    Provenance,
    Span,
    ValidatedClaim,
)

__all__ = [
    "SCHEMA_VERSION",
    "CheckResult",
    "Claim",
    "ClaimList",
    "ClaimStatus",
    "Document",
    "LabelMetric",
    "MentionLabel",
    "MentionLabels",
    "Metric",
    "Provenance",
    "Qualifier",
    "Span",
    "ValidatedClaim",
]
