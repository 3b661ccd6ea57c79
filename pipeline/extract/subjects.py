"""Who or what a number counts, read off the words right after it ("North Korean troops")."""

from __future__ import annotations

import re

from pipeline.text.numbers import NumberMention
from pipeline.text.sentences import Sentence

_SUBJECT_WORD = re.compile(r"[A-Za-z][\w'’-]*")
# Where the noun phrase after a number ends: a verb, a preposition, a conjunction.
_SUBJECT_STOP = frozenset(
    [
        "were",
        "was",
        "are",
        "is",
        "have",
        "has",
        "had",
        "been",
        "be",
        "being",
        "and",
        "each",
        "or",
        "but",
        "in",
        "on",
        "at",
        "to",
        "from",
        "since",
        "during",
        "after",
        "before",
        "with",
        "by",
        "who",
        "which",
        "that",
        "as",
        "for",
        "when",
        "while",
        "near",
        "into",
        "across",
        "over",
        "amid",
        "than",
        "said",
        "says",
        "killed",
        "died",
        "wounded",
        "injured",
    ]
)
MAX_SUBJECT_WORDS = 4
UNSPECIFIED = "unspecified"


def subject_after(sentence: Sentence, mention: NumberMention) -> str:
    """Who or what is counted, read off the words right after the number ("North Korean
    troops"); the model is not asked, as it would only rephrase them at a token's cost."""
    rest = _SUBJECT_LEAD.sub("", sentence.text[mention.end - sentence.start :])
    words: list[str] = []
    pos = 0
    for m in _SUBJECT_WORD.finditer(rest):
        if rest[pos : m.start()].strip() or m.group().lower() in _SUBJECT_STOP:
            break  # punctuation, a verb or a preposition ends the noun phrase
        words.append(m.group())
        pos = m.end()
        if len(words) == MAX_SUBJECT_WORDS:
            break
    return " ".join(words) or UNSPECIFIED


_SUBJECT_LEAD = re.compile(r"^\s*(?:of\s+(?:the\s+)?|more\s+|other\s+)?")
