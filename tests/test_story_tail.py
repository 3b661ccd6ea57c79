"""The last paragraphs of a story often name only its events; a glued-on story does not count."""

from __future__ import annotations

from pipeline.text.article import Article
from pipeline.topic import load_topic

STORY = (
    "Russian shelling near Izium killed four people on Sunday, Ukrainian officials said.\n"
    "In Izium itself, two more people died and five were wounded overnight.\n"
    "Ferry fire off island kills 7\n"
    "MANILA — Seven passengers died after a fire broke out on a ferry.\n"
    "Another 23 people were wounded, the coast guard said.\n"
)


def _reasons(text: str) -> list[str | None]:
    article = Article(text)
    on_topic = load_topic("ukraine_dprk").on_topic
    return [article.topical_reason(p.start, on_topic) for p in article.paragraphs]


def test_a_paragraph_naming_only_the_topics_events_continues_its_story() -> None:
    reasons = _reasons(STORY)
    assert reasons[0] == "paragraph is about the topic"
    assert reasons[1] == "paragraph names the topic's events and follows one about the topic"


def test_a_headline_or_a_dateline_starts_another_story() -> None:
    assert _reasons(STORY)[2:] == [None, None, None]


def test_the_plain_term_test_still_reads_only_the_topics_words() -> None:
    article = Article(STORY)
    test = load_topic("ukraine_dprk").mentions_topic
    assert [article.topical_reason(p.start, test) for p in article.paragraphs][1] is None


def test_a_paragraph_that_names_no_one_the_story_named_is_another_story() -> None:
    text = (
        "Russian shelling near Izium killed four people on Sunday, Ukrainian officials said.\n"
        "A bus overturned near Tagaytay and 12 people were injured, police said.\n"
    )
    assert _reasons(text)[1] is None
