"""The Article: one reading of a text, with the lookups strategies, checks and review use."""

from __future__ import annotations

import pytest

from pipeline.text.article import Article
from pipeline.text.numbers import find_mentions
from pipeline.text.sentences import split_sentences
from pipeline.validate import topical_paragraph
from schemas.records import Span

STORY = (
    "North Korea has sent Russia 8 million shells, South Korea said.\n"
    "\n"
    "The shipments also included 220 ballistic missiles, the JCS said. Some 1,500 went on.\n"
    "Those missiles can fly 700 kilometres.\n"
    "OTHER NEWS: A two-person crew is missing after a jet crashed, police said.\n"
    "The crew's families were told of 3 sightings.\n"
)


def korea(paragraph: str) -> bool:
    return "korea" in paragraph.lower()


def test_paragraphs_are_the_non_empty_lines_with_their_offsets() -> None:
    article = Article(STORY)
    assert [p.index for p in article.paragraphs] == [0, 1, 2, 3, 4]
    for p in article.paragraphs:
        assert STORY[p.start : p.end] == p.text
        assert "\n" not in p.text
    assert article.paragraphs[1].text.startswith("The shipments")
    # Numbered as the sentences number them.
    assert {s.paragraph for s in article.sentences} == {0, 1, 2, 3, 4}
    assert list(article.sentences) == split_sentences(STORY)


def test_paragraph_at_an_offset() -> None:
    article = Article(STORY)
    at = STORY.index("220")
    paragraph = article.paragraph_at(at)
    assert paragraph is not None and paragraph.index == 1
    assert article.paragraph_at(STORY.index("\n\n") + 1) is None  # the blank line
    assert article.paragraph_at(0) == article.paragraphs[0]


def test_mentions_are_found_once_and_looked_up_by_sentence() -> None:
    article = Article(STORY)
    assert list(article.mentions) == find_mentions(STORY)
    assert article.mentions is article.mentions  # computed once
    for s in article.sentences:
        expected = [m for m in find_mentions(STORY) if s.start <= m.start < s.end]
        assert article.mentions_in(s.start, s.end) == expected
    texts = [[m.text for m in article.mentions_in(s.start, s.end)] for s in article.sentences[:3]]
    assert texts == [["8 million"], ["220"], ["1,500"]]
    lo = STORY.index("Those")
    assert [m.text for m in article.mentions_in(lo, lo + 40)] == ["700 kilometres"]
    assert article.mentions_in(0, 0) == []


@pytest.mark.parametrize(
    "needle", ["8 million", "220", "1,500", "700", "two-person", "3 sightings"]
)
def test_topical_reason_agrees_with_the_on_topic_check(needle: str) -> None:
    start = STORY.index(needle)
    span = Span(start=start, end=start + len(needle), method="exact")
    assert Article(STORY).topical_reason(start, korea) == topical_paragraph(STORY, span, korea)


def test_on_topic_paragraphs_test_each_paragraph_once() -> None:
    asked: list[str] = []

    def test(paragraph: str) -> bool:
        asked.append(paragraph)
        return korea(paragraph)

    article = Article(STORY)
    on_topic = article.on_topic_paragraphs(test)
    assert [p.index for p in on_topic] == [0, 1, 2]
    assert article.on_topic_paragraphs(test) == on_topic
    assert sorted(asked) == sorted(p.text for p in article.paragraphs)
