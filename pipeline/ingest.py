"""Step 1 of the pipeline: turn files, folders and stdin into `Document`s.

Every input yields `InputItem`s: one per document it holds, or one per problem found. A daily run
over a folder must never stop on one broken file, so bad input becomes an item with a status and a
message the user can act on; only programming errors raise.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import logging
import re
import stat
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO, Literal

from bs4 import BeautifulSoup
from bs4.element import CData, PageElement, PreformattedString, Tag

from pipeline.metadata import DocumentMeta, html_meta, merged, parse_dateline
from schemas.records import Document

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 2_000_000
SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".json", ".jsonl")

# Field names used by common news dumps (news-please, CC-News, newspaper3k, hand-made files).
_TEXT_FIELDS = ("text", "body", "content", "article", "maintext")
_TITLE_FIELDS = ("title", "headline")
_DATE_FIELDS = ("published_at", "date", "published", "date_publish")
_OUTLET_FIELDS = ("outlet", "source", "site_name", "publisher")
_URL_FIELDS = ("url", "link", "canonical_url")

_SNIFF_BYTES = 8192
_MAX_TITLE_CHARS = 200

# (magic, what it is, what the user can do about it)
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF", "PDF", "extract its text first (for example with pdftotext) and pass the .txt"),
    (b"\x89PNG\r\n\x1a\n", "PNG image", "images are not read; pass the article's text"),
    (b"GIF87a", "GIF image", "images are not read; pass the article's text"),
    (b"GIF89a", "GIF image", "images are not read; pass the article's text"),
    (b"\xff\xd8\xff", "JPEG image", "images are not read; pass the article's text"),
    (b"PK\x03\x04", "ZIP archive (or .docx/.xlsx/.epub)", "unpack it or export its text first"),
    (b"PK\x05\x06", "ZIP archive (or .docx/.xlsx/.epub)", "unpack it or export its text first"),
    (b"\x1f\x8b", "gzip archive", "decompress it first (gunzip)"),
)

_Kind = Literal["text", "html", "json", "jsonl", "stdin"]


class InputStatus(StrEnum):
    ok = "ok"
    empty = "empty"
    binary = "binary"
    too_large = "too_large"
    bad_json = "bad_json"
    unreadable = "unreadable"
    unsupported = "unsupported"
    no_text = "no_text"


@dataclass(frozen=True)
class InputItem:
    """One document read from an input, or one reason an input gave no document."""

    origin: str  # path; "path#L<n>" for a JSONL line; "path#<i>" for a JSON array element; "-"
    status: InputStatus
    message: str  # what happened and what to do; "" when ok and clean
    document: Document | None  # set iff status == ok

    def __post_init__(self) -> None:
        if (self.document is not None) != (self.status is InputStatus.ok):
            raise ValueError(f"InputItem {self.origin}: document must be set iff status is ok")


# --------------------------------------------------------------------------------------------
# Public helpers


def normalize_text(text: str) -> str:
    """Canonical text that claim offsets refer to.

    Only line endings and blank space change; quotes, dashes and other characters are kept as they
    are because quotes are later matched verbatim against this text.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def document_from_text(
    text: str,
    origin: str,
    title: str | None = None,
    warnings: Sequence[str] = (),
    published_at: datetime | None = None,
    meta: DocumentMeta | None = None,
) -> Document:
    """Build a `Document` from raw text; the text is normalized so `doc_id` always matches it."""
    meta = meta or DocumentMeta()
    clean = normalize_text(text)
    # surrogatepass: a stray surrogate must not turn hashing into a crash.
    doc_id = hashlib.sha256(clean.encode("utf-8", errors="surrogatepass")).hexdigest()
    return Document(
        doc_id=doc_id,
        origin=origin,
        title=_clean_title(title),
        text=clean,
        warnings=list(warnings),
        published_at=published_at or meta.published_at,
        outlet=_clean_title(meta.outlet),
        url=meta.url.strip() or None if meta.url else None,
    )


