"""The review site as HTML: an index and one page per document, with CSS and JS inlined.

Templates are Jinja2 with autoescaping on: article text, quotes, sources and check details are
data, and an article holding `<script>` must show it, not run it. The only unescaped strings
are the package's own stylesheet and script.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup

from pipeline.prompts import PromptError
from pipeline.review.load import DocumentView, FigureView, ReviewData
from pipeline.review.marks import ClaimAnchor, Layout, MarkKind, layout
from pipeline.review.timeline import Chart, Report, chart
from pipeline.text.article import TopicTest
from pipeline.topic import load_topic

PAGES_DIR = "doc"


@dataclass(frozen=True)
class Site:
    index: Path
    pages: tuple[Path, ...]
    n_claims: int


@dataclass(frozen=True)
class FigureEntry:
    view: FigureView
    chart: Chart | None


def _num(value: int | float | None) -> str:
    return "—" if value is None else f"{value:,}"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pipeline.review", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    env.filters["ms"] = _ms
    return env


@cache
def _static(name: str) -> Markup:
    text = resources.files("pipeline.review").joinpath("static", name).read_text("utf-8")
    # Inlined into <style>/<script>: a closing tag inside would end the element early.
    if "</" in text:
        raise ValueError(f"static/{name} must not contain '</'")
    return Markup(text)


def page_path(doc_id: str) -> str:
    """Where a document's page lives, relative to the site's root."""
    return f"{PAGES_DIR}/{doc_id}.html"


def topic_test(topic: str) -> TopicTest | None:
    """The on-topic test of an extraction's topic ("name@version"); None if its file is gone."""
    return _topic_test(topic.split("@", 1)[0])


@cache
def _topic_test(name: str) -> TopicTest | None:
    try:
        return load_topic(name).on_topic
    except (PromptError, OSError):
        return None


def anchors(doc: DocumentView) -> list[ClaimAnchor]:
    return [ClaimAnchor(c.claim_id, c.status, c.value, c.low, c.high, c.spans) for c in doc.claims]


def document_layout(doc: DocumentView, on_topic: TopicTest | None) -> Layout:
    return layout(doc.text, anchors(doc), on_topic)


def _title(doc: DocumentView, width: int = 120) -> str:
    """A heading: the title, else the file name (a .txt article's title is its first line)."""
    title = " ".join((doc.title or Path(doc.origin).name or doc.doc_id[:16]).split())
    return title if len(title) <= width else title[: width - 1].rstrip() + "…"


def render_document(
    doc: DocumentView, topics: Callable[[str], TopicTest | None] = topic_test
) -> str:
    on_topic = topics(doc.extraction.topic) if doc.extraction else None
    laid = document_layout(doc, on_topic)
    counts = Counter(s.mark.kind.value for p in laid.paragraphs for s in p.segments if s.mark)
    by_id = {c.claim_id: c for c in doc.claims}
    return (
        _environment()
        .get_template("document.html")
        .render(
            css=_static("review.css"),
            js=_static("review.js"),
            doc=doc,
            title=_title(doc),
            paragraphs=laid.paragraphs,
            unplaced=[by_id[i] for i in laid.unplaced],
            claims=by_id,
            counts={kind.value: counts.get(kind.value, 0) for kind in MarkKind},
            n_off_topic=sum(1 for p in laid.paragraphs if p.on_topic is False),
            topic_known=on_topic is not None or doc.extraction is None,
        )
    )


def figure_entries(figures: Iterable[FigureView]) -> list[FigureEntry]:
    out = []
    for f in figures:
        reports = [
            Report(r.when, r.value, r.low, r.high, r.title) for r in f.reports if r.when is not None
        ]
        out.append(FigureEntry(f, chart(reports)))
    return out


def render_index(data: ReviewData, written: datetime | None = None) -> str:
    claims = [(d, c) for d in data.documents for c in d.claims]
    return (
        _environment()
        .get_template("index.html")
        .render(
            css=_static("review.css"),
            js=_static("review.js"),
            heading="spanfact review",
            runs=data.runs,
            run_id=data.run_id,
            documents=data.documents,
            claims=claims,
            metrics=sorted({c.metric for _, c in claims}),
            n_verified=sum(d.n_verified for d in data.documents),
            n_rejected=sum(d.n_rejected for d in data.documents),
            figures=None if data.figures is None else figure_entries(data.figures),
            page=lambda d: page_path(d.doc_id),
            rendered={d.doc_id for d in data.documents},
            written=f"{written or datetime.now():%Y-%m-%d %H:%M}",
        )
    )


def write_site(data: ReviewData, output: Path) -> Site:
    """Write index.html and doc/<doc_id>.html under `output`; returns what was written."""
    pages_dir = output / PAGES_DIR
    pages_dir.mkdir(parents=True, exist_ok=True)
    pages = []
    for doc in data.documents:
        path = output / page_path(doc.doc_id)
        path.write_text(render_document(doc), encoding="utf-8")
        pages.append(path)
    index = output / "index.html"
    index.write_text(render_index(data), encoding="utf-8")
    return Site(index, tuple(pages), sum(len(d.claims) for d in data.documents))
