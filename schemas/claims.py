"""What a model is asked to fill in, and what a stored claim holds.

The metric and qualifier names are a public contract: gold files, SQL views and users' queries
depend on them. Bump SCHEMA_VERSION whenever a field's meaning changes.
"""

from __future__ import annotations

from enum import EnumMeta, StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

SCHEMA_VERSION = "2"


class Metric(StrEnum):
    killed = "killed"
    wounded = "wounded"
    killed_or_wounded = "killed_or_wounded"
    captured = "captured"
    missing = "missing"
    deployed = "deployed"
    munitions_supplied = "munitions_supplied"
    # 2: metrics for topics beyond the war (disasters, protests); a topic file picks its own.
    rescued = "rescued"
    displaced = "displaced"
    arrested = "arrested"
    other = "other"


class Qualifier(StrEnum):
    exact = "exact"
    about = "about"
    at_least = "at_least"
    more_than = "more_than"
    up_to = "up_to"


class Claim(BaseModel):
    """One quantitative claim. For a range, `value` is the lower bound and `low`/`high` are set."""

    metric: Metric = Field(description="What is counted.")
    value: int = Field(description="The number as an integer; for a range, its lower bound.")
    low: int | None = Field(default=None, description="Lower bound of a range, else null.")
    high: int | None = Field(default=None, description="Upper bound of a range, else null.")
    qualifier: Qualifier = Field(default=Qualifier.exact, description="Hedge on the number.")
    subject: str = Field(description="Who or what is counted, e.g. 'North Korean troops'.")
    source: str | None = Field(default=None, description="Who makes the claim; null if nobody.")
    location: str | None = Field(default=None, description="Place the figure refers to.")
    time_reference: str | None = Field(default=None, description="Time as written.")
    quote: str = Field(description="The words the claim rests on, copied verbatim.")


def _described(name: str) -> Any:
    return Field(description=Claim.model_fields[name].description)


# The `whole` strategy asks for claims in this shape. Writing the sentence before its numbers
# keeps a model's numbers tied to the text; with every field required (null allowed), a
# grammar-constrained model has to decide the hedge and the source instead of leaving them out.
class DraftClaim(BaseModel):
    """One claim: the quote it rests on first, then what it counts."""

    quote: str = _described("quote")
    metric: Metric = _described("metric")
    value: int = _described("value")
    low: int | None = _described("low")
    high: int | None = _described("high")
    qualifier: Qualifier = _described("qualifier")
    subject: str = _described("subject")
    source: str | None = _described("source")
    location: str | None = _described("location")
    time_reference: str | None = _described("time_reference")

    def to_claim(self) -> Claim:
        return Claim.model_validate(self.model_dump())


class ClaimList(BaseModel):
    """The `whole` strategy's answer: every claim in one passage."""

    claims: list[DraftClaim]


# What the anchored strategy's model answers for each number: a metric, or `none` for a number
# that is not a claim (a year, a duration, ...). Built from `Metric`, so a metric added there is a
# label too.
if TYPE_CHECKING:
    # mypy cannot read an enum built at run time: it is shown one whose every attribute is a label.
    class _Labels(EnumMeta):
        def __getattr__(cls, name: str) -> LabelMetric: ...

    class LabelMetric(StrEnum, metaclass=_Labels): ...

else:
    LabelMetric = StrEnum(
        "LabelMetric", [*((m.name, m.value) for m in Metric), ("none", "none")], module=__name__
    )
