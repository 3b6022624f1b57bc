"""CSV answers: a header row, one row per item, flat columns, written by ``exports.tables.csv_text``
(which escapes cells a spreadsheet would run as formulas)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from litestar import Response

from exports.tables import FORMULA_STARTS, csv_text, safe_cell
from sql.errors import ValidationError

__all__ = ["FORMULA_STARTS", "csv_response", "csv_text", "safe_cell", "wants_csv"]


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
