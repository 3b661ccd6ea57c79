"""Ingest: every kind of input, good and bad, becomes the right InputItem."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import pytest

from pipeline.ingest import (
    DEFAULT_MAX_BYTES,
    SUPPORTED_SUFFIXES,
    InputItem,
    InputStatus,
    decode_bytes,
    document_from_text,
    html_to_text,
    iter_inputs,
    normalize_text,
)
from schemas.records import Document

ARTICLE = "Kyiv says 40 soldiers were killed.\nOfficials said about 1,500 troops were deployed.\n"


def run(
    *paths: str | Path, max_bytes: int = DEFAULT_MAX_BYTES, stdin: BinaryIO | None = None
) -> list[InputItem]:
    return list(iter_inputs(list(paths), max_bytes=max_bytes, stdin=stdin))


def only(items: list[InputItem]) -> InputItem:
    assert len(items) == 1, items
    return items[0]


def doc(item: InputItem) -> Document:
    assert item.status is InputStatus.ok, item
    assert item.document is not None
    return item.document


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------
# Plain text


def test_plain_text_file_gives_one_clean_document(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Troops killed\n\n" + ARTICLE, encoding="utf-8")

    item = only(run(path))
    d = doc(item)

    assert item.origin == str(path)
    assert item.message == ""
    assert d.origin == str(path)
    assert d.title == "Troops killed"
    assert d.text.startswith("Troops killed\n\nKyiv says 40")  # the title line is kept
    assert d.doc_id == sha(d.text)
    assert d.warnings == []
    assert d.published_at is None


def test_long_first_line_is_not_a_title(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("x" * 250 + "\nsecond line\n", encoding="utf-8")
    assert doc(only(run(path))).title is None


def test_markdown_heading_marker_is_not_part_of_title(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("# Front line report\n\n" + ARTICLE, encoding="utf-8")
    d = doc(only(run(path)))
    assert d.title == "Front line report"
    assert d.text.startswith("# Front line report")


def test_curly_quotes_and_dashes_are_kept(tmp_path: Path) -> None:
    text = "Ukraine’s army said “about 3,000” troops — maybe more — arrived."
    path = tmp_path / "a.txt"
    path.write_text(text, encoding="utf-8")
    assert doc(only(run(path))).text == text


def test_bom_is_stripped(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"\xef\xbb\xbf" + ARTICLE.encode())
    d = doc(only(run(path)))
    assert d.text == ARTICLE.strip()
    assert d.warnings == []


def test_explicit_file_with_unsupported_suffix_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "article.log"
    path.write_text(ARTICLE, encoding="utf-8")
    assert doc(only(run(path))).text == ARTICLE.strip()


def test_text_file_holding_an_html_page_is_converted(tmp_path: Path) -> None:
    path = tmp_path / "saved.txt"
    path.write_text("  <!DOCTYPE html><html><body><p>40 killed</p></body></html>", "utf-8")
    assert doc(only(run(path))).text == "40 killed"


# ---------------------------------------------------------------------------------------------
# Missing, empty, binary, too large, unreadable


def test_missing_path_is_unreadable(tmp_path: Path) -> None:
    item = only(run(tmp_path / "nope.txt"))
    assert item.status is InputStatus.unreadable
    assert item.message == "no such file or directory"
    assert item.document is None
    assert item.origin == str(tmp_path / "nope.txt")


def test_broken_symlink_says_so(tmp_path: Path) -> None:
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "gone.txt")
    item = only(run(link))
    assert item.status is InputStatus.unreadable
    assert "no such file or directory" in item.message
    assert "symbolic link" in item.message


def test_zero_byte_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"")
    item = only(run(path))
    assert item.status is InputStatus.empty
    assert "0 bytes" in item.message


def test_whitespace_only_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"\xef\xbb\xbf \n\t\r\n  \n")
    item = only(run(path))
    assert item.status is InputStatus.empty
    assert "whitespace" in item.message


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        (b"GIF89a\x01\x00", "GIF"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG"),
        (b"PK\x03\x04\x14\x00\x06\x00", "ZIP"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "gzip"),
    ],
)
def test_known_binary_formats_are_named(tmp_path: Path, data: bytes, kind: str) -> None:
    path = tmp_path / "article.txt"  # the suffix lies; the bytes decide
    path.write_bytes(data)
    item = only(run(path))
    assert item.status is InputStatus.binary
    assert kind in item.message
    assert item.document is None


def test_pdf_message_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4\n")
    assert "pdftotext" in only(run(path)).message


def test_nul_bytes_in_first_8k_mean_binary(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"looks like text\x00\x01\x02 but is not")
    item = only(run(path))
    assert item.status is InputStatus.binary
    assert "NUL" in item.message


def test_nul_byte_after_first_8k_is_not_sniffed(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"a" * 9000 + b"\x00tail")
    assert only(run(path)).status is InputStatus.ok


def test_utf16_text_is_binary_with_conversion_hint(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(ARTICLE.encode("utf-16"))
    item = only(run(path))
    assert item.status is InputStatus.binary
    assert "UTF-16" in item.message
    assert "iconv" in item.message


def test_large_file_is_too_large_and_never_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as f:
        f.truncate(5_000_000)  # sparse: 5 MB on stat, nothing written

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a too-large file must not be read")

    monkeypatch.setattr(Path, "open", refuse)
    monkeypatch.setattr(Path, "read_bytes", refuse)
    item = only(run(path))

    assert item.status is InputStatus.too_large
    assert "5.0 MB" in item.message
    assert "2.0 MB" in item.message  # the default limit
    assert "--max-bytes" in item.message
    assert "5000000" in item.message  # a value that would work


def test_file_is_closed_before_documents_are_yielded(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text('{"text": "a"}\n{"text": "b"}\n', encoding="utf-8")
    items = iter_inputs([path])
    next(items)
    fd_dir = Path("/proc/self/fd")
    if not fd_dir.exists():
        pytest.skip("needs /proc to list open files")
    open_files = {os.path.realpath(fd_dir / fd) for fd in os.listdir(fd_dir)}
    assert str(path.resolve()) not in open_files


def test_max_bytes_is_honoured(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("x" * 101, encoding="utf-8")
    assert only(run(path, max_bytes=100)).status is InputStatus.too_large
    assert only(run(path, max_bytes=101)).status is InputStatus.ok
    assert DEFAULT_MAX_BYTES == 2_000_000


def test_non_positive_max_bytes_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        iter_inputs(["x"], max_bytes=0)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files regardless of permissions")
def test_unreadable_file_reports_os_error(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    path.chmod(0)
    try:
        item = only(run(path))
    finally:
        path.chmod(0o644)
    assert item.status is InputStatus.unreadable
    assert "Permission denied" in item.message


def test_os_error_on_open_is_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Works as root too, where chmod cannot make a file unreadable.
    path = tmp_path / "a.txt"
    path.write_text(ARTICLE, encoding="utf-8")

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", denied)
    item = only(run(path))
    assert item.status is InputStatus.unreadable
    assert "Permission denied" in item.message
    assert "permissions" in item.message


def test_path_with_nul_character_is_unreadable_not_a_crash() -> None:
    assert only(run("bad\x00name.txt")).status is InputStatus.unreadable


def test_fifo_is_read_like_stdin(tmp_path: Path) -> None:
    # Process substitution <(cmd) hands us a pipe whose stat size is 0.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_bytes, args=(ARTICLE.encode(),), daemon=True)
    writer.start()
    d = doc(only(run(fifo)))
    writer.join(timeout=5)
    assert d.text == ARTICLE.strip()


# ---------------------------------------------------------------------------------------------
# Encoding


def test_invalid_utf8_is_replaced_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Café in Kyiv: 40 killed.".encode("latin-1"))

    item = only(run(path))
    d = doc(item)

    assert d.text == "Caf\ufffd in Kyiv: 40 killed."
    assert d.doc_id == sha(d.text)
    assert len(d.warnings) == 1
    assert "invalid UTF-8" in d.warnings[0]
    assert "1 byte " in d.warnings[0]
    assert item.message == d.warnings[0]


def test_decode_bytes_counts_bytes_not_replacement_chars() -> None:
    # A truncated 3-byte sequence (2 bytes) becomes one U+FFFD; a stray 0xff another.
    text, warnings = decode_bytes(b"a\xe2\x82b\xffc")
    assert text == "a\ufffdb\ufffdc"
    assert "3 bytes" in warnings[0]


def test_decode_bytes_clean_utf8_has_no_warning() -> None:
    assert decode_bytes("\ufeffÜber 5 000".encode()) == ("Über 5 000", [])


# ---------------------------------------------------------------------------------------------
# HTML


PAGE = """<!DOCTYPE html>
<html><head><title>Missile  launch
 report</title><style>p { color: red }</style>
