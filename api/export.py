"""CSV answers: a header row, one row per item, flat columns."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from litestar import Response

from sql.errors import ValidationError


def wants_csv(fmt: str | None) -> bool:
    if fmt in (None, "json"):
        return False
    if fmt == "csv":
        return True
    raise ValidationError("format must be json or csv", field="format")


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Response[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return Response(
        buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
