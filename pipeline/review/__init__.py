"""The review site: every stored claim highlighted in its article, with its checks and calls.

`build_review` reads the store (load), lays each article out with its number mentions marked
(marks), and writes static HTML with inlined CSS and JS (render); nothing is fetched at view
time.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.review.load import UnknownRunError, load_review
from pipeline.review.render import Site, write_site
from pipeline.store.db import Database

__all__ = ["Site", "UnknownRunError", "build_review"]


def build_review(db: Database, output: Path, run_id: str | None = None) -> Site:
    """Write the review of `db` (limited to one run's documents, if given) under `output`."""
    return write_site(load_review(db, run_id), output)
