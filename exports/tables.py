"""The one CSV writer: every CSV the service produces (ranking, shortlist, campaign report, payouts,
digest attachments, and any new export) goes through ``csv_text``.

Text cells that a spreadsheet would read as a formula are escaped (OWASP "CSV injection"): a cell
starting with ``= + - @``, a tab or a carriage return (or their full-width forms) gets a leading
apostrophe, so ``=HYPERLINK(...)`` from a crawled handle, or a promo code like ``-SUMMER``, stays text
in Excel. Numbers (int, float, Decimal, and text that is exactly a decimal number such as the report's
"-0.4222") are written as they are, so a negative amount stays a number: a spreadsheet reads it as a
number, never as a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value: object) -> object:
    """A cell as written: None is empty, text that could start a formula is escaped."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not NUMBER.match(value):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return buf.getvalue()