<script>var secret = "SCRIPT-CONTENT";</script></head>
<body>
<noscript>NOSCRIPT-CONTENT</noscript>
<h1>North Korea fires missiles</h1>
<p>South Korea said    40 soldiers
were killed.</p><p>About 1,500 troops<br>were deployed.</p>
<!-- COMMENT-CONTENT -->
<svg><text>SVG-CONTENT</text></svg><template>TEMPLATE-CONTENT</template>
<table><tr><td>Killed</td><td>40</td></tr></table>
<script>track("SCRIPT-TWO")</script>
</body></html>"""


def test_html_file_keeps_visible_text_only(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(PAGE, encoding="utf-8")
    d = doc(only(run(path)))

    assert d.title == "Missile launch report"
    for hidden in ("SCRIPT", "NOSCRIPT", "COMMENT", "SVG", "TEMPLATE", "color: red", "Missile"):
        assert hidden not in d.text
    assert d.text == (
        "North Korea fires missiles\n\n"
        "South Korea said 40 soldiers were killed.\n\n"
        "About 1,500 troops\nwere deployed.\n\n"
        "Killed 40"
    )
    assert d.doc_id == sha(d.text)


def test_svg_icon_title_is_not_the_page_title() -> None:
    _, title = html_to_text("<svg><title>Share</title></svg><h1>Real headline</h1><p>x</p>")
    assert title == "Real headline"


def test_html_title_falls_back_to_first_h1() -> None:
    text, title = html_to_text("<div><h1>First <b>head</b></h1><h1>Second</h1><p>Body</p></div>")
    assert title == "First head"
    assert text == "First head\n\nSecond\n\nBody"


def test_html_keeps_no_break_spaces_and_decodes_entities() -> None:
    text, title = html_to_text("<p>5&nbsp;000 troops &amp; 40&#8201;tanks</p>")
    assert text == "5\u00a0000 troops & 40\u2009tanks"
    assert title is None


def test_html_without_visible_text_is_no_text(tmp_path: Path) -> None:
    path = tmp_path / "app.htm"
    path.write_text(
        "<html><head><title>App</title></head><body><script>x()</script></body>", "utf-8"
    )
    item = only(run(path))
    assert item.status is InputStatus.no_text
    assert "JavaScript" in item.message


def test_deeply_nested_html_does_not_hit_recursion_limit() -> None:
    depth = sys.getrecursionlimit() + 500
    text, _ = html_to_text("<span>" * depth + "deep" + "</span>" * depth)
    assert text == "deep"


# ---------------------------------------------------------------------------------------------
# JSON and JSON Lines


def test_jsonl_with_one_bad_line_keeps_the_others(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    lines = [
        json.dumps({"id": "a", "url": "https://x/a", "title": "A", "text": "40 killed."}),
        "",
        "{not json",
        json.dumps({"headline": "B", "body": "1,500 deployed.", "date": "2024-11-05"}),
        "   ",
        json.dumps({"maintext": "7 captured.", "published_at": "2024-11-05T14:30:00+02:00"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    items = run(path)

    assert [i.origin for i in items] == [f"{path}#L1", f"{path}#L3", f"{path}#L4", f"{path}#L6"]
    assert [i.status for i in items] == [
        InputStatus.ok,
        InputStatus.bad_json,
        InputStatus.ok,
        InputStatus.ok,
    ]
    bad = items[1]
    assert "line 3" in bad.message
    assert "column" in bad.message
    assert bad.document is None

    a, b, c = doc(items[0]), doc(items[2]), doc(items[3])
    assert (a.title, a.text, a.origin) == ("A", "40 killed.", f"{path}#L1")
    # The url is kept as metadata (issue 12), never as text.
    assert a.url == "https://x/a" and "https://x/a" not in a.text
    assert (b.title, b.text) == ("B", "1,500 deployed.")
    assert b.published_at == datetime(2024, 11, 5)
    assert c.published_at == datetime(2024, 11, 5, 12, 30)  # naive UTC
    assert all(d.doc_id == sha(d.text) for d in (a, b, c))


def test_json_array_gives_one_item_per_element(tmp_path: Path) -> None:
    path = tmp_path / "batch.json"
    records = [
        {"title": "One", "content": "40 killed."},
        {"text": "1,500 deployed."},
        {"summary": "no body here", "url": "https://x"},
        "just a string",
    ]
    path.write_text(json.dumps(records), encoding="utf-8")

    items = run(path)

    assert [i.origin for i in items] == [f"{path}#{i}" for i in range(4)]
    assert [i.status for i in items] == [
        InputStatus.ok,
        InputStatus.ok,
        InputStatus.no_text,
        InputStatus.bad_json,
    ]
    assert doc(items[0]).title == "One"
    assert doc(items[1]).text == "1,500 deployed."
    missing = items[2].message
    for field in ("text", "body", "content", "article", "maintext"):
        assert f'"{field}"' in missing
    assert "summary" in missing  # tells the user which keys the object does have
    assert "a string" in items[3].message


def test_json_single_object(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"article": "40 killed.", "headline": "H"}), encoding="utf-8")
    item = only(run(path))
    assert item.origin == str(path)
    assert doc(item).title == "H"


def test_json_text_as_list_of_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"text": ["40 killed.", "1,500 deployed."]}), encoding="utf-8")
    assert doc(only(run(path))).text == "40 killed.\n\n1,500 deployed."


def test_text_fields_are_tried_in_order(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"maintext": "M", "body": "B", "text": ""}), encoding="utf-8")
    assert doc(only(run(path))).text == "B"


def test_empty_text_field_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"text": "   ", "title": "T"}), encoding="utf-8")
    item = only(run(path))
    assert item.status is InputStatus.empty
    assert '"text"' in item.message


def test_non_string_text_field_is_no_text(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"text": 42}), encoding="utf-8")
    item = only(run(path))
    assert item.status is InputStatus.no_text
    assert "a number" in item.message


def test_invalid_json_file_is_bad_json_with_position(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"text": "40 killed",\n "title": }', encoding="utf-8")
    item = only(run(path))
    assert item.status is InputStatus.bad_json
    assert "line 2" in item.message
    assert "column" in item.message


def test_json_scalar_is_bad_json(tmp_path: Path) -> None:
    path = tmp_path / "n.json"
    path.write_text("42", encoding="utf-8")
    item = only(run(path))
    assert item.status is InputStatus.bad_json
    assert "object" in item.message


def test_empty_json_array_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "n.json"
    path.write_text("[]", encoding="utf-8")
    assert only(run(path)).status is InputStatus.empty


def test_jsonl_saved_as_json_is_read_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "feed.json"
    path.write_text('{"text": "a"}\n{"text": "b"}\n', encoding="utf-8")
    items = run(path)
    assert [i.origin for i in items] == [f"{path}#L1", f"{path}#L2"]
    assert [doc(i).text for i in items] == ["a", "b"]


def test_json_text_holding_html_is_converted(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    html = "<p>40 soldiers were <b>killed</b>.</p><script>x()</script><p>More.</p>"
    path.write_text(json.dumps({"text": html}) + "\n", encoding="utf-8")
    assert doc(only(run(path))).text == "40 soldiers were killed.\n\nMore."


def test_json_text_with_angle_brackets_in_prose_is_not_html(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text(json.dumps({"text": "losses <5% while x > 3"}) + "\n", encoding="utf-8")
    assert doc(only(run(path))).text == "losses <5% while x > 3"


def test_bad_date_adds_warning_but_keeps_document(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text(json.dumps({"text": "40 killed.", "date": "last Tuesday"}) + "\n", "utf-8")
    item = only(run(path))
    d = doc(item)
    assert d.published_at is None
    assert len(d.warnings) == 1
    assert "last Tuesday" in d.warnings[0]
    assert "date" in item.message


def test_rss_style_date_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    record = {"text": "x", "published": "Tue, 05 Nov 2024 14:30:00 +0000"}
    path.write_text(json.dumps(record) + "\n", "utf-8")
    assert doc(only(run(path))).published_at == datetime(2024, 11, 5, 14, 30)


def test_lone_surrogate_in_json_is_replaced_with_warning(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text('{"text": "bad \\ud83d here"}\n', encoding="utf-8")
    d = doc(only(run(path)))
    assert d.text == "bad \ufffd here"
    assert "surrogate" in d.warnings[0]


def test_jsonl_line_separator_inside_string_does_not_split(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text(json.dumps({"text": "a\u2028b"}, ensure_ascii=False) + "\n", "utf-8")
    assert doc(only(run(path))).text == "a\u2028b"


def test_jsonl_non_object_line_is_bad_json(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text('[1, 2]\n{"text": "ok"}\n', encoding="utf-8")
    items = run(path)
    assert [i.status for i in items] == [InputStatus.bad_json, InputStatus.ok]
    assert "an array" in items[0].message


# ---------------------------------------------------------------------------------------------
# Folders


def test_folder_recursion_is_sorted_skips_hidden_and_unsupported(tmp_path: Path) -> None:
    root = tmp_path / "news"
    for rel in (
        "b.txt",
        "a/z.md",
        "a/sub/y.html",
        "a.txt",
        "c.JSONL",
        ".hidden.txt",
        ".cache/x.txt",
        "notes.pdf",
        "readme",
    ):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel.lower().endswith(".jsonl"):
            path.write_text('{"text": "from jsonl"}\n', encoding="utf-8")
        elif rel.endswith(".html"):
            path.write_text("<p>from html</p>", encoding="utf-8")
        else:
            path.write_text(f"text of {rel}", encoding="utf-8")

    items = run(root)

    assert [i.origin for i in items] == [
        str(root / "a/sub/y.html"),
        str(root / "a/z.md"),
        str(root / "a.txt"),
        str(root / "b.txt"),
        f"{root / 'c.JSONL'}#L1",
    ]
    assert all(i.status is InputStatus.ok for i in items)


def test_explicit_hidden_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / ".draft.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    assert only(run(path)).status is InputStatus.ok


def test_empty_folder_is_reported(tmp_path: Path) -> None:
    item = only(run(tmp_path))
    assert item.status is InputStatus.empty
    assert item.origin == str(tmp_path)


def test_folder_with_only_unsupported_files_is_reported(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "b.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "c.docx").write_bytes(b"PK\x03\x04")
    item = only(run(tmp_path))
    assert item.status is InputStatus.unsupported
    assert "2 .pdf" in item.message
    assert "1 .docx" in item.message


def test_folder_problems_are_items_and_other_files_still_read(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"")
    (tmp_path / "b.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "c.txt").symlink_to(tmp_path / "missing.txt")
    items = run(tmp_path)
    assert [(Path(i.origin).name, i.status) for i in items] == [
        ("a.txt", InputStatus.empty),
        ("b.txt", InputStatus.ok),
        ("c.txt", InputStatus.unreadable),
    ]


def test_symlink_loop_in_folder_terminates(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "loop").symlink_to(tmp_path)
    items = run(tmp_path)
    assert [Path(i.origin).name for i in items] == ["a.txt"]


def test_paths_are_processed_in_given_order(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("A", encoding="utf-8")
    (tmp_path / "b.txt").write_text("B", encoding="utf-8")
    items = run(tmp_path / "b.txt", tmp_path / "missing.txt", str(tmp_path / "a.txt"))
    assert [i.status for i in items] == [InputStatus.ok, InputStatus.unreadable, InputStatus.ok]
    assert [i.document.text if i.document else None for i in items] == ["B", None, "A"]


# ---------------------------------------------------------------------------------------------
# Stdin


def test_stdin_plain_text() -> None:
    item = only(run("-", stdin=io.BytesIO(ARTICLE.encode())))
    assert item.origin == "-"
    d = doc(item)
    assert d.origin == "-"
    assert d.text == ARTICLE.strip()
    assert d.title == "Kyiv says 40 soldiers were killed."


def test_stdin_jsonl() -> None:
    data = b'{"text": "a"}\nnot json\n{"text": "b"}\n'
    items = run("-", stdin=io.BytesIO(data))
    assert [(i.origin, i.status) for i in items] == [
        ("-#L1", InputStatus.ok),
        ("-#L2", InputStatus.bad_json),
        ("-#L3", InputStatus.ok),
    ]


def test_stdin_pretty_printed_json_object() -> None:
    data = json.dumps({"text": "40 killed.", "title": "T"}, indent=2).encode()
    item = only(run("-", stdin=io.BytesIO(data)))
    assert item.origin == "-"
    assert doc(item).title == "T"


def test_stdin_prose_starting_with_brace_is_plain_text() -> None:
    item = only(run("-", stdin=io.BytesIO(b"{Reuters} Kyiv says 40 killed.\nMore text.\n")))
    assert doc(item).text == "{Reuters} Kyiv says 40 killed.\nMore text."


def test_stdin_html_page() -> None:
    item = only(run("-", stdin=io.BytesIO(b"<!doctype html><title>T</title><p>40 killed</p>")))
    d = doc(item)
    assert (d.title, d.text) == ("T", "40 killed")


def test_stdin_empty_and_binary() -> None:
    assert only(run("-", stdin=io.BytesIO(b""))).status is InputStatus.empty
    assert only(run("-", stdin=io.BytesIO(b"%PDF-1.5"))).status is InputStatus.binary


def test_stdin_over_limit_is_too_large() -> None:
    item = only(run("-", stdin=io.BytesIO(b"x" * 50), max_bytes=10))
    assert item.status is InputStatus.too_large
    assert "--max-bytes" in item.message


def test_stdin_defaults_to_sys_stdin_buffer(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = io.TextIOWrapper(io.BytesIO(b"from the real stdin"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", fake)
    assert doc(only(run("-"))).text == "from the real stdin"


# ---------------------------------------------------------------------------------------------
# Helpers


def test_normalize_text() -> None:
    raw = "  \r\nTitle  \r\n\r\n\r\n\r\nBody \t\nold\rmac\n\n\n"
    assert normalize_text(raw) == "Title\n\nBody\nold\nmac"
    assert normalize_text(normalize_text(raw)) == normalize_text(raw)


def test_document_from_text_normalizes_and_hashes() -> None:
    when = datetime(2024, 11, 5, tzinfo=UTC)
    d = document_from_text(" body \r\n", "x.txt", "  A   title ", ["w"], when)
    assert d.text == "body"
    assert d.doc_id == sha("body")
    assert (d.origin, d.title, d.warnings, d.published_at) == ("x.txt", "A title", ["w"], when)


def test_input_item_requires_document_iff_ok() -> None:
    with pytest.raises(ValueError):
        InputItem("x", InputStatus.ok, "", None)
    with pytest.raises(ValueError):
        InputItem("x", InputStatus.empty, "", document_from_text("a", "x"))


def test_supported_suffixes_contract() -> None:
    assert SUPPORTED_SUFFIXES == (".txt", ".md", ".html", ".htm", ".json", ".jsonl")
    assert {s.value for s in InputStatus} == {
        "ok",
        "empty",
        "binary",
        "too_large",
        "bad_json",
        "unreadable",
        "unsupported",
        "no_text",
    }
