"""Import of post metric snapshots from CSV: one row per post per snapshot, any platform.

Columns (header row required; only ``post_url`` and ``taken_at`` are mandatory):
``post_url, creator, platform, taken_at, views, reach, impressions, likes, comments, shares, saves,
posted_at, caption, paid_label``. ``creator`` is the creator's id, handle or promo code in this campaign;
it may be blank on a row when another row of the same post names it, or the post is already tracked.
Counts are non-negative integers; blank means "not reported". Times are ISO 8601 (UTC when no offset is given).

Re-importing a file is idempotent: a snapshot is keyed by (post, source "imported", taken_at); identical
rows change nothing and a corrected value replaces the one stored. Nothing is stored when any row is bad.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from campaigns import content, refresh
from campaigns import content_repository as repo
from campaigns import repository as campaigns_repo
from campaigns.creators import platform_of
from campaigns.models import Creator
from sql import Conn
from sql.errors import AppError, ValidationError

COLUMNS = ("post_url", "creator", "platform", "taken_at", *repo.METRICS, "posted_at", "caption", "paid_label")
MAX_ROWS = 100_000
MAX_ERRORS = 20


class ImportResult(msgspec.Struct):
    rows: int
    posts_created: int
    snapshots_inserted: int
    snapshots_updated: int
    snapshots_unchanged: int


def template() -> str:
    example = [
        "https://www.instagram.com/p/C0ffee123/",
        "ayu.ngopi",
        "instagram",
        "2026-11-20T09:00:00Z",
        "15400",
        "9800",
        "17100",
        "1210",
        "86",
        "40",
        "133",
        "2026-11-19T18:30:00+07:00",
        "Pagi dengan kopi baru #iklan @brand",
        "false",
    ]
    return ",".join(COLUMNS) + "\r\n" + ",".join(f'"{v}"' for v in example) + "\r\n"


def _time(value: str, name: str) -> datetime:
    try:
        at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as e:
        raise ValidationError(f"{name} {value!r} is not an ISO 8601 time", field=name) from e
    return content.aware(at) or at


def _count(value: str, name: str) -> int | None:
    text = value.strip().replace("_", "")
    if not text:
        return None
    if not text.isdigit():
        raise ValidationError(f"{name} {value!r} is not a non-negative integer", field=name)
    return content.metric(int(text), name)


class _Creators:
    def __init__(self, creators: list[Creator]) -> None:
        self.by_id = {str(c.id): c for c in creators}
        self.by_name: dict[str, list[Creator]] = {}
        for c in creators:
            for name in {c.handle.lower().lstrip("@"), c.promo_code.lower()}:
                self.by_name.setdefault(name, []).append(c)

    def find(self, value: str, platform: str | None) -> Creator:
        key = value.strip().lower().lstrip("@")
        if key in self.by_id:
            return self.by_id[key]
        found = [c for c in self.by_name.get(key, []) if platform is None or c.platform == platform]
        if len(found) != 1:
            why = "matches no creator" if not found else "matches several creators: add the platform column"
            raise ValidationError(f"creator {value!r} {why}", field="creator")
        return found[0]


def _parse(text: str, creators: _Creators, tracked: dict[str, list[tuple[UUID, UUID]]]) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "post_url" not in header or "taken_at" not in header:
        raise ValidationError("CSV needs a header row with at least post_url and taken_at", field="body")
    unknown = set(header) - set(COLUMNS)
    if unknown:
        raise ValidationError(f"unknown column(s): {', '.join(sorted(unknown))}", field="body")
    reader.fieldnames = header
    raws = [{k: (v or "") for k, v in raw.items() if k is not None} for raw in reader]
    if len(raws) > MAX_ROWS:
        raise ValidationError(f"at most {MAX_ROWS} rows per import", field="body")
    named: dict[str, dict[str, str]] = {}  # a post's creator named on any of its rows holds for all of them
    for raw in raws:
        if raw.get("creator", "").strip():
            named.setdefault(raw.get("post_url", "").strip(), raw)
    rows: list[dict[str, Any]] = []
    errors: list[str] = []
    seen: dict[tuple[UUID, str, datetime], int] = {}
    for line, raw in enumerate(raws, start=2):
        try:
            if not raw.get("creator", "").strip() and (first := named.get(raw.get("post_url", "").strip())):
                raw = {**raw, "creator": first["creator"], "platform": raw.get("platform") or first.get("platform", "")}
            row = _row(raw, creators, tracked)
            key = (row["creator_id"], row["url"], row["taken_at"])
            if key in seen:
                raise ValidationError(f"repeats the post and taken_at of line {seen[key]}", field="taken_at")
            seen[key] = line
            rows.append(row)
        except AppError as e:
            errors.append(f"line {line}: {e.detail}")
            if len(errors) >= MAX_ERRORS:
                break
    if errors:
        raise ValidationError("; ".join(errors), field="body", errors=errors)
    if not rows:
        raise ValidationError("the CSV has no rows", field="body")
    return rows


def _row(raw: dict[str, str], creators: _Creators, tracked: dict[str, list[tuple[UUID, UUID]]]) -> dict[str, Any]:
    url = content.check_url(raw.get("post_url", ""))
    platform = platform_of(raw["platform"]) if raw.get("platform", "").strip() else None
    if raw.get("creator", "").strip():
        creator_id = creators.find(raw["creator"], platform).id
    elif len(tracked.get(url, [])) == 1:
        creator_id = tracked[url][0][1]
    else:
        raise ValidationError("creator is required for a post not tracked yet", field="creator")
    paid = raw.get("paid_label", "").strip().lower()
    if paid not in ("", "true", "false", "1", "0", "yes", "no"):
        raise ValidationError(f"paid_label {paid!r} is not true or false", field="paid_label")
    row: dict[str, Any] = {
        "creator_id": creator_id,
        "url": url,
        "platform": platform,
        "taken_at": _time(raw.get("taken_at", ""), "taken_at"),
        "posted_at": _time(raw["posted_at"], "posted_at") if raw.get("posted_at", "").strip() else None,
        "caption": raw.get("caption") or None,
        "paid_label": paid in ("true", "1", "yes"),
    }
    for name in repo.METRICS:
        row[name] = _count(raw.get(name, ""), name)
    return row


async def import_csv(conn: Conn, org_id: UUID, campaign_id: UUID, text: str) -> ImportResult:
    await campaigns_repo.get_campaign(conn, org_id, campaign_id)
    creators = _Creators(await campaigns_repo.list_creators(conn, org_id, campaign_id, True, ""))
    tracked = await repo.posts_by_url(conn, org_id, campaign_id)
    rows = _parse(text, creators, tracked)
    posts: dict[tuple[UUID, str], dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: r["taken_at"]):  # the latest row's caption and flags win
        post = posts.setdefault((r["creator_id"], r["url"]), dict(r))
        for k in ("platform", "caption", "posted_at"):
            post[k] = r[k] or post[k]
        post["paid_label"] = post["paid_label"] or r["paid_label"]
    before = sum(len(v) for v in tracked.values())
    ids = await repo.upsert_posts(conn, org_id, list(posts.values()))
    await refresh.schedule(conn, list(ids.values()))
    after = sum(len(v) for v in (await repo.posts_by_url(conn, org_id, campaign_id)).values())
    snaps = [{**r, "post_id": ids[(r["creator_id"], r["url"])]} for r in rows]
    inserted, updated = await repo.upsert_snapshots(conn, org_id, "imported", snaps)
    return ImportResult(len(rows), after - before, inserted, updated, len(rows) - inserted - updated)
