"""Server-side SVG charts: the same drawing serves the pages and the emailed digests.

Pure functions from numbers to an SVG string; every chart carries a title and a text
description so screen readers (and mail clients that block images) still get the figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from html import escape

Number = int | float | Decimal
WIDTH, HEIGHT = 720, 260
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 64, 16, 28, 40
COLOUR = "#1f5fa8"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def _label(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def line_chart(title: str, points: Sequence[tuple[date, Number]], unit: str = "") -> str:
    """A daily series as a line with dots, y axis from zero, first and last day labelled."""
    values = [float(v) for _, v in points]
    top = _nice_max(max(values, default=0.0))
    plot_w, plot_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    n = len(points)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = PAD_LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)
        return round(x, 1), round(PAD_TOP + plot_h * (1 - v / top), 1)

    coords = [xy(i, v) for i, v in enumerate(values)]
    total = sum(values)
    desc = (
        f"{title}: {n} days"
        + (f" from {points[0][0].isoformat()} to {points[-1][0].isoformat()}" if n else "")
        + f", total {_label(total)}{unit}, highest {_label(max(values, default=0.0))}{unit}."
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}"'
        f' role="img" aria-labelledby="chart-title chart-desc" font-family="sans-serif" font-size="12">',
        f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(desc)}</desc>',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    for k in range(5):
        v = top * k / 4
        _, y = xy(0, v)
        parts.append(f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y}" y2="{y}" stroke="#d0d7de"/>')
        parts.append(f'<text x="{PAD_LEFT - 8}" y="{y + 4}" text-anchor="end" fill="#333">{_label(v)}</text>')
    if n:
        parts.append(f'<text x="{PAD_LEFT}" y="{HEIGHT - 14}" fill="#333">{points[0][0].isoformat()}</text>')
        parts.append(
            f'<text x="{WIDTH - PAD_RIGHT}" y="{HEIGHT - 14}" text-anchor="end" fill="#333">'
            f"{points[-1][0].isoformat()}</text>"
        )
        path = " ".join(f"{x},{y}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{COLOUR}" stroke-width="2"/>')
        for (x, y), (day, amount) in zip(coords, points, strict=True):
            parts.append(
                f'<circle cx="{x}" cy="{y}" r="3" fill="{COLOUR}"><title>{day.isoformat()}: '
                f"{_label(float(amount))}{escape(unit)}</title></circle>"
            )
    else:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="#333">No data yet</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(title: str, bars: Sequence[tuple[str, Number]], unit: str = "") -> str:
    """Horizontal bars, one per label (share of voice, per-creator figures)."""
    values = [float(v) for _, v in bars]
    top = _nice_max(max(values, default=0.0))
    row, label_w = 26, 180
    height = PAD_TOP + row * max(len(bars), 1) + 12
    bar_w = WIDTH - label_w - 90
    desc = "; ".join(f"{name}: {_label(float(v))}{unit}" for name, v in bars) or "no data"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}"'
        f' role="img" aria-labelledby="bar-title bar-desc" font-family="sans-serif" font-size="12">',
        f'<title id="bar-title">{escape(title)}</title><desc id="bar-desc">{escape(desc)}</desc>',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    for i, (name, v) in enumerate(bars):
        y = PAD_TOP + i * row
        w = round(bar_w * float(v) / top, 1) if top else 0
        parts.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" fill="#333">{escape(name[:28])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{max(w, 0)}" height="{row - 8}" fill="{COLOUR}"/>')
        parts.append(f'<text x="{label_w + max(w, 0) + 6}" y="{y + 15}" fill="#333">{_label(float(v))}{unit}</text>')
    parts.append("</svg>")
    return "".join(parts)
