"""Source-name normalisation driven by a per-topic alias table.

The same agency is written many ways ("NIS", "Seoul's spy agency", "South Korea's National
Intelligence Service"); scoring and the `latest_figures` view both need one name per source.
Which names mean what is topic knowledge, so it lives in a TOML file under `prompts/topics/`
(data, reviewed like a prompt), and this module only applies it.

Rules, in order:

1. `None`, empty, or a "nobody" word (`null`, `unknown`, `unattributed`, ...) -> `None`.
2. The name is cleaned for matching: curly apostrophes straightened, possessive "'s" dropped,
   dots inside acronyms dropped ("U.S." -> "US"), other punctuation turned into spaces,
   whitespace collapsed, a leading "the" dropped.
3. A cleaned name that *is* a canonical name (any case) returns that canonical, so normalising
   is idempotent whatever the table's order.
4. Otherwise the first table entry, in file order, with a pattern that matches anywhere in the
   cleaned name wins. Patterns are regexes compiled case-insensitively; a pattern can opt back
   into case with `(?-i:...)`, which matters for "US" versus the word "us".
5. No match: the name as given, whitespace collapsed and a leading "the" dropped, so unknown
   sources still group but are never rewritten into something the table does not say.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# The one list of ways a model says "nobody": used when a table does not list its own, and
# when a topic has no table at all. Spelled lower-case, compared lower-case.
DEFAULT_NULL_NAMES: tuple[str, ...] = (
    "null",
    "none",
    "unknown",
    "unattributed",
    "n/a",
    "na",
    "not stated",
    "not specified",
    "no source",
    "unnamed",
    "unspecified",
)

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_POSSESSIVE = re.compile(r"(?<=\w)'s\b", re.IGNORECASE)
# A dot right after a one-letter word is an acronym dot ("U.S.", "U.K."); "Gen." keeps its dot
# until the punctuation pass turns it into a space.
_ACRONYM_DOT = re.compile(r"(?<=\b[A-Za-z])\.")
_PUNCTUATION = re.compile(r"[^\w\s&-]")
_SPACES = re.compile(r"\s+")
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)


class SourceAliasError(ValueError):
    """The alias table cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class SourceAlias:
    """One canonical source and the patterns that select it."""

    name: str
    patterns: tuple[re.Pattern[str], ...]

    def matches(self, cleaned: str) -> bool:
        return any(p.search(cleaned) for p in self.patterns)


@dataclass(frozen=True)
class SourceAliases:
    """An ordered alias table; the first entry whose pattern matches wins."""

    entries: tuple[SourceAlias, ...]
    null_names: frozenset[str] = frozenset(DEFAULT_NULL_NAMES)
    version: str | None = None

    @property
    def canonical_names(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.entries)

    def normalize(self, name: str | None) -> str | None:
        """The canonical name for `name`, the tidied name when nothing matches, or None."""
        if name is None:
            return None
        given = _SPACES.sub(" ", name).strip()
        if not given or given.lower() in self.null_names:
            return None
        cleaned = clean_source(given)
        if not cleaned or cleaned.lower() in self.null_names:
            return None
        lowered = cleaned.lower()
        for entry in self.entries:
            if entry.name.lower() == lowered:
                return entry.name
        for entry in self.entries:
            if entry.matches(cleaned):
                return entry.name
        return _LEADING_THE.sub("", given) or None


def clean_source(name: str) -> str:
    """The form of a source name that alias patterns are written against (see module doc)."""
    text = unicodedata.normalize("NFKC", name).translate(_APOSTROPHES)
    text = _POSSESSIVE.sub("", text)
    text = _ACRONYM_DOT.sub("", text)
    text = _PUNCTUATION.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    return _LEADING_THE.sub("", text)


class _EntryFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    patterns: list[str] = Field(min_length=1)


class _AliasFile(BaseModel):
    # extra="forbid" so that a typo such as `pattern =` fails loudly instead of matching nothing.
    model_config = ConfigDict(extra="forbid")

    version: str | None = None
    null_names: list[str] = Field(default_factory=lambda: list(DEFAULT_NULL_NAMES))
    source: list[_EntryFile] = Field(min_length=1)


def load_aliases(path: Path) -> SourceAliases:
    """Read and compile an alias table; raise SourceAliasError naming the file on any problem."""
    try:
        with path.open("rb") as f:
            raw = tomllib.load(f)
    except OSError as e:
        raise SourceAliasError(f"{path}: cannot read alias table: {e}") from e
    except tomllib.TOMLDecodeError as e:
        raise SourceAliasError(f"{path}: not valid TOML: {e}") from e
    return parse_aliases(raw, origin=str(path))


def parse_aliases(raw: dict[str, object], origin: str = "<alias table>") -> SourceAliases:
    """Build a table from already-parsed TOML; `origin` names it in error messages."""
    try:
        data = _AliasFile.model_validate(raw)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}"
            for err in e.errors()
        )
        raise SourceAliasError(f"{origin}: {problems}") from e

    entries: list[SourceAlias] = []
    seen: set[str] = set()
    for entry in data.source:
        key = entry.name.lower()
        if key in seen:
            raise SourceAliasError(f"{origin}: source {entry.name!r} is listed twice")
        seen.add(key)
        compiled: list[re.Pattern[str]] = []
        for pattern in entry.patterns:
            if not pattern.strip():
                raise SourceAliasError(f"{origin}: source {entry.name!r} has an empty pattern")
            try:
                compiled.append(re.compile(pattern, re.IGNORECASE))
            except re.error as e:
                raise SourceAliasError(
                    f"{origin}: source {entry.name!r}: bad pattern {pattern!r}: {e}"
                ) from e
        entries.append(SourceAlias(entry.name, tuple(compiled)))
    return SourceAliases(
        entries=tuple(entries),
        null_names=frozenset(n.strip().lower() for n in data.null_names),
        version=data.version,
    )
