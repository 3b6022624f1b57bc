"""Tracked content: posts on any platform registered by URL, detected in crawled data or imported, with
time-stamped metric snapshots; their compliance with the brief; the reach and engagement they give reports.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec

from campaigns import audience, briefs, refresh
from campaigns import content_repository as repo
from campaigns import ops_repository as ops
from campaigns import repository as campaigns_repo
from campaigns.creators import platform_of
from campaigns.disclosure import DEFAULT_MARKERS, Finding, check, clean_marker
from campaigns.models import Campaign, Creator
from sql import Conn
from sql.errors import NotFoundError, ValidationError

MAX_COUNT = 10**15


class TrackedPostIn(msgspec.Struct, forbid_unknown_fields=True):
    creator_id: UUID
    url: str
    platform: str | None = None
    caption: str | None = None
    posted_at: datetime | None = None
    paid_label: bool = False


class SnapshotIn(msgspec.Struct, forbid_unknown_fields=True):
    taken_at: datetime | None = None
    source: str = "reported"
    views: int | None = None
    reach: int | None = None
    impressions: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None


class Snapshot(msgspec.Struct):
    taken_at: datetime
    source: str
    views: int | None
    reach: int | None
    impressions: int | None
    likes: int | None
    comments: int | None
    shares: int | None
    saves: int | None
    slot: str | None = None


class TrackedPost(msgspec.Struct):
    id: UUID
    creator_id: UUID
    handle: str
    platform: str
    url: str
    origin: str
    crawled_post_id: int | None
    caption: str | None
    posted_at: datetime | None
    paid_label: bool
    snapshots: int
    latest: Snapshot | None
    findings: list[Finding]
    compliant: bool


def aware(at: datetime | None) -> datetime | None:
    return at if at is None or at.tzinfo else at.replace(tzinfo=UTC)


def check_url(url: str) -> str:
    from campaigns.service import validate_url

    try:
        return validate_url(url.strip())
    except ValidationError as e:
        raise ValidationError("url must be an absolute http(s) URL", field="url") from e


def metric(value: int | None, name: str) -> int | None:
    if value is not None and not 0 <= value < MAX_COUNT:
        raise ValidationError(f"{name} must be a non-negative count", field=name)
    return value


async def _creator(conn: Conn, org_id: UUID, campaign_id: UUID, creator_id: UUID) -> Creator:
    try:
        return await ops.get_creator(conn, org_id, campaign_id, creator_id, "")
    except NotFoundError as e:
        raise ValidationError("no such creator in this campaign", field="creator_id") from e


async def register(conn: Conn, org_id: UUID, campaign_id: UUID, data: TrackedPostIn) -> TrackedPost:
    await campaigns_repo.get_campaign(conn, org_id, campaign_id)
    creator = await _creator(conn, org_id, campaign_id, data.creator_id)
    fields = {
        "platform": platform_of(data.platform) if data.platform else creator.platform,
        "caption": data.caption,
        "posted_at": aware(data.posted_at),
        "paid_label": data.paid_label,
    }
    post_id = await repo.upsert_post(conn, org_id, creator.id, check_url(data.url), fields)
    await refresh.schedule(conn, [post_id])
    return await get_post(conn, org_id, campaign_id, post_id)


async def add_snapshot(conn: Conn, org_id: UUID, campaign_id: UUID, post_id: UUID, data: SnapshotIn) -> TrackedPost:
    if data.source not in ("reported", "imported"):
        raise ValidationError(
            "source must be reported or imported (crawled snapshots come from refreshes)", field="source"
        )
    await get_post(conn, org_id, campaign_id, post_id)
    snap: dict[str, Any] = {"post_id": post_id, "taken_at": aware(data.taken_at) or datetime.now(UTC)}
    for name in repo.METRICS:
        snap[name] = metric(getattr(data, name), name)
    await repo.upsert_snapshots(conn, org_id, data.source, [snap])
    return await get_post(conn, org_id, campaign_id, post_id)


async def markers(conn: Conn, org_id: UUID) -> list[str]:
    return await repo.markers(conn, org_id) or list(DEFAULT_MARKERS)


async def set_markers(conn: Conn, org_id: UUID, values: list[str]) -> list[str]:
    cleaned = sorted({clean_marker(v) for v in values if v.strip()})
    if not cleaned:
        raise ValidationError("give at least one marker", field="markers")
    if any(not 2 <= len(m) <= 100 or m == "#" for m in cleaned):
        raise ValidationError("each marker is 2-100 characters", field="markers")
    await repo.set_markers(conn, org_id, cleaned)
    return cleaned


def _snapshot(row: Any) -> Snapshot | None:
    if row["taken_at"] is None:
        return None
    return Snapshot(row["taken_at"], row["source"], *(row[m] for m in repo.METRICS))


async def list_posts(conn: Conn, org_id: UUID, campaign_id: UUID) -> list[TrackedPost]:
    campaign = await campaigns_repo.get_campaign(conn, org_id, campaign_id)
    brief = await briefs.rules(conn, org_id, campaign_id)
    org_markers = await markers(conn, org_id)
    out = []
    for r in await repo.list_posts(conn, org_id, campaign_id):
        findings = check(
            r["caption"] or "",
            brief,
            org_markers,
            paid_label=r["paid_label"],
            posted_at=r["posted_at"],
            starts_at=campaign.starts_at,
            ends_at=campaign.ends_at,
        )
        out.append(
            TrackedPost(
                id=r["id"],
                creator_id=r["creator_id"],
                handle=r["handle"],
                platform=r["platform"],
                url=r["url"],
                origin=r["origin"],
                crawled_post_id=r["post_id"],
                caption=r["caption"],
                posted_at=r["posted_at"],
                paid_label=r["paid_label"],
                snapshots=int(r["snapshots"]),
                latest=_snapshot(r),
                findings=findings,
                compliant=not findings,
            )
        )
    return out


async def get_post(conn: Conn, org_id: UUID, campaign_id: UUID, post_id: UUID) -> TrackedPost:
    for p in await list_posts(conn, org_id, campaign_id):
        if p.id == post_id:
            return p
    raise NotFoundError(f"post {post_id} not found in this campaign")


async def snapshots(conn: Conn, org_id: UUID, campaign_id: UUID, post_id: UUID) -> list[Snapshot]:
    await get_post(conn, org_id, campaign_id, post_id)
    rows = await repo.snapshots_of(conn, org_id, campaign_id, post_id)
    return [Snapshot(**{k: r[k] for k in ("taken_at", "source", "slot", *repo.METRICS)}) for r in rows]


async def detect(conn: Conn, org_id: UUID, campaign_id: UUID) -> list[TrackedPost]:
    """Track crawled posts of linked creators that carry the campaign's tags, mentions or links, in its dates."""
    await campaigns_repo.get_campaign(conn, org_id, campaign_id)
    new = await repo.detect_posts(conn, org_id, campaign_id)
    await refresh.schedule(conn, new)
    return await list_posts(conn, org_id, campaign_id)


async def report_audience(
    conn: Conn, org_id: UUID, campaign: Campaign, creators: list[Creator], inputs: dict[str, Any]
) -> dict[UUID, audience.Audience]:
    """Reach and engagements of every creator with their method; updates the report's inputs in place."""
    posts = await repo.list_posts(conn, org_id, campaign.id)
    rates = await ops.reach_rates(conn, campaign.id)
    per = audience.audiences(creators, inputs["reach"], posts, rates)
    measured_total = inputs["reach"].get(None, 0)
    inputs["reach"] = {c: a.reach for c, a in per.items()}
    inputs["reach"][None] = audience.total_reach({None: measured_total}, per)
    inputs["engagements"] = {c: a.engagements for c, a in per.items()}
    return per
