"""A report digest: the report API's figures for one period as email text, HTML, chart and CSV."""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

from charts.svg import line_chart
from exports.tables import csv_text

SHOWN = [
    ("clicks", "Clicks"),
    ("unique_clicks", "Unique clicks"),
    ("conversions", "Conversions"),
    ("net_revenue", "Net revenue"),
    ("cost", "Cost"),
    ("roi", "ROI"),
    ("reach", "Reach"),
    ("engagements", "Engagements"),
]


def _fmt(value: Any) -> str:
    return "n/a" if value is None else str(value)


def subject(campaign_name: str, start: date, end: date) -> str:
    return f"Sorot digest: {campaign_name}, {start.isoformat()} to {end.isoformat()}"


def text(campaign_name: str, report: dict[str, Any], start: date, end: date, link: str) -> str:
    total = report["total"]
    lines = [f"{campaign_name}: {start.isoformat()} to {end.isoformat()} (exclusive), in {report['currency']}", ""]
    lines += [f"{label}: {_fmt(total.get(key))}" for key, label in SHOWN]
    if not report["complete"]:
        lines += ["", "Incomplete: " + "; ".join(map(str, report["fx_errors"]))]
    lines += ["", f"Full report: {link}"]
    return "\n".join(lines)


def html(campaign_name: str, report: dict[str, Any], start: date, end: date, link: str) -> str:
    total = report["total"]
    rows = "".join(
        f"<tr><th scope='row' align='left'>{label}</th><td align='right'>{escape(_fmt(total.get(key)))}</td></tr>"
        for key, label in SHOWN
    )
    warning = (
        ""
        if report["complete"]
        else f"<p><strong>Incomplete:</strong> {escape('; '.join(map(str, report['fx_errors'])))}</p>"
    )
    return (
        f"<html><body style='font-family:sans-serif'><h1>{escape(campaign_name)}</h1>"
        f"<p>{start.isoformat()} to {end.isoformat()} (exclusive), figures in {escape(report['currency'])}.</p>"
        f"{warning}<table>{rows}</table>"
        f"<p><img src='cid:chart' alt='Clicks per day' width='720'></p>"
        f"<p><a href='{escape(link)}'>Open the full report</a></p></body></html>"
    )


def chart(points: list[dict[str, Any]]) -> str:
    return line_chart("Clicks per day", [(p["day"], p["clicks"]) for p in points])


def csv_bytes(columns: list[str], rows: list[list[object]]) -> bytes:
    return csv_text(columns, rows).encode()  # the one writer: formula cells escaped
