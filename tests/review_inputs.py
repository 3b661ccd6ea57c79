"""A store for the review tests, written through the batch runner with scripted fake models.

Two runs: the whole strategy on an article where the model invents a figure (one verified and
one rejected claim), and the anchored strategy (every number labelled `other`) on an article
holding `<script>` and rich markup in its text, with an unrelated story glued on.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from pipeline.backends.fake import FakeBackend, echo_responder
from pipeline.review import build_review
from pipeline.run import BatchRunner, RunOptions
from pipeline.store.db import open_db

WHOLE_ARTICLE = (
    "South Korea's spy agency said about 300 North Korean soldiers were killed and 2,700 "
    "wounded in Kursk since October 2024.\n"
    "\n"
    "Kyiv said that 11,000 troops were sent.\n"
)
ESCAPE_ARTICLE = (
    "Russia said 120 North Korean troops were killed near Kursk <script>alert('x')</script> "
    "and [bold]Kyiv[/bold] counted 45 more in 2024.\n"
    "Cape Town hosted 7 parades on Saturday, organisers said.\n"
)
HALLUCINATED = 3500  # the figure the scripted model invents: rejected
REJECTED_REASON = "3,500 not written in the quoted text"


def _claim(**kw: Any) -> dict[str, Any]:
    base = {
        "metric": "killed",
        "value": 300,
        "low": None,
        "high": None,
        "qualifier": "about",
        "subject": "North Korean soldiers",
        "source": "South Korea's spy agency",
        "location": "Kursk",
        "time_reference": None,
        "quote": "about 300 North Korean soldiers were killed",
    }
    return {**base, **kw}


def whole_responder(messages: list[dict[str, Any]]) -> str:
    """One true and one invented claim for the article with 2,700 in it; none elsewhere."""
    if "2,700" in json.dumps(messages):
        return json.dumps(
            {
                "claims": [
                    _claim(),
                    _claim(
                        metric="wounded",
                        value=HALLUCINATED,
                        qualifier="exact",
                        quote="2,700 wounded in Kursk",
                    ),
                ]
            }
        )
    return json.dumps({"claims": []})


def build_store(root: Path) -> Path:
    """Write both articles and run them; returns the database path."""
    whole_dir = root / "whole"
    anchored_dir = root / "anchored"
    whole_dir.mkdir(parents=True)
    anchored_dir.mkdir(parents=True)
    (whole_dir / "kursk.txt").write_text(WHOLE_ARTICLE, encoding="utf-8")
    # Sent as an HTML page whose text holds the markup as entities: a .txt holding a <script>
    # tag is read as a scraped page and loses it, but the stored text must keep it literally.
    page = "".join(f"<p>{html.escape(line)}</p>" for line in ESCAPE_ARTICLE.splitlines() if line)
    (anchored_dir / "escape.html").write_text(f"<html><body>{page}</body></html>", "utf-8")
    path = root / "review.duckdb"
    db = open_db(path)
    try:
        BatchRunner(db, FakeBackend(whole_responder), RunOptions(strategy="whole")).run([whole_dir])
        BatchRunner(db, FakeBackend(echo_responder), RunOptions()).run([anchored_dir])
    finally:
        db.close()
    return path


def build_site(store: Path, out: Path) -> Path:
    """The review site of `store`, written to `out`; the store is opened read-only."""
    db = open_db(store, read_only=True)
    try:
        build_review(db, out)
    finally:
        db.close()
    return out
