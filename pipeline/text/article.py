"""One document's text read once: paragraphs, sentences and number mentions, with offsets.

`run.py` reads one `Article` per document (`read_article`) and hands it to the strategy; the
checks get the same one from `read_article`, so nothing splits the text again. Each analysis
is computed on first use and kept: a strategy that never reads sentences (`whole`) never pays
for pysbd, and sentences are split a paragraph at a time, when asked for, so the paragraphs
without a number to label (most of a long document) never are.

An `Article` belongs to one worker thread at a time, like the document it reads.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Protocol, runtime_checkable

from pipeline.text.numbers import NumberMention, find_mentions
from pipeline.text.sentences import Segmented, Sentence, paragraph_sentences

# Is this paragraph's text about the topic? (`Topic.mentions_topic`; `Topic.on_topic` also
# says whether a paragraph names one of the topic's events, see `StoryTest`.)
TopicTest = Callable[[str], bool]


@runtime_checkable
class StoryTest(Protocol):
    """A topic test that also knows the topic's event words ("died", "evacuated")."""

    def __call__(self, text: str) -> bool: ...

    def names_event(self, text: str) -> bool: ...


# A paragraph that opens a story of its own: a dateline ("MANILA —", "KYIV, Reuters -") or a
# label ("OPTIMISTIC:"). An unrelated story glued onto a scraped page starts like this.
_NEW_STORY = re.compile(
    r"^[\s\"“]*(?:[A-Z][A-Z.'’ -]{2,40}(?:,[^—–\n]{0,40})?\s[—–-]+\s|[A-Z][A-Z ]{2,30}:\s|"
    r"[Ii]n\s+other\s+news\b)"
)
# A name: a capitalised word that is not a sentence's usual first word.
_NAME = re.compile(r"\b[A-Z][\w'’-]{2,}")
_NOT_NAMES = frozenset(
    [
        "The",
        "This",
        "That",
        "These",
        "Those",
        "There",
        "Then",
        "They",
        "Their",
        "Its",
        "His",
        "Her",
        "She",
        "And",
        "But",
        "For",
        "With",
        "From",
        "After",
        "Before",
        "During",
        "Since",
        "When",
        "While",
        "Where",
        "Who",
        "What",
        "Some",
        "Many",
        "Most",
        "More",
        "Other",
        "Another",
        "About",
        "Around",
        "Also",
        "Meanwhile",
        "Officials",
        "Police",
        "Authorities",
    ]
)


def _names(text: str) -> set[str]:
    return {w for w in _NAME.findall(text) if w not in _NOT_NAMES}


# A headline: a short line that ends without a sentence's stop.
_HEADLINE = re.compile(r"\s*[^\n]{1,100}?[^.!?\"”’'\s]\s*")
# How many of a glued story's first paragraphs must miss the topic for all of it to be off it.
GLUED_OPENING = 3
# How many paragraphs naming only the topic's events may follow the last one naming the topic.
EVENT_TAIL = 3

# A paragraph opening like this continues the story before it ("The shipments also included
# 220 missiles, the JCS said.") and may name nothing of the topic itself. A glued-on story
# starts fresh, with its own names.
_CONTINUES = re.compile(
    r"^[\s\"“‘'(]*(?:the|these|those|this|that|such|both|it|its|they|their|he|his|she|her|"
    r"also|in addition|additionally|but|and)\b",
    re.IGNORECASE,
)
# How far (in paragraphs) a paragraph with no topic word may sit from ones about the topic, on
# both sides, and still be read as part of their story.
STORY_GAP = 4
# A paragraph is a non-empty line, as `split_sentences` numbers them (`Sentence.paragraph`).
_PARAGRAPH = re.compile(r"[^\n]+")

# Where a sentence is: (paragraph index, position among that paragraph's sentences).
_Position = tuple[int, int]


@dataclass(frozen=True)
class Paragraph:
    index: int  # == `Sentence.paragraph` of its sentences
    start: int
    end: int
    text: str


