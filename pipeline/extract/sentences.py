"""Paragraphs and sentences with their character offsets in the article."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

import pysbd


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str
    paragraph: int


_PARAGRAPH = re.compile(r"[^\n]+")


_local = threading.local()


def _segmenter() -> Any:
    # One per thread: `Segmenter.segment` keeps the text it is splitting on the instance, so a
    # shared one maps sentences against another thread's paragraph and silently drops them.
    segmenter = getattr(_local, "segmenter", None)
    if segmenter is None:
        segmenter = _local.segmenter = pysbd.Segmenter(language="en", clean=False)
    return segmenter


def split_sentences(text: str) -> list[Sentence]:
    """Sentences in order; a paragraph (a line) never shares a sentence with another."""
    out: list[Sentence] = []
    for p_index, para in enumerate(_PARAGRAPH.finditer(text)):
        cursor = para.start()
        for piece in _segmenter().segment(para.group()):
            stripped = piece.strip()
            if not stripped:
                continue
            # pysbd returns the pieces in order; searching from the cursor maps them back.
            start = text.find(stripped, cursor, para.end())
            if start < 0:
                continue
            end = start + len(stripped)
            out.append(Sentence(start=start, end=end, text=stripped, paragraph=p_index))
            cursor = end
    return out
