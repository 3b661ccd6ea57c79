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


GLUED = (
    "Storm floods valley towns\n"
    "LINZBERG, March 4 — Floodwater swept through the Arl valley on Tuesday, and eight people "
    "were killed, the regional rescue service said.\n"
    "Some 1,400 residents were evacuated from riverside streets.\n"
    "Arl Rovers edge Tamsby in cup replay\n"
    "TAMSBY — Arl Rovers won 3-2 on Saturday, though they were missing two injured strikers.\n"
)


def _disaster_reasons(text: str) -> list[str | None]:
    article = Article(text)
    on_topic = load_topic("disaster").on_topic
    return [article.topical_reason(p.start, on_topic) for p in article.paragraphs]


def test_a_glued_story_whose_headline_misses_the_topic_is_off_it_whatever_its_words() -> None:
    reasons = _disaster_reasons(GLUED)
    assert reasons[1] is not None and reasons[2] is not None
    # "missing two injured strikers" holds the topic's words, but its story is a match report.
    assert reasons[3:] == [None, None]


def test_a_glued_story_whose_headline_names_the_topic_is_read() -> None:
    text = GLUED.replace("Arl Rovers edge Tamsby in cup replay", "Flood kills two in Tamsby")
    text = text.replace(
        "won 3-2 on Saturday, though they were missing two injured strikers",
        "saw two people killed by floodwater on Saturday",
    )
    assert _disaster_reasons(text)[4] is not None


def test_bylines_and_captions_before_the_first_dateline_start_no_other_story() -> None:
    text = (
        "Floods force thousands from homes\n"
        "Rescuers search flooded streets in Linzberg\n"
        "Press Agency\n"
        "LINZBERG — Some 3,000 people were evacuated after floods, officials said.\n"
        "Two people were killed, the rescue service said.\n"
    )
    assert all(reason is not None for reason in _disaster_reasons(text)[3:])
