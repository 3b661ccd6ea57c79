"""The review site: number marks, call matching, timelines, escaping, the CLI, figures."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from typer.testing import CliRunner

from pipeline import cli
from pipeline.review import build_review
from pipeline.review.calls import LoggedCall, calls_for_claim, passage_of
from pipeline.review.load import load_review
from pipeline.review.marks import ClaimAnchor, MarkKind, layout, place_claims
from pipeline.review.render import page_path, render_document
from pipeline.review.timeline import Report, chart
from pipeline.store.db import open_db
from pipeline.text.numbers import find_mentions
from tests.review_inputs import (
    HALLUCINATED,
    REJECTED_REASON,
    WHOLE_ARTICLE,
    build_site,
    build_store,
)
from tests.store_helpers import scalar


def on_topic(text: str) -> bool:
    return "kursk" in text.lower()


def anchor(claim_id: str, value: int, span: tuple[int, int], **kw: Any) -> ClaimAnchor:
    return ClaimAnchor(
        claim_id, kw.get("status", "verified"), value, kw.get("low"), kw.get("high"), (span,)
    )


# --- marks ------------------------------------------------------------------------------------


def test_two_claims_of_one_figure_land_on_its_two_mentions() -> None:
    text = "Russia sent 300 troops to Kursk and then 300 more."
    mentions = find_mentions(text)
    whole = (0, len(text))
    placed, unplaced = place_claims(mentions, [anchor("a", 300, whole), anchor("b", 300, whole)])
    assert sorted((mentions[i].start, c.claim_id) for i, c in placed.items()) == [
        (12, "a"),
        (41, "b"),
    ]
    assert unplaced == []


def test_a_claim_whose_number_is_not_in_its_span_is_unplaced() -> None:
    text = "About 2,700 were wounded in Kursk."
    placed, unplaced = place_claims(find_mentions(text), [anchor("x", 3500, (0, len(text)))])
    assert placed == {} and unplaced == ["x"]


def test_a_range_claim_is_placed_on_the_range_mention() -> None:
    text = "Between 10,000 and 12,000 troops were sent to Kursk."
    claim = anchor("r", 10_000, (0, len(text)), low=10_000, high=12_000)
    placed, _ = place_claims(find_mentions(text), [claim])
    (index,) = placed
    assert find_mentions(text)[index].text == "10,000 and 12,000"


def test_layout_marks_every_number_once_and_keeps_the_text() -> None:
    text = (
        "In 2024 Russia said 300 troops died in Kursk and 40 were hurt.\n"
        "\n"
        "Cape Town hosted 7 parades.\n"
    )
    laid = layout(text, [anchor("c", 300, (0, 62))], on_topic)
    assert [p.on_topic for p in laid.paragraphs] == [True, False]
    for p in laid.paragraphs:
        assert "".join(s.text for s in p.segments) == text[p.start : p.end]
    marks = {s.text: s.mark for p in laid.paragraphs for s in p.segments if s.mark}
    assert {t: m.kind for t, m in marks.items()} == {
        "2024": MarkKind.not_count,
        "300": MarkKind.verified,
        "40": MarkKind.not_claim,
        "7": MarkKind.off_topic,
    }
    assert marks["300"].claim_id == "c" and marks["2024"].mention_kind == "year"
    assert laid.unplaced == ()


def test_without_a_topic_no_paragraph_is_called_off_topic() -> None:
    laid = layout("Cape Town hosted 7 parades.\n", [], None)
    assert [p.on_topic for p in laid.paragraphs] == [None]
    assert laid.paragraphs[0].segments[1].mark is not None
    assert laid.paragraphs[0].segments[1].mark.kind is MarkKind.not_claim


def test_a_rejected_claim_is_marked_rejected() -> None:
    text = "Russia said 300 troops died in Kursk."
    laid = layout(text, [anchor("r", 300, (0, len(text)), status="rejected")], on_topic)
    (marked,) = [s.mark for s in laid.paragraphs[0].segments if s.mark]
    assert marked.kind is MarkKind.rejected and marked.claim_id == "r"


# --- calls ------------------------------------------------------------------------------------


def logged(call_id: str, request_hash: str, passage: str, **kw: Any) -> LoggedCall:
    base: dict[str, Any] = {
        "call_id": call_id,
        "request_hash": request_hash,
        "attempt": 1,
        "status": "ok",
        "model": "m",
        "prompt_name": "p",
        "prompt_version": "1",
        "prompt_tokens": 100,
        "completion_tokens": 10,
        "latency_ms": 5.0,
        "run_id": "run1",
        "created_at": datetime(2025, 1, 1),
        "error": None,
        "passage": passage,
    }
    return LoggedCall(**(base | kw))


def test_passage_of_takes_the_last_user_message_without_marks() -> None:
    messages = [
        {"role": "system", "content": "label numbers"},
        {"role": "user", "content": "example [1:5] dogs"},
        {"role": "assistant", "content": "{}"},
        {"role": "user", "content": "Russia sent [1:300] troops\nto [2:two] towns."},
    ]
    assert passage_of(json.dumps(messages)) == "Russia sent 300 troops to two towns."
    assert passage_of("not json") == "" and passage_of(None) == ""


def test_calls_for_claim_follow_the_sentence_and_the_request_hash() -> None:
    sentence = "Russia sent 300 troops."
    early = datetime(2025, 1, 1)
    late = early + timedelta(hours=1)
    calls = [
        logged("old", "h1", sentence, created_at=early, run_id="run0"),
        logged("new1", "h1", sentence, created_at=late, run_id="run0"),
        # A re-ask: its last message is the error, found through the shared hash.
        logged("new2", "h1", "fix the claim", created_at=late, run_id="run0", attempt=2),
        logged("other-model", "h2", sentence, model="z"),
        logged("other-text", "h3", "Kyiv said 5."),
    ]
    found = calls_for_claim(
        ["not there", sentence],
        model="m",
        prompt_name="p",
        prompt_version="1",
        run_id="run1",
        calls=calls,
    )
    assert [(c.call.call_id, c.cached) for c in found] == [("new1", True), ("new2", True)]
    mine = calls_for_claim(
        [sentence], model="m", prompt_name="p", prompt_version="1", run_id="run0", calls=calls
    )
    assert {c.cached for c in mine} == {False}
    assert (
        calls_for_claim(
            ["absent"], model="m", prompt_name="p", prompt_version="1", run_id="r", calls=calls
        )
        == ()
    )


# --- timeline ---------------------------------------------------------------------------------


def test_timeline_puts_later_reports_right_and_larger_values_higher() -> None:
    t0 = datetime(2024, 11, 1)
    drawn = chart(
        [
            Report(t0 + timedelta(days=10), 300, None, None, "b"),
            Report(t0, 100, None, None, "a"),
            Report(t0 + timedelta(days=20), 200, 150, 250, "c"),
        ]
    )
    assert drawn is not None
    xs = [d.x for d in drawn.dots]
    assert xs == sorted(xs) and xs[0] < xs[-1]
    by_title = {d.title.split(" (")[0]: d for d in drawn.dots}
    assert by_title["2024-11-11: 300"].y < by_title["2024-11-01: 100"].y
    ranged = by_title["2024-11-21: 150–250"]
    assert ranged.y_low is not None and ranged.y_high is not None
    assert ranged.y_high < ranged.y < ranged.y_low
    assert (drawn.smallest, drawn.largest) == (100, 300)
    assert chart([]) is None


def test_a_single_report_sits_in_the_middle() -> None:
    drawn = chart([Report(datetime(2024, 1, 1), 5, None, None, "x")])
    assert drawn is not None
    (dot,) = drawn.dots
    assert dot.x == drawn.width / 2 and dot.y == drawn.height / 2


# --- rendering from a store -------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("review"))


@pytest.fixture(scope="module")
def site(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(store, tmp_path_factory.mktemp("site"))


def soup_of(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def doc_page(site: Path, store: Path, needle: str) -> BeautifulSoup:
    doc_id = scalar(store, f"SELECT doc_id FROM documents WHERE text LIKE '%{needle}%'")
    return soup_of(site / page_path(doc_id))


def test_every_stored_claim_is_one_marked_element_with_the_contract(
    site: Path, store: Path
) -> None:
    marks = [
        m for page in (site / "doc").glob("*.html") for m in soup_of(page).select("[data-claim-id]")
    ]
    assert len(marks) == scalar(store, "SELECT count(*) FROM claims") == 4
    assert len({m["data-claim-id"] for m in marks}) == 4
    assert {m["data-status"] for m in marks} == {"verified", "rejected"}
    assert all(m["data-metric"] for m in marks)
    for page in (site / "doc").glob("*.html"):
        root = soup_of(page).find("html")
        assert root is not None and root["data-doc-id"] == page.stem


def test_the_rejected_claim_shows_its_figure_and_reasons(site: Path, store: Path) -> None:
    page = doc_page(site, store, "2,700")
    (rejected,) = page.select('[data-status="rejected"]')
    assert rejected.get_text().startswith(f"{HALLUCINATED:,}")
    card = page.select_one(f'[data-detail-for="{rejected["data-claim-id"]}"]')
    assert card is not None and REJECTED_REASON in card.get_text()
    assert "✗ failed numbers_in_span" in " ".join(card.get_text().split())
    # The verified one sits on the number of the text, with its calls (the whole strategy's
    # two attempts: the re-ask is found by its request hash).
    (verified,) = page.select('.text [data-status="verified"]')
    assert verified.get_text() == "300✓"
    vcard = page.select_one(f'[data-detail-for="{verified["data-claim-id"]}"]')
    assert vcard is not None
    assert len(vcard.select("table.calls tbody tr")) == 2


def test_article_text_is_escaped(site: Path, store: Path) -> None:
    page = doc_page(site, store, "[bold]")
    text = page.select_one("article.text")
    assert text is not None
    assert "<script>alert('x')</script>" in text.get_text()
    assert "[bold]Kyiv[/bold]" in text.get_text()
    assert not page.select("article script") and len(page.find_all("script")) == 1
    raw = (site / "doc").glob("*.html")
    assert all("<script>alert(" not in p.read_text(encoding="utf-8") for p in raw)


def test_off_topic_paragraph_and_unclaimed_numbers_are_marked(site: Path, store: Path) -> None:
    page = doc_page(site, store, "[bold]")
    (off,) = page.select("p.para.off-topic")
    assert "Cape Town" in off.get_text() and off.select_one('[data-kind="off-topic"]')
    assert page.select_one('[data-kind="not-a-count"]').get_text() == "2024"  # type: ignore[union-attr]
    legend = page.select_one(".legend")
    assert legend is not None and "rejected claim" in legend.get_text()


def test_index_lists_runs_documents_and_a_filterable_claims_table(site: Path) -> None:
    page = soup_of(site / "index.html")
    assert len(page.select("#runs tbody tr")) == 2
    rows = page.select("#claims-table tbody tr")
    assert sorted(r["data-status"] for r in rows) == [
        "rejected",
        "verified",
        "verified",
        "verified",
    ]
    assert page.select_one('form[data-filters="claims-table"] [data-filter="status"]')
    links = {a["href"] for a in page.select("#documents a")}
    assert all((site / str(href)).is_file() for href in links) and len(links) == 2
    # The runs built figures (one per verified claim here), each listed with its documents.
    assert len(page.select("#figures [data-figure-id]")) == 3
    assert not page.select("[data-claim-id]")


def test_a_run_limits_the_review_to_its_documents(store: Path, tmp_path: Path) -> None:
    run_id = scalar(store, "SELECT run_id FROM runs WHERE strategy = 'whole'")
    db = open_db(store, read_only=True)
    try:
        data = load_review(db, run_id)
        site = build_review(db, tmp_path, run_id)
    finally:
        db.close()
    assert [d.text for d in data.documents] == [WHOLE_ARTICLE.strip()]
    assert site.n_claims == 2 and len(site.pages) == 1


def test_render_document_without_a_known_topic_says_so(store: Path) -> None:
    db = open_db(store, read_only=True)
    try:
        (doc,) = [d for d in load_review(db).documents if "alert('x')" in d.text]
    finally:
        db.close()
    html = render_document(doc, topics=lambda name: None)
    page = BeautifulSoup(html, "html.parser")
    assert not page.select("p.off-topic") and "topic file" in page.get_text()


def test_figures_are_shown_with_links_and_a_timeline(store: Path, tmp_path: Path) -> None:
    copy = tmp_path / "figures.duckdb"
    shutil.copy(store, copy)
    db = open_db(copy)
    try:
        # One hand-made figure spanning both documents, with markup in its source.
        db.con.execute(
            """
            UPDATE figure_claims SET figure_id = 'f1' WHERE value IN (300, 120);
            DELETE FROM figure_claims WHERE figure_id <> 'f1';
            DELETE FROM figures;
            INSERT INTO figures (figure_id, metric, subject, source, value, low, high,
                qualifiers, n_claims, n_documents, n_outlets, outlets, first_seen, last_seen,
                bound_low, bound_high)
            VALUES ('f1', 'killed', 'North Korean troops', 'NIS <b>', 300, NULL, NULL,
                ['about'], 2, 2, 1, ['Yonhap'], '2024-11-01', '2024-12-01', 270, 330);
            """
        )
        build_review(db, tmp_path / "site")
    finally:
        db.close()
    page = soup_of(tmp_path / "site" / "index.html")
    (figure,) = page.select("#figures [data-figure-id]")
    assert "NIS <b>" in figure.get_text() and "about" in figure.get_text()
    assert len(figure.select("a")) == 2
    assert len(figure.select("svg circle")) == 2


def test_cli_review_writes_the_site_and_escapes_what_it_prints(store: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "site"
    result = runner.invoke(cli.app, ["review", "--db", str(store), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 document pages with 4 claims" in result.output
    assert (out / "index.html").is_file() and len(list((out / "doc").glob("*.html"))) == 2
    bad = runner.invoke(cli.app, ["review", "--db", str(store), "--run", "[bold]nope"])
    assert bad.exit_code == 2 and "no run '[bold]nope'" in bad.output
    missing = runner.invoke(cli.app, ["review", "--db", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 2 and "no database" in missing.output
