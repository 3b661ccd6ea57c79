"""Locate a quote in its article: exactly, then after normalising, then by fuzzy alignment.

Models copy quotes imperfectly: straight quotes for curly ones, a hyphen for an en dash, a
re-flowed line break, a dropped word. Each step is more forgiving than the last, and the span
records which step found it so that a reader can weigh it.
"""

from __future__ import annotations

import itertools
import re

from rapidfuzz import fuzz

from pipeline.text.sentences import split_sentences
from schemas.records import Span

FUZZY_THRESHOLD = 85.0

_CHAR_MAP = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
    }
)
_SPACE = re.compile(r"\s+")


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Normalised text plus, for each of its characters, the offset it came from."""
    out: list[str] = []
    offsets: list[int] = []
    previous_space = False
    for i, ch in enumerate(text.translate(_CHAR_MAP)):
        if ch.isspace():
            if previous_space:
                continue
            previous_space = True
            ch = " "
        else:
            previous_space = False
        out.append(ch.lower())
        offsets.append(i)
    return "".join(out), offsets


def _normalize(text: str) -> str:
    return _SPACE.sub(" ", text.translate(_CHAR_MAP)).strip().lower()


def locate(quote: str, text: str, *, threshold: float = FUZZY_THRESHOLD) -> Span | None:
    """The span of `text` that `quote` rests on, or None when nothing is close enough."""
    quote = quote.strip()
    if not quote:
        return None
    start = text.find(quote)
    if start >= 0:
        return Span(start=start, end=start + len(quote), method="exact", score=100.0)
    norm_text, offsets = normalize_with_map(text)
    norm_quote = _normalize(quote)
    start = norm_text.find(norm_quote)
    if start >= 0:
        end = offsets[start + len(norm_quote) - 1] + 1
        return Span(start=offsets[start], end=end, method="normalized", score=100.0)
    if len(norm_quote) < 12:
        # Too short to align fuzzily without matching something unrelated.
        return None
    return _fuzzy_sentence(norm_quote, text, threshold)


def _units(text: str) -> list[tuple[int, int]]:
    """Sentences and pairs of adjacent sentences: a model's quote is usually one or two."""
    sentences = split_sentences(text)
    units = [(s.start, s.end) for s in sentences]
    units += [(a.start, b.end) for a, b in itertools.pairwise(sentences)]
    return units


def _fuzzy_sentence(norm_quote: str, text: str, threshold: float) -> Span | None:
    best: tuple[float, int, int] | None = None
    for start, end in _units(text):
        unit = _normalize(text[start:end])
        if len(unit) <= len(norm_quote) * 1.3:
            score = fuzz.ratio(norm_quote, unit)
            found = (score, start, end)
        else:
            # A fragment of a longer sentence: align it inside the sentence.
            aligned = fuzz.partial_ratio_alignment(norm_quote, unit)
            if aligned is None:
                continue
            _norm_unit, offsets = normalize_with_map(text[start:end])
            lo = offsets[min(aligned.dest_start, len(offsets) - 1)]
            hi = offsets[max(aligned.dest_end - 1, 0)] + 1
            found = (aligned.score, start + lo, start + hi)
        if best is None or found[0] > best[0]:
            best = found
    if best is None or best[0] < threshold:
        return None
    return Span(start=best[1], end=best[2], method="fuzzy", score=round(best[0], 1))
