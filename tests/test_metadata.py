"""Document metadata: record fields, HTML meta tags, --date/--outlet and wire datelines."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipeline import cli
from pipeline.ingest import InputStatus, iter_inputs
from pipeline.metadata import DocumentMeta, merged, parse_dateline, reference_date
from pipeline.store.db import open_db
from schemas.records import Document

TODAY = datetime(2025, 1, 20, 12, 0)


def documents(path: Path, fallback: DocumentMeta | None = None) -> list[Document]:
    items = list(iter_inputs([path], fallback=fallback, today=TODAY))
    assert all(i.status is InputStatus.ok for i in items), [i.message for i in items]
    return [i.document for i in items if i.document is not None]


def test_jsonl_fields(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    records = [
        {
            "text": "300 killed.",
            "date": "2025-01-13T09:30:00+09:00",
            "outlet": "Yonhap",
            "url": "https://en.yna.example/1",
            "title": "Toll rises",
        },
        {"body": "2,700 wounded.", "published": "2025-01-14", "source": "Kyiv Independent"},
        {"text": "No metadata here."},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    first, second, third = documents(path)
    assert (first.published_at, first.outlet, first.url, first.title) == (
        datetime(2025, 1, 13, 0, 30),  # stored as naive UTC
        "Yonhap",
        "https://en.yna.example/1",
        "Toll rises",
    )
    assert (second.published_at, second.outlet, second.url) == (
        datetime(2025, 1, 14),
        "Kyiv Independent",
        None,
    )
    assert (third.published_at, third.outlet, third.url) == (None, None, None)


def test_a_source_field_that_is_not_a_string_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"text": "300 killed.", "source": {"id": 3}, "outlet": " AP "}))
    (doc,) = documents(path)
    assert doc.outlet == "AP"


HTML = """<!doctype html><html><head>
<title>Toll rises | The Daily Example</title>
<meta property="article:published_time" content="2025-01-13T06:00:00Z">
<meta property="og:site_name" content="The Daily Example">
<meta property="og:url" content="https://daily.example/toll">
<meta property="og:title" content="Toll rises">
</head><body><p>The NIS said 300 were killed.</p></body></html>"""


def test_html_meta_tags(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(HTML)
    (doc,) = documents(path)
    assert (doc.published_at, doc.outlet, doc.url, doc.title) == (
        datetime(2025, 1, 13, 6, 0),
        "The Daily Example",
        "https://daily.example/toll",
        "Toll rises",  # og:title, without the <title>'s outlet suffix
    )
    assert doc.text == "The NIS said 300 were killed."


def test_html_canonical_link_and_html_in_a_json_field(tmp_path: Path) -> None:
    page = (
        '<html><head><link rel="canonical" href="https://x.example/a">'
        '<meta name="publisher" content="X News"></head><body><p>300 killed.</p></body></html>'
    )
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"content": page, "url": "https://feed.example/a"}))
    (doc,) = documents(path)
    # The record's own field outranks the page's tags; the page fills what the record lacks.
    assert (doc.url, doc.outlet) == ("https://feed.example/a", "X News")


def test_fallback_applies_to_plain_text_only_where_missing(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("The NIS said 300 were killed.\n")
    (tmp_path / "b.jsonl").write_text(
        json.dumps({"text": "2,700 wounded.", "outlet": "Yonhap", "date": "2025-01-01"}) + "\n"
    )
    given = DocumentMeta(published_at=datetime(2025, 1, 15), outlet="Given")
    a, b = documents(tmp_path, given)
    assert (a.published_at, a.outlet) == (datetime(2025, 1, 15), "Given")
    assert (b.published_at, b.outlet) == (datetime(2025, 1, 1), "Yonhap")


@pytest.mark.parametrize(
    ("text", "published", "outlet"),
    [
        ("SEOUL, Jan. 13 (Yonhap) -- North Korea's troops", datetime(2025, 1, 13), "Yonhap"),
        ("KYIV, Ukraine, January 13, 2024 (AP) — Officials", datetime(2024, 1, 13), "AP"),
        ("LONDON (Reuters) - Britain said", None, "Reuters"),
        # No year: the latest such date not after today, so December is last year's.
        ("SEOUL, Dec. 30 (Yonhap) -- The spy agency", datetime(2024, 12, 30), "Yonhap"),
        ("Headline here\nWASHINGTON, Sept. 4 -- The Pentagon", datetime(2024, 9, 4), None),
    ],
)
def test_dateline(text: str, published: datetime | None, outlet: str | None) -> None:
    assert parse_dateline(text, TODAY) == DocumentMeta(published_at=published, outlet=outlet)


@pytest.mark.parametrize(
    "text",
    [
        "North Korea fired missiles on Tuesday - South Korea said.",
        "Officials said, in January, that 300 were killed.",
        "SEOUL, Foo. 13 (Yonhap) -- not a month",
        "SEOUL, Feb. 30 -- no such day",
        "NATO - the alliance said",  # neither a date nor an outlet
    ],
)
def test_not_a_dateline(text: str) -> None:
    assert parse_dateline(text, TODAY) == DocumentMeta()


def test_dateline_fills_what_the_fallback_does_not(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("SEOUL, Jan. 13 (Yonhap) -- The NIS said 300 were killed.\n")
    (doc,) = documents(tmp_path, DocumentMeta(outlet="Wire copy"))
    assert (doc.published_at, doc.outlet) == (datetime(2025, 1, 13), "Wire copy")


def test_merged_takes_each_field_from_the_first_layer_that_has_it() -> None:
    a = DocumentMeta(outlet="A")
    b = DocumentMeta(outlet="B", url="u", published_at=TODAY)
    assert merged(a, b) == DocumentMeta(published_at=TODAY, outlet="A", url="u")


def test_metadata_is_stored_and_run_options_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "_setup_logging", lambda verbose: None)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("The NIS said 300 North Korean troops were killed.\n")
    (folder / "b.jsonl").write_text(
        json.dumps({"text": "Kyiv said 4,000 were hurt.", "url": "https://b.example"}) + "\n"
    )
    db = tmp_path / "s.duckdb"
    result = CliRunner().invoke(
        cli.app,
        [
            "run",
            str(folder),
            "--model",
            "fake",
            "--db",
            str(db),
            "-q",
            "--date",
            "2025-01-13",
            "--outlet",
            "Yonhap",
        ],
    )
    assert result.exit_code == 0, result.output
    database = open_db(db, read_only=True)
    try:
        rows = database.read("SELECT origin, published_at, outlet, url FROM documents ORDER BY 1")
    finally:
        database.close()
    assert [r[1:] for r in rows] == [
        (datetime(2025, 1, 13), "Yonhap", None),
        (datetime(2025, 1, 13), "Yonhap", "https://b.example"),
    ]
    bad = CliRunner().invoke(
        cli.app, ["run", str(folder), "--model", "fake", "--db", str(db), "--date", "Monday"]
    )
    assert bad.exit_code == 2 and "--date" in bad.stderr


def test_an_old_database_gains_outlet_and_url(tmp_path: Path) -> None:
    from pipeline.store import migrations

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    for m in migrations.MIGRATIONS[:2]:
        m.apply(con)
        con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                    [m.version, m.name])  # fmt: skip
    con.execute("INSERT INTO documents (doc_id, origin, text, n_chars) VALUES ('d', 'o', 't', 1)")
    con.close()
    db = open_db(path)
    try:
        assert db.read("SELECT doc_id, outlet, url FROM documents") == [("d", None, None)]
        assert db.read("SELECT count(*) FROM figures") == [(0,)]
    finally:
        db.close()


def test_stdin_documents_get_the_fallback_too() -> None:
    stream = io.BytesIO(b"The NIS said 300 were killed.\n")
    (item,) = iter_inputs(["-"], stdin=stream, fallback=DocumentMeta(outlet="Paste"))
    assert item.document is not None and item.document.outlet == "Paste"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jan. 13", (None, 1, 13)),
        ("on January 13, 2025", (2025, 1, 13)),
        ("13 January", (None, 1, 13)),
        ("2025-01-13", (2025, 1, 13)),
        ("as of Jan. 13", (None, 1, 13)),
        ("on Monday, Jan. 6", (None, 1, 6)),
        ("Sept. 4", (None, 9, 4)),
        # Not the day the claim was made, or not a day at all.
        ("since December 16", None),
        ("last week", None),
        ("on Friday", None),
        ("Mayday 3", None),
        ("Jan. 45", None),
        (None, None),
    ],
)
def test_reference_date(text: str | None, expected: tuple[int | None, int, int] | None) -> None:
    assert reference_date(text) == expected
