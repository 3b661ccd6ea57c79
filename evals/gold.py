"""The hand-labelled gold set: its models and a strict loader.

Format and labelling rules are in evals/README.md. The loader is strict on purpose: a typo in a
gold file silently turns into a "miss" or a "false positive" in every later eval, so anything
the guide forbids is refused here, with the file and the claim named.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, model_validator

from schemas.claims import Metric, Qualifier

# Strict so that "300" or 300.0 in a gold file is an error rather than a silent cast: gold
# values are compared with `==` against model output.
GoldInt = Annotated[int, Strict()]


class GoldError(ValueError):
    """A gold file cannot be used; the message starts with the file's path."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class GoldClaim(BaseModel):
    """One labelled claim. Every key is required, as the README's format lists them all."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    quote: str = Field(min_length=1)
    metric: Metric
    value: GoldInt
    low: GoldInt | None
    high: GoldInt | None
    qualifier: Qualifier
    subject: str = Field(min_length=1)
    source: str | None
    location: str | None

    @model_validator(mode="after")
    def _range_is_consistent(self) -> GoldClaim:
        # Rule 4: a range sets both bounds and `value` is its low end; a point sets neither.
        if (self.low is None) != (self.high is None):
            raise ValueError("low and high must both be set (a range) or both be null")
        if self.low is not None and self.high is not None:
            if self.value != self.low:
                raise ValueError(f"for a range value must equal low ({self.low}), not {self.value}")
            if self.low >= self.high:
                raise ValueError(f"range low {self.low} is not below high {self.high}")
        return self

    @property
    def key(self) -> tuple[str, int, int | None, int | None, str | None]:
        """What rule 10 says is unique within an article."""
        return (self.metric.value, self.value, self.low, self.high, self.source)


class GoldFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    article: str = Field(min_length=1)
    claims: list[GoldClaim]


def load_gold(directory: Path) -> dict[str, GoldFile]:
    """Every `*.json` in `directory`, keyed by the article file name each one labels.

    An empty or missing directory is an error rather than an empty gold set: scoring against
    nothing gives all-zero figures that look like a broken extractor, not a wrong path.
    """
    if not directory.is_dir():
        raise GoldError(directory, "gold directory does not exist")
    paths = sorted(directory.glob("*.json"))
    if not paths:
        raise GoldError(directory, "no *.json gold files in this directory")
    gold: dict[str, GoldFile] = {}
    for path in paths:
        gf = load_gold_file(path)
        gold[gf.article] = gf
    return gold


def load_gold_file(path: Path) -> GoldFile:
    """One gold file, checked against the README's format and rules 4 and 10."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise GoldError(path, f"not UTF-8: {e}") from e
    except OSError as e:
        raise GoldError(path, f"cannot read: {e}") from e
    # Parsed separately from validation so that a syntax error reports its line and column.
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as e:
        raise GoldError(path, f"malformed JSON at line {e.lineno} column {e.colno}: {e.msg}") from e
    try:
        gf = GoldFile.model_validate(raw)
    except ValidationError as e:
        raise GoldError(path, _describe(e)) from e

    # The README names gold files after their article, and the loader keys by article: a file
    # copied without editing `article` would otherwise shadow another article's gold.
    if Path(gf.article).stem != path.stem:
        raise GoldError(
            path, f"article {gf.article!r} does not match the file name (expected {path.stem}.*)"
        )
    seen: dict[tuple[str, int, int | None, int | None, str | None], int] = {}
    for i, claim in enumerate(gf.claims):
        if claim.key in seen:
            raise GoldError(
                path,
                f"claims[{i}] repeats claims[{seen[claim.key]}] (same metric, value, range and "
                f"source {claim.source!r}); rule 10 labels a figure once per source",
            )
        seen[claim.key] = i
    return gf


def _describe(error: ValidationError) -> str:
    """Pydantic's errors, one per problem, located JSON-style: `claims[2].metric`."""
    parts: list[str] = []
    for err in error.errors():
        loc = ""
        for item in err["loc"]:
            loc += f"[{item}]" if isinstance(item, int) else (f".{item}" if loc else str(item))
        # A whole claim as "input" (from the range check) is noise; a wrong scalar is not.
        shown = err["type"] != "missing" and not isinstance(err["input"], dict | list)
        got = f" (got {err['input']!r})" if shown else ""
        parts.append(f"{loc or '(top level)'}: {err['msg']}{got}")
    return "; ".join(parts)
