"""The campaign KPI strip: this period's figures beside the previous period of the same length."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import msgspec

# (field in the report total, label, kind) in the order the strip shows them.
STRIP = [
    ("reach", "Reach", "count"),
    ("engagements", "Engagements", "count"),
    ("clicks", "Clicks", "count"),
    ("conversions", "Conversions", "number"),
    ("net_revenue", "Net revenue", "money"),
    ("cost", "Cost", "money"),
    ("roi", "ROI", "ratio"),
]


class Kpi(msgspec.Struct):
    key: str
    label: str
    kind: str
    value: Any
    previous: Any
    change: Decimal | None  # relative change against the previous period; None when it had nothing


def previous_period(start: date, end: date) -> tuple[date, date]:
    length = max((end - start).days, 1)
    return start - timedelta(days=length), start


def strip(current: dict[str, Any], previous: dict[str, Any]) -> list[Kpi]:
    out = []
    for key, label, kind in STRIP:
        now, before = current.get(key), previous.get(key)
        change = None
        if now is not None and before is not None and Decimal(str(before)) != 0:
            base = Decimal(str(before))
            change = ((Decimal(str(now)) - base) / abs(base)).quantize(Decimal("0.001"))
        out.append(Kpi(key=key, label=label, kind=kind, value=now, previous=before, change=change))
    return out