class Article:
    """The analyses of one text; `text` is the document's normalised text."""

    def __init__(self, text: str) -> None:
        self.text = text
        # (on-topic test, paragraph index) -> whether it names the topic: each paragraph is
        # tested once, however many numbers it holds.
        self._topical: dict[tuple[TopicTest, int], bool] = {}
        # The same for "continues a paragraph about the topic" (`_continues_topical`).
        self._continues: dict[tuple[TopicTest, int], bool] = {}
        self._story_names: dict[int, set[str]] = {}
        # Paragraph index -> its sentences, and their starts for bisecting; split when asked.
        self._sentences_of: dict[int, tuple[Sentence, ...]] = {}
        self._starts_of: dict[int, list[int]] = {}
        self._segmented: Segmented = {}
        # Paragraph index -> the last sentence of the paragraphs before it.
        self._last_before: dict[int, _Position | None] = {}

    @cached_property
    def paragraphs(self) -> tuple[Paragraph, ...]:
        return tuple(
            Paragraph(index=i, start=m.start(), end=m.end(), text=m.group())
            for i, m in enumerate(_PARAGRAPH.finditer(self.text))
        )

    @cached_property
    def sentences(self) -> tuple[Sentence, ...]:
        """Every sentence, in order (as `split_sentences` gives them): splits every paragraph."""
        return tuple(s for p in self.paragraphs for s in self.paragraph_sentences(p.index))

    def paragraph_sentences(self, index: int) -> tuple[Sentence, ...]:
        """The sentences of paragraph `index`, split on first use."""
        found = self._sentences_of.get(index)
        if found is None:
            p = self.paragraphs[index]
            found = tuple(paragraph_sentences(self.text, p.start, p.end, index, self._segmented))
            self._sentences_of[index] = found
            self._starts_of[index] = [s.start for s in found]
        return found

    @cached_property
    def mentions(self) -> tuple[NumberMention, ...]:
        """Every number in the text, in order (`find_mentions` over the whole text, once)."""
        return tuple(find_mentions(self.text))

    @cached_property
    def _paragraph_starts(self) -> list[int]:
        return [p.start for p in self.paragraphs]

    @cached_property
    def mention_starts(self) -> list[int]:
        """Where each of `mentions` starts, for bisecting."""
        return [m.start for m in self.mentions]

    def paragraph_at(self, offset: int) -> Paragraph | None:
        """The paragraph holding the character at `offset`, or None between paragraphs."""
        index = bisect_right(self._paragraph_starts, offset) - 1
        if index < 0 or offset >= self.paragraphs[index].end:
            return None
        return self.paragraphs[index]

    def mention_indices(self, start: int, end: int) -> range:
        """Where in `mentions` are those that start within text[start:end]."""
        lo = bisect_left(self.mention_starts, start)
        return range(lo, bisect_left(self.mention_starts, end, lo))

    def mentions_in(self, start: int, end: int) -> list[NumberMention]:
        """The mentions that start within text[start:end]."""
        found = self.mention_indices(start, end)
        return list(self.mentions[found.start : found.stop])

    def sentence_at(self, offset: int) -> Sentence | None:
        """The sentence holding the character at `offset`, or None between sentences."""
        at = self._last_starting_by(offset)
        if at is None:
            return None
        sentence = self._sentence(at)
        return sentence if offset < sentence.end else None

    def sentences_around(self, start: int, end: int) -> list[Sentence]:
        """The sentences text[start:end] touches and the one before them, even across a line.

        "Touches" as a bisect over sentence starts reads it: from the last sentence starting at
        or before `start` (else the first one) to the last starting at or before `end - 1`.
        """
        first = self._last_starting_by(start) or self._first_from(0)
        if first is None:
            return []
        last = max(first, self._last_starting_by(max(start, end - 1)) or first)
        out = [self._sentence(first)]
        before = self._previous(first)
        if before is not None:
            out.insert(0, self._sentence(before))
        at: _Position | None = first
        while at is not None and at < last:
            at = self._next(at)
            if at is not None:
                out.append(self._sentence(at))
        return out

    def _sentence(self, at: _Position) -> Sentence:
        return self.paragraph_sentences(at[0])[at[1]]

    def _last_starting_by(self, offset: int) -> _Position | None:
        """The last sentence that starts at or before `offset`."""
        index = bisect_right(self._paragraph_starts, offset) - 1
        if index < 0:
            return None
        k = bisect_right(self._sentence_starts(index), offset) - 1
        return (index, k) if k >= 0 else self._last_before_paragraph(index)

    def _sentence_starts(self, index: int) -> list[int]:
        """Where the sentences of paragraph `index` start, for bisecting."""
        self.paragraph_sentences(index)
        return self._starts_of[index]

    def _last_before_paragraph(self, index: int) -> _Position | None:
        # Kept per paragraph: claims in the first sentence of a paragraph all ask.
        if index not in self._last_before:
            found: _Position | None = None
            k = index - 1
            while k >= 0 and found is None:
                n = len(self.paragraph_sentences(k))
                found = (k, n - 1) if n else None
                k -= 1
            self._last_before[index] = found
        return self._last_before[index]

    def _previous(self, at: _Position) -> _Position | None:
        return (at[0], at[1] - 1) if at[1] > 0 else self._last_before_paragraph(at[0])

    def _next(self, at: _Position) -> _Position | None:
        if at[1] + 1 < len(self.paragraph_sentences(at[0])):
            return (at[0], at[1] + 1)
        return self._first_from(at[0] + 1)

    def _first_from(self, index: int) -> _Position | None:
        """The first sentence of paragraph `index` or of the first one after it that has one."""
        for k in range(index, len(self.paragraphs)):
            if self.paragraph_sentences(k):
                return (k, 0)
        return None

    def topical_reason(self, offset: int, on_topic: TopicTest) -> str | None:
        """Why the paragraph holding `offset` is about the topic, or None when it is not.

        It is when it mentions the topic, or when it opens as a continuation of a paragraph
        that is (past any blank ones).
        """
        paragraph = self.paragraph_at(offset)
        if paragraph is None or self._in_glued_story(paragraph.index, on_topic):
            return None
        if self._is_topical(paragraph.index, on_topic):
            return "paragraph is about the topic"
        if self._continues_topical(paragraph.index, on_topic):
            return "paragraph continues one about the topic"
        if self._between_topical(paragraph.index, on_topic):
            return "paragraph sits between ones about the topic"
        if self._story_goes_on(paragraph.index, on_topic):
            return "paragraph names the topic's events and follows one about the topic"
        return None

    @cached_property
    def _glued_starts(self) -> list[int]:
        """Where a story glued onto the page begins: a headline followed by a dateline ("Bologna
        beat Torino" / "TURIN — Bologna came from behind ..."), or a dateline, once the page's
        own story has begun: its dateline (the first) and a paragraph of its body. Bylines and
        captions before the first dateline look like headlines too."""
        starts: list[int] = []
        datelines = {k for k, p in enumerate(self.paragraphs) if _NEW_STORY.match(p.text)}
        if not datelines:
            return starts
        for k in range(min(datelines) + 2, len(self.paragraphs)):
            following = self.paragraphs[k + 1].text if k + 1 < len(self.paragraphs) else ""
            headline = _HEADLINE.fullmatch(self.paragraphs[k].text) and _NEW_STORY.match(following)
            dateline = k in datelines and not (starts and starts[-1] == k - 1)
            if headline or dateline:
                starts.append(k)
        return starts

    def _in_glued_story(self, index: int, on_topic: TopicTest) -> bool:
        """Whether paragraph `index` belongs to a story glued onto the page whose headline, or
        else opening paragraphs, are not about the topic: a match report's "missing three injured
        defenders" is no flood's count, though it says "missing" and "injured"."""
        starts = self._glued_starts
        at = bisect_right(starts, index)
        if not at:
            return False
        start = starts[at - 1]
        if _HEADLINE.fullmatch(self.paragraphs[start].text):
            # A headline says what its story is about; its body may use the topic's words for
            # other things.
            return not self._is_topical(start, on_topic)
        opening = range(start, min(len(self.paragraphs), start + GLUED_OPENING))
        return not any(self._is_topical(k, on_topic) for k in opening)

    def _story_goes_on(self, index: int, on_topic: TopicTest) -> bool:
        """Whether paragraph `index` and up to `EVENT_TAIL` paragraphs before it name the
        topic's events ("In Poland, one person has died and 1,850 were evacuated"), each names
        someone or somewhere the story named before, none opens a story of its own, and the
        paragraph before them is about the topic: the end of a story often names neither the
        topic's places nor the disaster again. A story glued on names its own."""
        if not isinstance(on_topic, StoryTest):
            return False
        tail: list[str] = []
        for k in range(index, max(-1, index - EVENT_TAIL - 1), -1):
            text = self.paragraphs[k].text
            about = self._is_topical(k, on_topic) or self._continues_topical(k, on_topic)
            if k < index and about:
                story = self._names_up_to(k)
                return all(_names(t) & story for t in tail)
            if (
                _NEW_STORY.match(text)
                or _HEADLINE.fullmatch(text)
                or not on_topic.names_event(text)
            ):
                return False
            tail.append(text)
        return False

    def _names_up_to(self, index: int) -> set[str]:
        """The names of the text up to the end of paragraph `index`; kept, as the checks of
        each claim ask again."""
        if index not in self._story_names:
            self._story_names[index] = _names(self.text[: self.paragraphs[index].end])
        return self._story_names[index]

    def _between_topical(self, index: int, on_topic: TopicTest) -> bool:
        """Whether a paragraph lies inside the story: a paragraph about the topic comes within
        `STORY_GAP` paragraphs before it and after it, or it is the headline and the paragraph
        after it is about the topic. A quote or a follow-up ("Of the 80 injured, 45 ...") often
        names no topic word; an unrelated story glued onto a scraped page comes after the story
        and has no topical paragraph after it."""
        last = len(self.paragraphs) - 1
        after = range(index + 1, min(last, index + STORY_GAP) + 1)
        if not any(self._is_topical(i, on_topic) for i in after):
            return False
        before = range(max(0, index - STORY_GAP), index)
        return index == 0 or any(self._is_topical(i, on_topic) for i in before)

    def _continues_topical(self, index: int, on_topic: TopicTest) -> bool:
        """Whether paragraph `index`, not about the topic itself, opens as a continuation of
        one that is, through any other continuations and past blank ones. Kept for each
        paragraph of the chain: a long run of "The ..." paragraphs is walked once, not once
        per paragraph (n² for n paragraphs)."""
        chain = []
        found = False
        while True:
            key = (on_topic, index)
            if key in self._continues:
                found = self._continues[key]
                break
            chain.append(key)
            if index == 0 or not _CONTINUES.match(self.paragraphs[index].text[:200]):
                break
            index -= 1
            while index > 0 and not self.paragraphs[index].text.strip():
                index -= 1
            if self._is_topical(index, on_topic):
                found = True
                break
        for key in chain:
            self._continues[key] = found
        return found

    def on_topic_paragraphs(self, on_topic: TopicTest) -> list[Paragraph]:
        """The paragraphs about the topic, directly or as a continuation."""
        return [p for p in self.paragraphs if self.topical_reason(p.start, on_topic) is not None]

    def _is_topical(self, index: int, on_topic: TopicTest) -> bool:
        key = (on_topic, index)
        if key not in self._topical:
            self._topical[key] = on_topic(self.paragraphs[index].text)
        return self._topical[key]


@lru_cache(maxsize=8)
def read_article(text: str) -> Article:
    """The `Article` of `text`, built once: the run, the strategy and the checks of one
    document all ask here, so its sentences and numbers are found once. Keyed by the text
    itself (a str caches its hash); a few documents are in flight at a time."""
    return Article(text)
