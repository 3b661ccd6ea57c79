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
_ACCORDING = re.compile(r"\b[Aa]ccording to\s+([^,.;:()]{2,80})")
# A role and then the person holding it ("the regional governor, Ann Berg."): two governors
# in one story are two sources, so the name is kept. Only a name that ends the clause, so
# "according to the ministry, Russia has ..." stays the ministry.
_APPOSITIVE_NAME = re.compile(r",\s+((?:[A-Z][\w'’-]+\s+){1,2}[A-Z][\w'’-]+)(?=\s*(?:[.;]|,\s|$))")
# Where the speaker's noun phrase stops when read backwards from the verb.
_BOUNDARY = re.compile(
    # "official name.US President": a sentence glued to the next ends the phrase too.
    r"[,;:\"“”]|(?<=[a-z0-9])\.(?=\s)|(?<=[a-z])\.(?=[A-Z])|"
    rf"\b(?:that|since|while|after|when|as|because|but|which|who|where|if|{_VERBS})\b"
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
        role = match.group(1).strip()
        name = _APPOSITIVE_NAME.match(sentence, match.end())
        if name is not None and known(f"{role} {name.group(1)}") is not None:
            return f"{role} {name.group(1)}"
        if known(role) is not None:
            return role
    return None


# Words that open a speaker phrase but name nobody the reader could check.
_NOT_A_SPEAKER = frozenset(
    [
        "he",
        "she",
        "they",
        "it",
        "we",
        "i",
        "you",
        "who",
        "this",
        "that",
        "these",
        "those",
        "there",
        "which",
        "what",
        "some",
        "many",
        "others",
        "one",
        "two",
        "several",
        # An auxiliary left when a quote cuts the phrase: 'the service "has estimated'.
        "has",
        "have",
        "had",
        "was",
        "were",
        "is",
        "are",
        "also",
    ]
)
_SPEAKER_CHARS = re.compile(r"^[A-Za-z][\w .'’&-]*$")


def plausible_speaker(name: str) -> str | None:
    """A speaker phrase that names someone ("Turkey's disaster agency", "local police"), not a
    pronoun or a clause fragment; None otherwise. Used when the alias table knows no name."""
    name = name.strip()
    words = name.split()
    if not words or len(words) > 6 or not _SPEAKER_CHARS.match(name):
        return None
    if words[0].lower() in _NOT_A_SPEAKER or any(ch.isdigit() for ch in name):
        return None
    return name


def credit(sentences: list[str], index: int, start: int, end: int, known: Known) -> str | None:
    """Who a paragraph credits for the number at [start, end) of `sentences[index]`.

    The sentence's own attribution first (a source the alias table knows, then any named
    speaker); failing that, a known source named by the nearest other sentence of the
    paragraph, the one before first: news often states figures and credits them a sentence
    later ("... The figures came from the agency's briefing.").
    """
    sentence = sentences[index]
    own = attribute(sentence, start, end, known) or attribute(
        sentence, start, end, plausible_speaker
    )
    if own is not None:
        return own
    order = sorted(range(len(sentences)), key=lambda k: (abs(k - index), k > index))
    for k in order:
        if k == index:
            continue
        other = sentences[k]
        # Attribution anywhere in a neighbour: measured from its end, so "X said" before or
        # after that sentence's own numbers both count.
        found = attribute(other, len(other), len(other), known)
        if found is not None:
            return found
    return None
