"""A cheap guess at whether an article is in English, the language of the topic's terms.

Non-English articles (Korean, Ukrainian) ended `done` with 0 claims and no word why. This is a
guess from letters and function words, no model and no dependency: enough to say "the topic's
terms do not cover this", not to identify a language.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

# A letter sample this size decides; the start of an article is representative.
_SAMPLE_CHARS = 20_000
_MIN_LETTERS = 40
_MIN_WORDS = 30
# English prose has roughly 40% of its words in this list; other Latin-script languages ~0-5%.
_ENGLISH_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "from",
        "by",
        "with",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "has",
        "have",
        "had",
        "it",
        "its",
        "that",
        "this",
        "these",
        "those",
        "which",
        "who",
        "said",
        "says",
        "not",
        "but",
        "than",
        "there",
        "their",
        "they",
        "he",
        "she",
        "we",
        "i",
        "you",
        "his",
        "her",
        "after",
        "before",
        "over",
        "into",
        "about",
        "more",
        "most",
        "some",
        "all",
        "no",
    ]
)
_MIN_ENGLISH_SHARE = 0.12
_WORD = re.compile(r"[^\W\d_]+")


def _script(char: str) -> str:
    """The script a letter belongs to, from its Unicode name: LATIN, CYRILLIC, HANGUL, CJK..."""
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else "UNKNOWN"


def non_english_note(text: str) -> str | None:
    """Why the text seems not to be English, or None when it is (or is too short to tell)."""
    sample = text[:_SAMPLE_CHARS]
    letters = [c for c in sample if c.isalpha()]
    if len(letters) < _MIN_LETTERS:
        return None
    scripts = Counter(_script(c) for c in letters)
    script, n = scripts.most_common(1)[0]
    if script != "LATIN" and n / len(letters) > 0.5:
        return (
            f"the article is mostly in {script.title()} script, not English; the topic's terms "
            "and cues are English, so its figures are likely missed (translate it first)"
        )
    words = [w.lower() for w in _WORD.findall(sample)]
    if len(words) < _MIN_WORDS:
        return None
    share = sum(w in _ENGLISH_WORDS for w in words) / len(words)
    if share < _MIN_ENGLISH_SHARE:
        return (
            "the article does not read as English (few English function words); the topic's "
            "terms and cues are English, so its figures are likely missed (translate it first)"
        )
    return None
