"""Paragraphs and sentences with their character offsets in the article.

Both steps are bounded so their cost is linear in the article's length: pysbd's time grows
faster than its input (a 40 KB line took 1 s, a 168 KB one 11 s), so a long paragraph is handed
to it in windows cut after a sentence end; and a "sentence" longer than `MAX_SENTENCE_CHARS`
(a table flattened into one line, a feed without punctuation) is cut at a clause or word
boundary, so no request built from sentences can outgrow a model's context, and per-sentence
work stays bounded.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pysbd


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str
    paragraph: int


# Longer sentences are cut; the anchored strategy's request holds at most 1,500 characters.
MAX_SENTENCE_CHARS = 600
# What pysbd is given at once.
WINDOW_CHARS = 3000
# A paragraph longer than this is split by punctuation, not pysbd.
LONG_PARAGRAPH_CHARS = 20_000

_PARAGRAPH = re.compile(r"[^\n]+")
# Where a window may end: after a sentence's closing punctuation and the space after it.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+")
# Where an over-long sentence may be cut, best first: after a clause's punctuation, then at a
# space that does not sit between two digits ("5 000" is one number).
_CLAUSE_END = re.compile(r"[;:,)\]](?=\s)|\s[–—-](?=\s)")
_WORD_GAP = re.compile(r"(?<!\d)\s+|\s+(?!\d)")

_local = threading.local()


def _segmenter() -> Any:
    # One per thread: `Segmenter.segment` keeps the text it is splitting on the instance, so a
    # shared one maps sentences against another thread's paragraph and silently drops them.
    segmenter = getattr(_local, "segmenter", None)
    if segmenter is None:
        segmenter = _local.segmenter = pysbd.Segmenter(language="en", clean=False)
    return segmenter


def _last_match_end(pattern: re.Pattern[str], text: str, lo: int, hi: int) -> int | None:
    """The end of the last match of `pattern` within text[lo:hi], if any."""
    found = None
    for match in pattern.finditer(text, lo, hi):
        found = match.end()
    return found


def windows(text: str, start: int, end: int, size: int = WINDOW_CHARS) -> list[tuple[int, int]]:
    """text[start:end] cut into pieces of at most `size`, after a sentence end where possible."""
    out = []
    while end - start > size:
        limit = start + size
        cut = _last_match_end(_SENTENCE_END, text, start + size // 2, limit)
        if cut is None:
            cut = _cut_point(text, start, limit)
        out.append((start, cut))
        start = cut
    out.append((start, end))
    return out


def _cut_point(text: str, start: int, limit: int) -> int:
    """Where to cut text[start:limit]: after a clause, else at a word gap, else at `limit`."""
    floor = start + (limit - start) // 2
    clause = _last_match_end(_CLAUSE_END, text, floor, limit)
    if clause is not None:
        return clause
    gap = None
    for match in _WORD_GAP.finditer(text, floor, limit):
        gap = match.start() if match.start() > start else None
    return gap if gap is not None else limit


def bounded(
    text: str, start: int, end: int, size: int = MAX_SENTENCE_CHARS
) -> list[tuple[int, int]]:
    """(start, end) of the parts of the sentence text[start:end], each at most `size` long."""
    parts = []
    while end - start > size:
        cut = _cut_point(text, start, start + size)
        parts.append((start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    parts.append((start, end))
    return [(lo, _rstrip(text, lo, hi)) for lo, hi in parts if text[lo:hi].strip()]


def _rstrip(text: str, lo: int, hi: int) -> int:
    while hi > lo and text[hi - 1].isspace():
        hi -= 1
    return hi


def split_sentences(text: str) -> list[Sentence]:
    """Sentences in order; a paragraph (a line) never shares a sentence with another."""
    return list(_split(text))


@lru_cache(maxsize=4)
def _split(text: str) -> tuple[Sentence, ...]:
    # Cached: the strategy and each check of the same article ask again (a str caches its hash).
    segmented: Segmented = {}
    out: list[Sentence] = []
    for p_index, para in enumerate(_PARAGRAPH.finditer(text)):
        out += paragraph_sentences(text, para.start(), para.end(), p_index, segmented)
    return tuple(out)


# Window text -> its sentences' (start, end) within the window: a window written twice in one
# document (a repeated caption, a site's boilerplate line, a feed that repeats its items) is
# handed to pysbd once. pysbd reads nothing outside the window, so its pieces are the same.
Segmented = dict[str, tuple[tuple[int, int], ...]]


def paragraph_sentences(
    text: str, start: int, end: int, index: int, segmented: Segmented | None = None
) -> list[Sentence]:
    """The sentences of the paragraph text[start:end], numbered `index`; the same as
    `split_sentences` gives for it, as each paragraph is split on its own."""
    out: list[Sentence] = []
    # pysbd costs ~6 s a MB; a paragraph this long is a page scraped without line breaks, not
    # prose an editor wrote, and its sentence ends are read by punctuation alone.
    segment = _segment_by_punctuation if end - start > LONG_PARAGRAPH_CHARS else _segment
    for lo, hi in windows(text, start, end):
        window = text[lo:hi]
        spans = segmented.get(window) if segmented is not None else None
        if spans is None:
            spans = segment(window)
            if segmented is not None:
                segmented[window] = spans
        out += [Sentence(lo + s, lo + e, text[lo + s : lo + e], index) for s, e in spans]
    return out


# A sentence ends at . ! or ? (closing quotes and brackets kept) before a space and a capital,
# a digit or an opening quote: crude beside pysbd ("Mr. Kim" is cut), but linear and cheap.
_PUNCTUATION_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[A-Z0-9\"“‘'(])")


# Scraped copy often loses the space between two sentences ("reached the border.The ministry
# said"); pysbd keeps them as one. Two lower-case letters before the stop and a capitalised
# word after it leave "U.S.", "Mr.Kim" and "St.Petersburg" whole, and a site's name is no
# sentence end ("Gazeta.Ru reports").
_GLUED_END = re.compile(
    r"(?<=[a-z]{2}[.!?])[\"'”’)\]]*(?=[A-Z][a-z])"
    r"(?!(?:Com|Net|Org|Info|News|Az|Ru|Ua|Kr|Kz|Ge|Am|By|Tv|Io)\b)"
)


# pysbd keeps a quotation of several sentences whole ("“The toll has reached 120. Some 300
# buildings collapsed,” he said."), and one sentence holding two figures and two verbs mixes
# up which verb is whose. A stop inside an open quote, after a word or a number and before a
# capital, ends a sentence too.
_QUOTED_END = re.compile(r"(?<=[a-z0-9]{2}[.!?])(?=\s+[A-Z])")


def _inside_quote(text: str) -> bool:
    return text.count("“") > text.count("”") or text.count('"') % 2 == 1


def _unglued(window: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of the sentences of window[start:end] once glued sentence ends and
    sentence ends inside a quotation are cut."""
    spans = []
    cuts = [m.end() for m in _GLUED_END.finditer(window, start, end)]
    cuts += [
        m.end()
        for m in _QUOTED_END.finditer(window, start, end)
        if _inside_quote(window[start : m.end()])
    ]
    for cut in sorted(set(cuts)):
        spans += bounded(window, start, cut)
        start = cut
        while start < end and window[start].isspace():
            start += 1
    return spans + bounded(window, start, end)


def _segment_by_punctuation(window: str) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _PUNCTUATION_END.finditer(window):
        spans += _unglued(window, start, match.end())
        start = match.end()
        while start < len(window) and window[start].isspace():
            start += 1
    if window[start:].strip():
        spans += _unglued(window, start, len(window))
    return tuple(spans)


def _segment(window: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of the window's sentences, each at most `MAX_SENTENCE_CHARS` long."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for piece in _segmenter().segment(window):
        stripped = piece.strip()
        if not stripped:
            continue
        # pysbd returns the pieces in order; searching from the cursor maps them back.
        start = window.find(stripped, cursor)
        if start < 0:
            continue
        end = start + len(stripped)
        spans += _unglued(window, start, end)
        cursor = end
    return tuple(spans)
