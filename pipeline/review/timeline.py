"""A figure's timeline as SVG geometry: one dot per report, a bar for a reported range.

Pure numbers out; the template draws them, so the chart needs no script and no network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

WIDTH = 260
HEIGHT = 70
PAD_X = 10
PAD_Y = 10


@dataclass(frozen=True)
class Report:
    """One document reporting the figure, when it was published (or read)."""

    when: datetime
    value: int
    low: int | None
    high: int | None
    label: str


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    y_low: float | None  # the range's ends, when the report gives one
    y_high: float | None
    title: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    dots: tuple[Dot, ...]
    first: datetime
    last: datetime
    smallest: int
    largest: int
    baseline: float  # y of the axis line


def _scale(v: float, lo: float, hi: float, out_lo: float, out_hi: float) -> float:
    if hi == lo:
        return (out_lo + out_hi) / 2
    return out_lo + (v - lo) / (hi - lo) * (out_hi - out_lo)


def chart(reports: Sequence[Report], width: int = WIDTH, height: int = HEIGHT) -> Chart | None:
    """Dots placed by time (x) and value (y, larger is higher); None without reports."""
    if not reports:
        return None
    times = [r.when.timestamp() for r in reports]
    values = [v for r in reports for v in (r.value, r.low, r.high) if v is not None]
    t0, t1 = min(times), max(times)
    v0, v1 = min(values), max(values)
    bottom, top = height - PAD_Y, PAD_Y

    def y(v: int) -> float:
        return round(_scale(v, v0, v1, bottom, top), 1)

    dots = tuple(
        Dot(
            x=round(_scale(t, t0, t1, PAD_X, width - PAD_X), 1),
            y=y(r.value),
            y_low=y(r.low) if r.low is not None and r.high is not None else None,
            y_high=y(r.high) if r.low is not None and r.high is not None else None,
            title=f"{r.when:%Y-%m-%d}: {_shown(r)} ({r.label})",
        )
        for t, r in sorted(zip(times, reports, strict=True), key=lambda p: p[0])
    )
    return Chart(
        width=width,
        height=height,
        dots=dots,
        first=min(r.when for r in reports),
        last=max(r.when for r in reports),
        smallest=v0,
        largest=v1,
        baseline=bottom,
    )


def _shown(r: Report) -> str:
    if r.low is not None and r.high is not None:
        return f"{r.low:,}–{r.high:,}"
    return f"{r.value:,}"
