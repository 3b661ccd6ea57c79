"""When claims from different documents report the same figure, and when figures disagree.

These are the rules, as pure functions; pipeline/store/figures.py applies the same rules to the
whole store in set-based SQL (a test checks that both agree).

- **Same figure**: same metric, same normalised subject, same normalised source, and the same
  value (for a range, the same bounds). The hedge is not part of the figure: "300", "at least
  300" and "some 300" from the NIS are one figure with three qualifiers.
- **Rounding**: "about 3,000" and "3,000" are one figure (the same number, one hedged). "about
  3,000" and "2,950" are two figures; they do not contradict each other, because "about" allows
  ROUNDING_TOLERANCE either way: the pair shows up as a `discrepancy`, not a `contradiction`.
- **Bounds**: each claim covers an interval (exact: the value; about: +-10 %; at least / more
  than: up to infinity; up to: from 0; a range: its bounds). A figure covers the union of its
  claims' intervals: two figures whose intervals do not meet cannot both be true.
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

# "about 3,000" covers 2,700 to 3,300: news copy rounds to the leading digit or two.
ROUNDING_TOLERANCE = 0.1
UNATTRIBUTED = "(unattributed)"
UNSPECIFIED = "(unspecified)"

# Sub-totals and the total they are part of (sum check: the parts add up to the total).
SUM_PARTS: tuple[str, str] = ("killed", "wounded")
SUM_TOTAL = "killed_or_wounded"

# --------------------------------------------------------------------------------------------
# Subjects

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_POSSESSIVE = re.compile(r"(?<=\w)'s\b")
_PUNCTUATION = re.compile(r"[^\w\s-]")
_SPACES = re.compile(r"\s+")
_LEADING = re.compile(r"^(?:the|some|all|an?|about|around|over|nearly|at least)\s+")
SUBJECTS_FILE = Path(__file__).resolve().parent.parent / "prompts" / "subjects.toml"


@cache
def _subject_tables() -> tuple[dict[str, str], tuple[tuple[re.Pattern[str], str], ...]]:
    """Synonyms and place names from prompts/subjects.toml: data, not code, for every topic."""
    with SUBJECTS_FILE.open("rb") as f:
        data = tomllib.load(f)
    synonyms = {str(k): str(v) for k, v in data.get("synonyms", {}).items()}
    demonyms = tuple(
        (re.compile(rf"\b(?:{pattern})\b"), str(name))
        for pattern, name in data.get("demonyms", {}).items()
    )
    return synonyms, demonyms


def normalize_subject(subject: str | None) -> str:
    """One spelling per subject: "Pyongyang's soldiers" and "North Korean troops" are equal.

    Lower case, possessives and punctuation dropped, leading determiners dropped, plural and
    synonym nouns for troops folded; anything else is kept, so different subjects stay apart.
    """
    if subject is None:
        return UNSPECIFIED
    text = unicodedata.normalize("NFKC", subject).translate(_APOSTROPHES).lower()
    text = _POSSESSIVE.sub("", text)
    text = _PUNCTUATION.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    text = _LEADING.sub("", text)
    synonyms, demonyms = _subject_tables()
    for pattern, demonym in demonyms:
        text = pattern.sub(demonym, text)
    words = [synonyms.get(w, w) for w in text.split()]
    cleaned = " ".join(w for w in words if w)
    return cleaned or UNSPECIFIED


def normalize_source(source_norm: str | None) -> str:
    """The figure's source: the alias table's canonical name (set at extraction), or a marker."""
    return source_norm if source_norm else UNATTRIBUTED


# --------------------------------------------------------------------------------------------
# Bounds


def claim_bounds(
    value: int, low: int | None, high: int | None, qualifier: str
) -> tuple[float, float]:
    """The interval a claim allows, from its value and hedge."""
    lo, hi = (float(low), float(high)) if low is not None and high is not None else (value, value)
    if qualifier == "about":
        return lo * (1 - ROUNDING_TOLERANCE), hi * (1 + ROUNDING_TOLERANCE)
    if qualifier in ("at_least", "more_than"):
        return lo, math.inf
    if qualifier == "up_to":
        return 0.0, hi
    return float(lo), float(hi)


def overlaps(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


# --------------------------------------------------------------------------------------------
# Figures


@dataclass(frozen=True)
class FigureKey:
    metric: str
    subject: str
    source: str
    value: int
    low: int | None
    high: int | None

    @property
    def figure_id(self) -> str:
        return figure_id(self.metric, self.subject, self.source, self.value, self.low, self.high)


def figure_id(
    metric: str, subject: str, source: str, value: int, low: int | None, high: int | None
) -> str:
    """A stable id from the key, so an incremental rebuild gives a figure the same id.

    The SQL build computes the same string and hash (pipeline/store/figures.py).
    """
    parts = [metric, subject, source, str(value), _blank(low), _blank(high)]
    return hashlib.md5("|".join(parts).encode()).hexdigest()[:16]


def _blank(x: int | None) -> str:
    return "" if x is None else str(x)


@dataclass(frozen=True)
class ClaimRow:
    """A verified claim with what grouping needs from its document."""

    claim_id: str
    doc_id: str
    metric: str
    value: int
    low: int | None
    high: int | None
    qualifier: str
    subject: str | None
    source_norm: str | None
    seen_at: datetime
    outlet: str | None = None

    @property
    def key(self) -> FigureKey:
        return FigureKey(
            self.metric,
            normalize_subject(self.subject),
            normalize_source(self.source_norm),
            self.value,
            self.low,
            self.high,
        )


@dataclass(frozen=True)
class Figure:
    key: FigureKey
    qualifiers: tuple[str, ...]
    claim_ids: tuple[str, ...]
    doc_ids: tuple[str, ...]
    outlets: tuple[str, ...]
    first_seen: datetime
    last_seen: datetime
    bounds: tuple[float, float]

    @property
    def figure_id(self) -> str:
        return self.key.figure_id


def group_claims(claims: Iterable[ClaimRow]) -> list[Figure]:
    """Claims grouped into figures, sorted by id."""
    groups: dict[FigureKey, list[ClaimRow]] = defaultdict(list)
    for claim in claims:
        groups[claim.key].append(claim)
    figures = []
    for key, rows in groups.items():
        bounds = [claim_bounds(r.value, r.low, r.high, r.qualifier) for r in rows]
        figures.append(
            Figure(
                key=key,
                qualifiers=tuple(sorted({r.qualifier for r in rows})),
                claim_ids=tuple(sorted(r.claim_id for r in rows)),
                doc_ids=tuple(sorted({r.doc_id for r in rows})),
                outlets=tuple(sorted({r.outlet for r in rows if r.outlet})),
                first_seen=min(r.seen_at for r in rows),
                last_seen=max(r.seen_at for r in rows),
                bounds=(min(b[0] for b in bounds), max(b[1] for b in bounds)),
            )
        )
    return sorted(figures, key=lambda f: f.figure_id)


# --------------------------------------------------------------------------------------------
# Conflicts


def conflict_kind(a: Figure, b: Figure) -> str | None:
    """How two figures of the same metric and subject disagree, or None if they do not.

    Which pairs are compared is the `conflicts` view's choice: a source's consecutive figures,
    and figures of two sources that stood at the same time (a figure stands until its source's
    next one), so that a source's outdated figure is not set against everyone else's.

    - `revision`: one source, two values (the later-seen one is its update); an upward series
      from one source is a timeline, not a contradiction.
    - `contradiction`: two sources whose figures cannot both be true (bounds do not meet).
    - `discrepancy`: two sources, different numbers that could both hold (bounds overlap), or
      the same number hedged differently ("about 3,000" vs. "more than 3,000").
    Two sources that give the same number with a hedge in common agree: None.
    """
    ka, kb = a.key, b.key
    if (ka.metric, ka.subject) != (kb.metric, kb.subject) or ka == kb:
        return None
    same_number = (ka.value, ka.low, ka.high) == (kb.value, kb.low, kb.high)
    if ka.source == kb.source and ka.source != UNATTRIBUTED:
        return "revision"
    if same_number and set(a.qualifiers) & set(b.qualifiers):
        return None
    return "discrepancy" if overlaps(a.bounds, b.bounds) else "contradiction"