def decode_bytes(data: bytes) -> tuple[str, list[str]]:
    """Decode UTF-8 (BOM stripped); invalid bytes become U+FFFD and are reported in a warning."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    # "replace" may fold several bad bytes into one U+FFFD; surrogateescape maps each bad byte to
    # exactly one lone surrogate, so counting those gives the number of bytes lost.
    escaped = data.decode("utf-8", errors="surrogateescape")
    n_bad = len(re.findall("[\udc80-\udcff]", escaped))
    text = data.decode("utf-8", errors="replace")
    warning = (
        f"invalid UTF-8: {_plural(n_bad, 'byte')} replaced with U+FFFD (\ufffd); if the file is in "
        "another encoding such as Windows-1252, convert it to UTF-8 (for example with iconv)"
    )
    return text, [warning]


# Elements whose content is never article text. <title> is read separately as the title.
_DROP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head", "title"})
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "div",
        "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
        "h5", "h6", "header", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section",
        "summary", "table", "tr", "ul",
    }
)  # fmt: skip
_CELL_TAGS = frozenset({"td", "th"})
# HTML whitespace is ASCII only; a no-break space is content (e.g. "5\u00a0000") and is kept.
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_BLOCK_BREAK = "\n\n"


def html_to_text(html: str) -> tuple[str, str | None]:
    """Visible text of an HTML page (paragraphs separated by blank lines) and its title."""
    text, title, _ = _parse_html(html)
    return text, title


def _parse_html(html: str) -> tuple[str, str | None, DocumentMeta]:
    """Visible text, title and `<meta>` metadata of a page, from one parse."""
    soup = BeautifulSoup(html, "html.parser")
    meta = html_meta(soup, _parse_date)
    # og:title is the headline without the " | Outlet" suffix most <title>s carry.
    title = meta.title or _first_tag_text(soup, "title") or _first_tag_text(soup, "h1")
    pieces = _visible_pieces(soup)
    lines = (re.sub(r" {2,}", " ", line).strip() for line in "".join(pieces).split("\n"))
    return normalize_text("\n".join(lines)), title or None, meta


# --------------------------------------------------------------------------------------------
# Entry point


def iter_inputs(
    paths: Sequence[str | Path],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    stdin: BinaryIO | None = None,
    fallback: DocumentMeta | None = None,
    today: datetime | None = None,
) -> Iterator[InputItem]:
    """Yield one item per document or problem, in the order the paths were given.

    Metadata a document does not carry itself comes from `fallback` (the user's `--date` and
    `--outlet`), then from a wire dateline in its text (dated relative to `today`).
    """
    if max_bytes < 1:
        raise ValueError(f"max_bytes must be positive, got {max_bytes}")
    now = today or datetime.now(UTC).replace(tzinfo=None)
    given = fallback or DocumentMeta()
    return (_with_fallback(item, given, now) for item in _iter_inputs(paths, max_bytes, stdin))


def _with_fallback(item: InputItem, fallback: DocumentMeta, today: datetime) -> InputItem:
    doc = item.document
    if doc is None or (doc.published_at and doc.outlet):
        return item
    own = DocumentMeta(published_at=doc.published_at, outlet=doc.outlet)
    best = merged(own, fallback, parse_dateline(doc.text, today))
    update = {"published_at": best.published_at, "outlet": best.outlet}
    return InputItem(item.origin, item.status, item.message, doc.model_copy(update=update))


def _iter_inputs(
    paths: Sequence[str | Path], max_bytes: int, stdin: BinaryIO | None
) -> Iterator[InputItem]:
    for raw in paths:
        if str(raw) == "-":
            # Looked up late so that tests and callers that swap sys.stdin are honoured.
            stream = stdin if stdin is not None else sys.stdin.buffer
            yield from _read_stream(stream, "-", "stdin", max_bytes)
        else:
            yield from _iter_path(Path(raw), max_bytes)


def _iter_path(path: Path, max_bytes: int) -> Iterator[InputItem]:
    origin = str(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        suffix = " (broken symbolic link)" if path.is_symlink() else ""
        yield _problem(origin, InputStatus.unreadable, "no such file or directory" + suffix)
        return
    except (OSError, ValueError) as exc:  # ValueError: a NUL character in the path
        yield _problem(origin, InputStatus.unreadable, _os_message(exc))
        return

    if stat.S_ISDIR(st.st_mode):
        yield from _walk(path, max_bytes)
    elif stat.S_ISREG(st.st_mode):
        # Named explicitly, so any suffix is read: the user asked for this file.
        yield from _read_file(path, st.st_size, max_bytes)
    elif stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode):
        # Pipes such as <(cmd) or /dev/stdin report size 0: no stat check, the read is bounded.
        yield from _read_path(path, max_bytes)
    else:
        yield _problem(
            origin, InputStatus.unsupported, "not a regular file (socket or block device)"
        )


def _walk(root: Path, max_bytes: int) -> Iterator[InputItem]:
    """Depth-first over supported files, sorted by name, skipping hidden files and folders."""
    seen_dirs: set[tuple[int, int]] = set()
    skipped: Counter[str] = Counter()
    n_items = 0
    stack = [root]  # an explicit stack: deep trees must not hit the recursion limit
    while stack:
        path = stack.pop()
        supported = path.suffix.lower() in SUPPORTED_SUFFIXES
        try:
            st = path.stat()
        except (OSError, ValueError) as exc:
            if supported:  # e.g. a broken link to an article: worth telling the user
                n_items += 1
                yield _problem(str(path), InputStatus.unreadable, _os_message(exc))
            continue
        if stat.S_ISDIR(st.st_mode):
            # Symlinked folders are followed once; a link back to a parent would loop forever.
            if (st.st_dev, st.st_ino) in seen_dirs:
                continue
            seen_dirs.add((st.st_dev, st.st_ino))
            try:
                children = [c for c in path.iterdir() if not c.name.startswith(".")]
            except OSError as exc:
                n_items += 1
                yield _problem(str(path), InputStatus.unreadable, _os_message(exc))
                continue
            stack.extend(sorted(children, key=lambda c: c.name, reverse=True))
        elif supported and stat.S_ISREG(st.st_mode):
            for item in _read_file(path, st.st_size, max_bytes):
                n_items += 1
                yield item
        else:
            skipped[path.suffix.lower() or "no suffix"] += 1

    if skipped:
        log.info("%s: skipped files with unsupported suffixes: %s", root, _count_list(skipped))
    if n_items == 0:
        yield _empty_folder_item(root, skipped)


def _empty_folder_item(root: Path, skipped: Counter[str]) -> InputItem:
    wanted = ", ".join(SUPPORTED_SUFFIXES)
    if not skipped:
        return _problem(str(root), InputStatus.empty, f"folder has no {wanted} files")
    return _problem(
        str(root),
        InputStatus.unsupported,
        f"folder has no {wanted} files (found {_count_list(skipped)}); convert them to text, "
        "or name a file explicitly to read it as plain text",
    )


# --------------------------------------------------------------------------------------------
# Reading bytes


def _read_file(path: Path, size: int, max_bytes: int) -> Iterator[InputItem]:
    origin = str(path)
    if size > max_bytes:  # decided from stat alone: a huge file is never read
        yield _too_large(origin, size, max_bytes)
        return
    yield from _read_path(path, max_bytes)


def _read_path(path: Path, max_bytes: int) -> Iterator[InputItem]:
    origin = str(path)
    try:
        # Read, then close before yielding: the caller may spend minutes on each document.
        with path.open("rb") as stream:
            data = stream.read(max_bytes + 1)
    except OSError as exc:
        yield _problem(origin, InputStatus.unreadable, _os_message(exc))
        return
    yield from _items_from_read(data, origin, _kind_for(path), max_bytes)


def _read_stream(stream: BinaryIO, origin: str, kind: _Kind, max_bytes: int) -> Iterator[InputItem]:
    try:
        data = stream.read(max_bytes + 1)
    except OSError as exc:
        yield _problem(origin, InputStatus.unreadable, _os_message(exc))
        return
    yield from _items_from_read(data, origin, kind, max_bytes)


def _items_from_read(data: bytes, origin: str, kind: _Kind, max_bytes: int) -> Iterator[InputItem]:
    # Reads ask for max_bytes + 1: one byte over is enough to know it is too large (stdin and
    # pipes have no size, and a file may grow after it was stat-ed).
    if len(data) > max_bytes:
        yield _too_large(origin, None, max_bytes)
        return
    log.debug("read %s (%d bytes)", origin, len(data))
    yield from _items_from_bytes(data, origin, kind)


def _items_from_bytes(data: bytes, origin: str, kind: _Kind) -> Iterator[InputItem]:
    if not data:
        yield _problem(origin, InputStatus.empty, "empty (0 bytes); nothing to read")
        return
    binary = _sniff_binary(data)
    if binary is not None:
        yield _problem(origin, InputStatus.binary, binary)
        return
    text, warnings = decode_bytes(data)
    if not text.strip():
        yield _problem(origin, InputStatus.empty, "only whitespace; nothing to read")
        return

    if kind == "json":
        yield from _json_items(text, origin, warnings)
    elif kind == "jsonl":
        yield from _jsonl_items(text, origin, warnings)
    elif kind == "stdin" and text.lstrip().startswith("{"):
        yield from _stdin_json_items(text, origin, warnings)
    elif kind == "html" or _looks_like_html_page(text):
        yield _html_item(text, origin, warnings)
    else:
        yield _plain_item(text, origin, warnings)


def _sniff_binary(data: bytes) -> str | None:
    """Why `data` is not text, or None if it looks like text."""
    for magic, name, hint in _MAGIC:
        if data.startswith(magic):
            return f"binary file: looks like a {name}; {hint}"
    head = data[:_SNIFF_BYTES]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return (
            "binary file: looks like UTF-16 text (byte-order mark found); spanfact reads UTF-8, "
            "so convert it first (for example: iconv -f UTF-16 -t UTF-8)"
        )
    if b"\x00" in head:
        return (
            "binary file: contains NUL bytes, so it is not text; "
            f"pass {', '.join(SUPPORTED_SUFFIXES)} files"
        )
    return None


# --------------------------------------------------------------------------------------------
# Plain text and HTML


def _plain_item(text: str, origin: str, warnings: list[str]) -> InputItem:
    clean = normalize_text(text)
    # The first line usually is the headline; it stays in the text so offsets stay true.
    return _ok(document_from_text(clean, origin, _first_line_title(clean), warnings))


def _first_line_title(text: str) -> str | None:
    for line in text.split("\n"):
        line = re.sub(r"^#{1,6}\s+", "", line.strip())  # a Markdown heading's marker is not title
        if line:
            return line if len(line) < _MAX_TITLE_CHARS else None
    return None


def _html_item(html: str, origin: str, warnings: list[str]) -> InputItem:
    text, title, meta = _parse_html(html)
    if not text:
        return _problem(
            origin,
            InputStatus.no_text,
            "HTML has no visible text once scripts, styles and markup are removed; if the page "
            "is built by JavaScript, save the rendered page or its text instead",
        )
    return _ok(document_from_text(text, origin, title, warnings, meta=meta))


# A page's own scaffolding, or elements never found in prose: one is enough to call it HTML.
_PAGE_TAG = re.compile(r"<(?:!doctype\s+html|html|head|body|script|style|meta|link)\b", re.I)
# Block tags: a few could be inline markup in Markdown; this many means a scraped page.
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|li|ul|ol|table|tr|td|h[1-6]|article|section|span)\b[^<>]*>", re.I
)
_MIN_BLOCK_TAGS = 6


def _looks_like_html_page(text: str) -> bool:
    """HTML by content: a scraped page saved as .txt or .md must not keep its <script> numbers."""
    head = text[:_SNIFF_BYTES]
    if _PAGE_TAG.search(head):
        return True
    return len(_BLOCK_TAG.findall(head)) >= _MIN_BLOCK_TAGS


# A JSON text field holding markup: a real tag, not prose such as "a <b or "x > 3".
_HTML_TAG = re.compile(
    r"<(?:/?(?:p|div|br|span|a|b|i|em|strong|h[1-6]|ul|ol|li|table|tr|td|article|section|"
    r"body|html|head|script|style|figure|img|blockquote)\b[^<>]*|!doctype html[^<>]*)>",
    re.IGNORECASE,
)


def _looks_like_html(text: str) -> bool:
    return bool(_HTML_TAG.search(text))


def _visible_pieces(soup: BeautifulSoup) -> list[str]:
    """Text pieces in document order, with paragraph breaks around block elements."""
    pieces: list[str] = []
    # Iterative walk: real pages nest deeply enough to exhaust Python's recursion limit.
    # None on the stack marks the end of a block element.
    stack: list[PageElement | None] = [soup]
    while stack:
        node = stack.pop()
        if node is None:
            pieces.append(_BLOCK_BREAK)
        elif isinstance(node, Tag):
            name = node.name.lower()
            if name in _DROP_TAGS:
                continue
            if name == "br":
                pieces.append("\n")
                continue
            if name in _BLOCK_TAGS:
                pieces.append(_BLOCK_BREAK)
                stack.append(None)
            elif name in _CELL_TAGS:
                pieces.append(" ")  # keep "Killed" and "40" in adjacent cells apart
            stack.extend(reversed(list(node.children)))
        elif isinstance(node, str):
            # Comments, doctypes and processing instructions are strings but not content.
            if isinstance(node, PreformattedString) and not isinstance(node, CData):
                continue
            pieces.append(_HTML_SPACE.sub(" ", str(node)))
    return pieces


def _first_tag_text(soup: BeautifulSoup, name: str) -> str | None:
    for tag in soup.find_all(name):
        # Inline SVG icons carry their own <title> ("Share on Facebook"), never the page's.
        if isinstance(tag, Tag) and tag.find_parent("svg") is None:
            return " ".join(tag.get_text(" ").split()) or None
    return None


# --------------------------------------------------------------------------------------------
# JSON and JSON Lines


def _json_items(text: str, origin: str, warnings: list[str]) -> Iterator[InputItem]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        # JSON Lines saved as .json is common; the first line parsing alone gives it away.
        if exc.msg == "Extra data" and _first_line_is_json(text):
            log.info("%s holds one JSON value per line; reading it as JSON Lines", origin)
            yield from _jsonl_items(text, origin, warnings)
            return
        yield _problem(
            origin,
            InputStatus.bad_json,
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
        )
        return
    except RecursionError:
        yield _problem(origin, InputStatus.bad_json, "not valid JSON: nested too deeply")
        return
    yield from _json_value_items(value, origin, warnings)


def _json_value_items(value: Any, origin: str, warnings: list[str]) -> Iterator[InputItem]:
    if isinstance(value, list):
        if not value:
            yield _problem(origin, InputStatus.empty, "JSON array is empty; nothing to read")
        for index, element in enumerate(value):  # 0-based, as in jq '.[i]'
            yield _record_item(element, f"{origin}#{index}", warnings)
    elif isinstance(value, dict):
        yield _record_item(value, origin, warnings)
    else:
        yield _problem(
            origin,
            InputStatus.bad_json,
            f"expected a JSON object or an array of objects, got {_json_type(value)}",
        )


def _jsonl_items(text: str, origin: str, warnings: list[str]) -> Iterator[InputItem]:
    # Split on "\n" only: str.splitlines() also splits on U+2028 and friends, which JSON allows
    # unescaped inside strings.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        line_origin = f"{origin}#L{number}"
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield _problem(
                line_origin,
                InputStatus.bad_json,
                f"line {number} is not valid JSON: {exc.msg} at column {exc.colno}; "
                "the other lines are still read",
            )
        except RecursionError:
            yield _problem(
                line_origin, InputStatus.bad_json, f"line {number}: JSON nested too deeply"
            )
        else:
            yield _record_item(value, line_origin, warnings)


def _stdin_json_items(text: str, origin: str, warnings: list[str]) -> Iterator[InputItem]:
    """Stdin starting with "{": JSON Lines, or one pretty-printed object spread over lines."""
    if not _first_line_is_json(text):
        try:
            value = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            pass
        else:
            yield from _json_value_items(value, origin, warnings)
            return
        if not any(_is_json(line) for line in text.split("\n")):
            # Prose that merely starts with "{": one bad_json item per line would be noise.
            yield _plain_item(text, origin, warnings)
            return
    # Some lines parse: JSON Lines, where the broken lines are reported by number.
    yield from _jsonl_items(text, origin, warnings)


def _first_line_is_json(text: str) -> bool:
    return _is_json(next((line for line in text.split("\n") if line.strip()), ""))


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
    except (json.JSONDecodeError, RecursionError):
        return False
    return True


def _record_item(record: Any, origin: str, warnings: list[str]) -> InputItem:
    if not isinstance(record, dict):
        return _problem(
            origin,
            InputStatus.bad_json,
            f"expected a JSON object with a text field, got {_json_type(record)}",
        )
    found = _record_text(record)
    if found is None:
        return _missing_text_item(record, origin)
    field, text = found
    doc_warnings = list(warnings)
    title = _first_string(record, _TITLE_FIELDS)
    meta = DocumentMeta(
        outlet=_first_string(record, _OUTLET_FIELDS), url=_first_string(record, _URL_FIELDS)
    )

    if _looks_like_html(text):
        text, html_title, page_meta = _parse_html(text)
        if not text:
            return _problem(
                origin, InputStatus.no_text, f'field "{field}" holds HTML with no visible text'
            )
        title = title or html_title
        meta = merged(meta, page_meta)

    text, n_text = _replace_surrogates(text)
    title, n_title = _replace_surrogates(title) if title else (title, 0)
    if n_text + n_title:
        doc_warnings.append(
            f"{_plural(n_text + n_title, 'unpaired surrogate escape')} in the JSON "
            "replaced with U+FFFD"
        )
    published_at, date_warnings = _record_date(record)
    doc_warnings.extend(date_warnings)
    return _ok(document_from_text(text, origin, title, doc_warnings, published_at, meta))


def _record_text(record: dict[str, Any]) -> tuple[str, str] | None:
    """(field, text) of the first text field that holds text."""
    for field in _TEXT_FIELDS:
        value = record.get(field)
        # Some dumps store the body as a list of paragraphs.
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            value = "\n\n".join(value)
        if isinstance(value, str) and value.strip():
            return field, value
    return None


def _missing_text_item(record: dict[str, Any], origin: str) -> InputItem:
    present = [f for f in _TEXT_FIELDS if f in record]
    if present and all(isinstance(record[f], str) for f in present):
        # The field is there but blank: the record exists, it just has nothing to read.
        return _problem(origin, InputStatus.empty, f'text field "{present[0]}" is empty')
    wanted = ", ".join(f'"{f}"' for f in _TEXT_FIELDS)
    if present:
        field = present[0]
        detail = f'field "{field}" holds {_json_type(record[field])}, expected a string'
    else:
        keys = ", ".join(str(k) for k in list(record)[:12]) or "none"
        detail = f"the object's keys are: {keys}"
    return _problem(origin, InputStatus.no_text, f"no text field (looked for {wanted}); {detail}")


def _first_string(record: dict[str, Any], fields: Sequence[str]) -> str | None:
    for field in fields:
        value = record.get(field)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _record_date(record: dict[str, Any]) -> tuple[datetime | None, list[str]]:
    """The first parseable date field; a warning if dates were given but none could be read."""
    failures: list[str] = []
    for field in _DATE_FIELDS:
        value = record.get(field)
        if value is None or value == "":
            continue
        parsed = _parse_date(value) if isinstance(value, str) else None
        if parsed is not None:
            return parsed, []
        failures.append(
            f'could not read date field "{field}" ({_clip(repr(value), 60)}); expected ISO 8601 '
            "such as 2024-11-05T14:30:00+00:00; published_at left empty"
        )
    return None, failures[:1]


def _parse_date(value: str) -> datetime | None:
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)  # RSS feeds use RFC 2822 dates
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if parsed.tzinfo is None:
        return parsed
    # Naive UTC: the store's column is a plain TIMESTAMP (an aware value would be shifted by the
    # session's time zone), and naive and aware datetimes cannot even be compared.
    try:
        return parsed.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        return None


def _replace_surrogates(text: str) -> tuple[str, int]:
    # json.loads turns a lone "\ud83d" escape into a lone surrogate, which cannot be encoded
    # as UTF-8 and would fail later, far from its cause.
    return re.subn("[\ud800-\udfff]", "\ufffd", text)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "null"


# --------------------------------------------------------------------------------------------
# Small helpers


def _kind_for(path: Path) -> _Kind:
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        return "html"
    if suffix == ".json":
        return "json"
    if suffix == ".jsonl":
        return "jsonl"
    return "text"


def _ok(document: Document) -> InputItem:
    return InputItem(document.origin, InputStatus.ok, "; ".join(document.warnings), document)


def _problem(origin: str, status: InputStatus, message: str) -> InputItem:
    log.debug("%s: %s: %s", origin, status, message)
    return InputItem(origin, status, message, None)


def _too_large(origin: str, size: int | None, max_bytes: int) -> InputItem:
    limit = f"{max_bytes / 1e6:.1f} MB ({max_bytes:,} bytes)"
    if size is None:  # a stream: only the first max_bytes + 1 bytes were read
        message = f"more than the {limit} limit; skipped; raise the limit with --max-bytes"
    else:
        message = (
            f"{size / 1e6:.1f} MB ({size:,} bytes), over the {limit} limit; skipped without "
            f"reading it; to read it, raise the limit with --max-bytes {size}"
        )
    return _problem(origin, InputStatus.too_large, message)


def _os_message(exc: OSError | ValueError) -> str:
    reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
    hint = "; check its permissions" if isinstance(exc, PermissionError) else ""
    return f"cannot read: {reason}{hint}"


def _clean_title(title: str | None) -> str | None:
    if title is None:
        return None
    return " ".join(title.split()) or None


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _count_list(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {suffix}" for suffix, n in counts.most_common())


__all__ = [
    "DEFAULT_MAX_BYTES",
    "SUPPORTED_SUFFIXES",
    "InputItem",
    "InputStatus",
    "decode_bytes",
    "document_from_text",
    "html_to_text",
    "iter_inputs",
    "normalize_text",
]
