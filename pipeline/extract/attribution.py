"""Who says a number, read off the sentence: "X said ...", "..., X said.", "according to X".

Small models attribute a figure to whichever agency is nearest in the passage, often one from
the next sentence. The sentence's own attribution is more reliable, so when it names a source
the alias table knows, it wins; otherwise the model's answer stands.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pipeline.sources import SourceAliases

_VERBS = (
    r"said|says|say|saying|told|tells|estimated|estimates|estimate|claimed|claims|claim|"
    r"reported|reports|announced|announces|confirmed|confirms|assessed|assesses|believes|"
    r"believed|warned|warns|stated|states|added|showed|shows|indicated|indicates|revealed|"
    r"reveals|noted|notes"
)
_SPEECH = re.compile(rf"\b(?:{_VERBS})\b")
_ACCORDING = re.compile(r"\baccording to\s+([^,.;:()]{2,80})")
# Where the speaker's noun phrase stops when read backwards from the verb.
_BOUNDARY = re.compile(
    rf"[,;:\"“”]|(?<=[a-z0-9])\.(?=\s)|\b(?:that|since|while|after|when|as|because|but|which|who|where|if|{_VERBS})\b"
)
_AUXILIARY = re.compile(r"(?:\s+(?:has|have|had|also|previously|now|has also|had earlier))+$")
MAX_WORDS = 9

Known = Callable[[str], str | None]


def known_sources(aliases: SourceAliases | None) -> Known:
    """A test for "the alias table knows this name": its canonical name, else None."""

    def known(name: str) -> str | None:
        if aliases is None:
            return None
        canonical = aliases.normalize(name)
        return canonical if canonical in aliases.canonical_names else None

    return known


def _speaker_before(text: str, verb_start: int) -> str:
    head = text[:verb_start].rstrip()
    cut = max((m.end() for m in _BOUNDARY.finditer(head)), default=0)
    phrase = _AUXILIARY.sub("", head[cut:].strip())
    words = phrase.split()
    return " ".join(words[-MAX_WORDS:])


def attribute(sentence: str, start: int, end: int, known: Known) -> str | None:
    """The source the sentence credits for the number at [start, end), if the table knows it.

    Preference: a trailing "..., X said." after the number, then the nearest "X said" before
    it, then "according to X" anywhere in the sentence.
    """
    after: list[str] = []
    before: list[tuple[int, str]] = []
    for verb in _SPEECH.finditer(sentence):
        speaker = _speaker_before(sentence, verb.start())
        if not speaker or known(speaker) is None:
            continue
        if verb.start() >= end:
            after.append(speaker)
        else:
            before.append((verb.start(), speaker))
    trailing = [s for s in after if re.search(rf"{re.escape(s)}\s+\w+\W*$", sentence)]
    if trailing:
        return trailing[0]
    if before:
        return max(before)[1]
    for match in _ACCORDING.finditer(sentence):
        if known(match.group(1).strip()) is not None:
            return match.group(1).strip()
    return None
