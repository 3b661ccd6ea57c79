"""Seconds to read, extract and verify one long document with the fake model (issue 14, item 2).

    python -m bench.long_docs                    # 10 KB .. 5 MB, both shapes
    python -m bench.long_docs --sizes 10000 40000 --shapes paragraph
    python -m bench.long_docs --unique           # no sentence written twice

Two shapes: `prose` (the articles of data/articles repeated, paragraphs as written) and
`paragraph` (the same text as one line, as a scraped page without breaks arrives). Every step
must be linear in the size: the seconds per MB column should stay flat as the size grows.
The fake model answers at once, so the figures are spanfact's own cost, model calls included.

Repeated articles make a document whose paragraphs and sentences recur every 16 KB, and the
steps that keep what they read by its text (pysbd's windows, a quote's numbers, a clause's
metrics) read each only once. `--unique` writes a tag word of its own before every fifth word of
each copy, so no copy repeats another: the cost of a document that does not repeat itself.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from pipeline.backends.fake import FakeBackend, echo_responder
from pipeline.extract import create_strategy
from pipeline.grounding import claim_checker, ground
from pipeline.ingest import document_from_text
from pipeline.topic import load_topic, topic_cues
from schemas.claims import SCHEMA_VERSION
from schemas.records import Provenance

ROOT = Path(__file__).resolve().parent.parent
SIZES = (10_000, 100_000, 1_000_000, 5_000_000)
SHAPES = ("prose", "paragraph")


def corpus() -> str:
    return "\n\n".join(p.read_text() for p in sorted((ROOT / "data" / "articles").glob("*.txt")))


def document(size: int, shape: str, source: str, unique: bool = False) -> str:
    copies = size // (len(source) + 2) + 1
    if unique:
        text = "".join(tagged(source, k) + "\n\n" for k in range(copies))
    else:
        text = (source + "\n\n") * copies
    if shape == "paragraph":
        text = " ".join(text.split())
    return text[:size]


def tagged(source: str, copy: int) -> str:
    """`source` with a word naming this copy ("zqbc") before every fifth word of each line, the
    first included: letters only, so no number is added, and no line, window, sentence or
    clause is the same as in another copy."""
    tag = "zq" + "".join(chr(ord("a") + int(d)) for d in str(copy))
    lines = []
    for line in source.split("\n"):
        words = line.split(" ")
        lines.append(" ".join(f"{tag} {w}" if i % 5 == 0 and w else w for i, w in enumerate(words)))
    return "\n".join(lines)


def measure(text: str, strategy_name: str) -> tuple[float, int, int]:
    """(seconds, model requests, claims) for one document, end to end without the store."""
    topic = load_topic()
    backend = FakeBackend(echo_responder, model="fake-echo")
    strategy = create_strategy(strategy_name, backend, topic, check=claim_checker(topic))
    provenance = Provenance(
        model="fake-echo",
        strategy=strategy_name,
        prompt_name=strategy.prompt.name,
        prompt_version=strategy.prompt.version,
        schema_version=SCHEMA_VERSION,
    )
    started = time.perf_counter()
    doc = document_from_text(text, "bench")
    outcome = strategy.extract(doc.text)
    claims = ground(
        [*outcome.claims, *outcome.salvaged],
        doc.text,
        topic.on_topic,
        provenance,
        topic.source_normalizer(),
        cues=topic_cues(topic),  # as `pipeline.run` calls it
    )
    return time.perf_counter() - started, len(backend.calls), len(claims)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.long_docs")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=SHAPES)
    parser.add_argument("--strategy", default="anchored")
    parser.add_argument(
        "--unique", action="store_true", help="no paragraph or sentence repeats (see above)"
    )
    args = parser.parse_args(argv)
    source = corpus()
    print(f"{'shape':<10} {'bytes':>10} {'seconds':>8} {'s/MB':>6} {'requests':>9} {'claims':>7}")
    for shape in args.shapes:
        for size in args.sizes:
            text = document(size, shape, source, args.unique)
            seconds, requests, claims = measure(text, args.strategy)
            per_mb = seconds / (size / 1e6)
            print(
                f"{shape:<10} {size:>10,} {seconds:>8.2f} {per_mb:>6.1f} {requests:>9} {claims:>7}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
