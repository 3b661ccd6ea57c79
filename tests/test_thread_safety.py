"""Steps that worker threads share must give each thread its own answer."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from pipeline.text.sentences import split_sentences


@pytest.fixture
def busy_switching() -> Iterator[None]:
    # Threads hand over the GIL every 10 µs, so a race shows up in a few hundred calls.
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(previous)


def test_sentences_split_in_parallel_threads_are_each_threads_own(busy_switching: None) -> None:
    texts = [
        f"Kyiv said {n} soldiers were killed near Kursk. Moscow gave no figure. "
        f"Talks resumed on day {n % 7}."
        for n in range(300)
    ]
    expected = [[s.text for s in split_sentences(t)] for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda t: [s.text for s in split_sentences(t)], texts))
    assert got == expected
