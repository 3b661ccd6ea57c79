"""Reading who says a number off its sentence."""

from __future__ import annotations

import pytest

from pipeline.extract.attribution import Known, attribute, known_sources
from pipeline.topic import Topic


@pytest.fixture
def known(topic: Topic) -> Known:
    assert topic.aliases() is not None  # the table lives in the topic file
    return known_sources(topic.aliases())


@pytest.mark.parametrize(
    ("sentence", "number", "expected"),
    [
        ("Kyiv said 40 soldiers were captured.", "40", "Ukraine"),
        ("At least 12 drones were downed overnight, the Pentagon said.", "12", "Pentagon"),
        (
            "About 500 troops arrived, according to the Institute for the Study of War.",
            "500",
            "ISW",
        ),
        # The nearest speaker before the number wins over an earlier one.
        (
            "Moscow says 20 died, while Seoul's spy agency said that 90 were killed.",
            "90",
            "South Korea NIS",
        ),
        ("Moscow says 20 died, while Seoul's spy agency said that 90 were killed.", "20", "Russia"),
        # Auxiliaries and clause words are not part of the name.
        (
            "Officials fear the worst since the US and Ukraine announced that 5,000 had gone.",
            "5,000",
            "US and Ukraine",
        ),
        ("Zelensky has warned that 60,000 troops were massed.", "60,000", "Ukraine"),
    ],
)
def test_sentence_attribution(known: Known, sentence: str, number: str, expected: str) -> None:
    start = sentence.index(number)
    found = attribute(sentence, start, start + len(number), known)
    assert found is not None and known(found) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "North Korea is set to provide Russia with at least 150 missiles.",
        "Those are the first reported casualties: 30 were hurt.",
        "A local blogger said 30 were hurt.",  # a speaker the alias table does not know
    ],
)
def test_no_known_attribution_leaves_it_to_the_model(known: Known, sentence: str) -> None:
    start = sentence.index("1") if "150" in sentence else sentence.index("30")
    assert attribute(sentence, start, start + 3, known) is None
