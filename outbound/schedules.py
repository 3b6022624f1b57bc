"""When a digest is due and which period it covers: pure calendar arithmetic in the org's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sql.errors import ValidationError

CADENCES = ("weekly", "monthly")


def zone(name: str) -> ZoneInfo:
    if name not in available_timezones():
        raise ValidationError(f"unknown time zone {name!r}; use an IANA name such as Asia/Jakarta", field="timezone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValidationError(f"unknown time zone {name!r}", field="timezone") from e


def next_run(
    cadence: str, weekday: int, day_of_month: int, hour: int, minute: int, tz: str, after: datetime
) -> datetime:
    """The first scheduled moment strictly after ``after`` (UTC), e.g. the next Monday 08:00 in Jakarta."""
    local_zone = zone(tz)
    local = after.astimezone(local_zone)
    at = time(hour, minute)
    if cadence == "weekly":
        day = local.date() + timedelta(days=(weekday - local.weekday()) % 7)
        candidate = datetime.combine(day, at, local_zone)
        if candidate <= local:
            candidate = datetime.combine(day + timedelta(days=7), at, local_zone)
    elif cadence == "monthly":
        candidate = datetime.combine(local.date().replace(day=day_of_month), at, local_zone)
        if candidate <= local:
            year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
            candidate = datetime.combine(date(year, month, day_of_month), at, local_zone)
    else:
        raise ValidationError(f"cadence must be one of {', '.join(CADENCES)}", field="cadence")
    return candidate.astimezone(UTC)


def period(cadence: str, run_at: datetime, tz: str) -> tuple[date, date]:
    """The days a digest sent at ``run_at`` covers, [start, end) in local dates: the previous 7 days
    for a weekly digest, the previous calendar month for a monthly one."""
    local_day = run_at.astimezone(zone(tz)).date()
    if cadence == "weekly":
        return local_day - timedelta(days=7), local_day
    first = local_day.replace(day=1)
    previous_first = (first - timedelta(days=1)).replace(day=1)
    return previous_first, first
