"""CSV answers: a header row, one row per item, flat columns.

Every CSV the service writes goes through ``csv_text`` (ranking, shortlist, campaign report, and any
new export): text cells that a spreadsheet would read as a formula are escaped (OWASP "CSV
injection"): a cell starting with ``= + - @``, a tab or a carriage return (or their full-width
forms) gets a leading apostrophe, so ``=HYPERLINK(...)`` from a crawled handle stays text in Excel.
Numbers (int, float, Decimal) are written as they are, so a negative amount stays a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from litestar import Response

from sql.errors import ValidationError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value: object) -> object:
    """A cell as written: None is empty, text that could start a formula is escaped."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return buf.getvalue()


def wants_csv(fmt: str | None) -> bool:
    if fmt in (None, "json"):
        return False
    if fmt == "csv":
        return True
    raise ValidationError("format must be json or csv", field="format")


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Response[str]:
    return Response(
        csv_text(header, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
