"""The review site in a real browser: headless Chromium builds the DOM and takes a screenshot.

Skipped where Chromium is not installed, unless SPANFACT_REQUIRE_BROWSER=1 (CI sets it), in
which case a missing browser fails the run instead of passing it silently.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from pipeline.review.render import page_path
from tests.review_inputs import HALLUCINATED, REJECTED_REASON, build_site, build_store
from tests.store_helpers import stored_rows

pytestmark = pytest.mark.browser

PNG_HEADER = b"\x89PNG\r\n\x1a\n"


def chromium_path(
    which: Callable[[str], str | None] = shutil.which, fallback: Path = Path("/usr/bin/chromium")
) -> str:
    """Debian's Chromium; skips the test without it, or fails it where it is required."""
    found = which("chromium") or (str(fallback) if fallback.exists() else None)
    if found is None:
        message = "Chromium is not installed (apt-get install chromium)"
        if os.environ.get("SPANFACT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{message}, and SPANFACT_REQUIRE_BROWSER=1")
        pytest.skip(message)
    return found


def test_a_missing_browser_skips_unless_it_is_required(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def nowhere(name: str) -> str | None:
        return None

    monkeypatch.delenv("SPANFACT_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception):
        chromium_path(nowhere, tmp_path / "none")
    monkeypatch.setenv("SPANFACT_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="SPANFACT_REQUIRE_BROWSER"):
        chromium_path(nowhere, tmp_path / "none")


@pytest.fixture(scope="module")
def browser() -> str:
    return chromium_path()


def chromium(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium once, with a fresh profile and nothing that reaches the network."""
    profile.mkdir(parents=True, exist_ok=True)
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def dom(browser: str, tmp: Path, url: str) -> BeautifulSoup:
    done = chromium(browser, tmp / "profile-dom", "--dump-dom", url)
    return BeautifulSoup(done.stdout, "html.parser")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("browser-store"))


@pytest.fixture(scope="module")
def site(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(store, tmp_path_factory.mktemp("browser-site"))


def test_chromium_shows_one_highlight_per_stored_claim_and_runs_the_script(
    browser: str, site: Path, store: Path, tmp_path: Path
) -> None:
    total = 0
    for (doc_id,) in stored_rows(store, "SELECT doc_id FROM documents"):
        page = dom(browser, tmp_path, (site / page_path(str(doc_id))).as_uri())
        root = page.find("html")
        assert root is not None and root["data-doc-id"] == doc_id
        assert root.get("data-review-ready") == "1"  # set by the page's script, once set up
        marks = page.select("[data-claim-id]")
        panel = page.select_one("#panel")
        assert panel is not None and panel["data-ready"] == str(len(marks))
        assert all(m["data-status"] in ("verified", "rejected") and m["data-metric"] for m in marks)
        total += len(marks)
    assert total == stored_rows(store, "SELECT count(*) FROM claims")[0][0] == 4


def test_chromium_shows_the_rejected_claim_pinned_with_its_reasons(
    browser: str, site: Path, store: Path, tmp_path: Path
) -> None:
    ((claim_id, doc_id),) = stored_rows(
        store, "SELECT claim_id, doc_id FROM claims WHERE status = 'rejected'"
    )
    url = (site / page_path(str(doc_id))).as_uri() + f"#c-{claim_id}"
    page = dom(browser, tmp_path, url)
    (mark,) = page.select(f'[data-claim-id="{claim_id}"]')
    assert mark["data-status"] == "rejected" and f"{HALLUCINATED:,}" in mark.get_text()
    assert "active" in mark["class"]  # the script pinned the claim the link named
    shown = page.select_one(f'#panel [data-shown-for="{claim_id}"]')
    assert shown is not None and REJECTED_REASON in shown.get_text()


def test_chromium_renders_markup_in_articles_as_text(
    browser: str, site: Path, store: Path, tmp_path: Path
) -> None:
    ((doc_id,),) = stored_rows(store, "SELECT doc_id FROM documents WHERE text LIKE '%[bold]%'")
    page = dom(browser, tmp_path, (site / page_path(str(doc_id))).as_uri())
    article = page.select_one("article.text")
    assert article is not None
    assert "<script>alert('x')</script>" in article.get_text()
    assert "[bold]Kyiv[/bold]" in article.get_text()
    assert not article.find_all(["script", "bold", "b"])
    assert len(page.find_all("script")) == 1  # the page's own


def test_chromium_filters_the_claims_table_from_the_link(
    browser: str, site: Path, tmp_path: Path
) -> None:
    page = dom(browser, tmp_path, (site / "index.html").as_uri() + "#status=rejected")
    rows = page.select("#claims-table tbody tr")
    visible = [r for r in rows if not r.has_attr("hidden")]
    assert len(rows) == 4 and [r["data-status"] for r in visible] == ["rejected"]
    count = page.select_one("[data-count]")
    assert count is not None and count.get_text() == "1 of 4 shown"


def test_chromium_takes_a_screenshot_of_a_document_page(
    browser: str, site: Path, store: Path, tmp_path: Path
) -> None:
    ((doc_id,),) = stored_rows(store, "SELECT doc_id FROM claims WHERE status = 'rejected'")
    shot = tmp_path / "page.png"
    chromium(
        browser,
        tmp_path / "profile-shot",
        f"--screenshot={shot}",
        "--window-size=1280,1600",
        (site / page_path(str(doc_id))).as_uri(),
    )
    data = shot.read_bytes()
    assert data[:8] == PNG_HEADER and len(data) > 10_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 1600)
