"""Who published a document and when: HTML meta tags, wire datelines, and the user's fallbacks.

Cross-document figures count outlets and order claims in time, so each document should carry its
outlet, date, URL and title. Structured fields (JSON records, `<meta>` tags) come first; for
plain text the user's `--date`/`--outlet` apply, and a wire dateline such as
"SEOUL, Jan. 13 (Yonhap) --" fills whatever is still missing. All functions here are pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bs4 import BeautifulSoup
from bs4.element import Tag

# The ingest step's date parser (ISO 8601 or RFC 2822, to naive UTC), passed in so that there is
# one way of reading dates.
DateParser = Callable[[str], datetime | None]


@dataclass(frozen=True)
class DocumentMeta:
    """Metadata found for a document; None where nothing said."""

    published_at: datetime | None = None
    outlet: str | None = None
    url: str | None = None
    title: str | None = None


# <meta property=...> / <meta name=...> keys, best first.
_META_DATE = ("article:published_time", "og:published_time", "pubdate", "date", "dc.date")
_META_OUTLET = ("og:site_name", "application-name", "publisher")
_META_URL = ("og:url",)
_META_TITLE = ("og:title", "twitter:title")


def html_meta(soup: BeautifulSoup, parse_date: DateParser) -> DocumentMeta:
    """Metadata from a page's `<meta>` tags and canonical link."""
    found: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        if not isinstance(tag, Tag):
            continue
        key = tag.get("property") or tag.get("name") or tag.get("itemprop")
        content = tag.get("content")
        if isinstance(key, str) and isinstance(content, str) and content.strip():
            found.setdefault(key.strip().lower(), " ".join(content.split()))
    url = _first(found, _META_URL)
    if url is None:
        link = soup.find("link", rel="canonical")
        href = link.get("href") if isinstance(link, Tag) else None
        url = href.strip() or None if isinstance(href, str) else None
    date_text = _first(found, _META_DATE)
    return DocumentMeta(
        published_at=parse_date(date_text) if date_text else None,
        outlet=_first(found, _META_OUTLET),
        url=url,
        title=_first(found, _META_TITLE),
    )


_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip

# "SEOUL, Jan. 13 (Yonhap) --", "KYIV, Ukraine, January 13, 2025 (AP) —", "LONDON (Reuters) -".
# The place is in capitals, as wire services write it; that keeps ordinary first sentences
# ("Officials said, in January ...") from passing for a dateline.
_DATELINE = re.compile(
    r"""^\s*(?P<place>[A-Z][A-Z.' -]{1,40}[A-Z.])(?:,\s*[A-Z][A-Za-z.' -]{1,30})?
        (?:,\s*(?P<month>[A-Z][a-z]{2,8})\.?\s+(?P<day>\d{1,2})(?:,\s*(?P<year>\d{4}))?)?
        \s*(?:\((?P<outlet>[^()\n]{2,40})\))?
        \s*(?:--|—|–|-)\s""",
    re.VERBOSE,
)
_DATELINE_LINES = 4  # a headline and a byline may come before it


def parse_dateline(text: str, today: datetime) -> DocumentMeta:
    """Date and outlet from a wire dateline in the first lines of `text`, if there is one.

    A dateline rarely gives the year: it is taken as the year of `today` (the day the article is
    read), or the year before when that would put the article more than a day in the future.
    """
    for line in text.split("\n")[:_DATELINE_LINES]:
        m = _DATELINE.match(line)
        if m is None or not (m["month"] or m["outlet"]):
            continue
        published = _dateline_date(m["month"], m["day"], m["year"], today)
        if m["month"] and published is None:
            continue  # "MONTH" was not a month: not a dateline
        outlet = " ".join(m["outlet"].split()) if m["outlet"] else None
        return DocumentMeta(published_at=published, outlet=outlet)
    return DocumentMeta()


def _dateline_date(
    month: str | None, day: str | None, year: str | None, today: datetime
) -> datetime | None:
    if not month or not day:
        return None
    number = month_number(month)
    if number is None:
        return None
    try:
        if year:
            return datetime(int(year), number, int(day))
        guess = datetime(today.year, number, int(day))
        if guess > today + timedelta(days=1):
            guess = datetime(today.year - 1, number, int(day))
        return guess
    except ValueError:  # "Feb. 30"
        return None


def month_number(name: str) -> int | None:
    """1-12 for "Jan", "Jan.", "January", "Sept"; None for anything else."""
    word = name.lower().rstrip(".")
    number = _MONTHS.get(word[:4]) or _MONTHS.get(word[:3])
    full = (
        "january", "february", "march", "april", "may", "june", "july", "august", "september",
        "october", "november", "december",
    )  # fmt: skip
    if number is None or not (full[number - 1].startswith(word) or word == "sept"):
        return None
    return number


# A claim's own date, when its time reference is one day: "Jan. 13", "on January 13, 2025",
# "13 January", "2025-01-13", "as of Jan. 13". "Since December 16" or "last week" are not when
# the claim was made, so they do not date it.
_REFERENCE_ISO = re.compile(r"^(?:on |as of )?(\d{4})-(\d{2})-(\d{2})$")
_REFERENCE_MDY = re.compile(
    r"^(?:on |as of )?(?:[a-z]+day,? )?([a-z]{3,9}\.?) (\d{1,2})(?:st|nd|rd|th)?(?:,? (\d{4}))?$"
)
_REFERENCE_DMY = re.compile(r"^(?:on |as of )?(\d{1,2}) ([a-z]{3,9}\.?)(?:,? (\d{4}))?$")


def reference_date(text: str | None) -> tuple[int | None, int, int] | None:
    """(year or None, month, day) of a time reference that names one day, else None."""
    if not text:
        return None
    cleaned = " ".join(text.lower().split()).strip(" .,")
    if m := _REFERENCE_ISO.match(cleaned):
        return int(m[1]), int(m[2]), int(m[3])
    if m := _REFERENCE_MDY.match(cleaned):
        month, day, year = month_number(m[1]), int(m[2]), m[3]
    elif m := _REFERENCE_DMY.match(cleaned):
        month, day, year = month_number(m[2]), int(m[1]), m[3]
    else:
        return None
    if month is None or not 1 <= day <= 31:
        return None
    return (int(year) if year else None), month, day


def merged(*layers: DocumentMeta) -> DocumentMeta:
    """Each field from the first layer that has it (best source first)."""
    return DocumentMeta(
        published_at=next((m.published_at for m in layers if m.published_at), None),
        outlet=next((m.outlet for m in layers if m.outlet), None),
        url=next((m.url for m in layers if m.url), None),
        title=next((m.title for m in layers if m.title), None),
    )


def _first(found: dict[str, str], keys: tuple[str, ...]) -> str | None:
    return next((found[k] for k in keys if k in found), None)
