"""Deliverables: what each creator owes the campaign, and its status flow with who changed it and when.

planned -> submitted -> approved | changes_requested (with a comment) ; changes_requested -> submitted ;
approved -> live (with the post's URL, which becomes tracked content) -> verified ; any open status ->
cancelled. Reaching the campaign's fee milestone (approved or live) puts the deliverable's fee share on
the payout ledger, once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

import msgspec

from campaigns import content, payouts
from campaigns import deliverables_repository as repo
from campaigns import ops_repository as ops
from campaigns import repository as campaigns_repo
from campaigns.creators import platform_of
from sql import Conn
from sql.errors import NotFoundError, ValidationError

Kind = Literal["post", "story", "video", "live", "other"]
Status = Literal["planned", "submitted", "changes_requested", "approved", "live", "verified", "cancelled"]
FLOW: dict[str, tuple[str, ...]] = {
    "planned": ("submitted", "cancelled"),
    "submitted": ("approved", "changes_requested", "cancelled"),
    "changes_requested": ("submitted", "cancelled"),
    "approved": ("live", "cancelled"),
    "live": ("verified",),
    "verified": (),
    "cancelled": (),
}
DONE = ("live", "verified", "cancelled")


class DeliverableIn(msgspec.Struct, forbid_unknown_fields=True):
    creator_id: UUID
    kind: Kind
    due_at: datetime
    platform: str | None = None
    title: str = ""
    fee_share: Decimal = Decimal(0)


class TransitionIn(msgspec.Struct, forbid_unknown_fields=True):
    to: Status
    comment: str = ""
    post_url: str | None = None
    by: str | None = None  # a person's name to record beside the API key


class Event(msgspec.Struct):
    from_status: str | None
    to_status: str
    comment: str
    actor: str
    actor_key_id: UUID | None
    at: datetime


class Deliverable(msgspec.Struct):
    id: UUID
    campaign_id: UUID
    creator_id: UUID
    handle: str
    kind: str
    platform: str
    title: str
    due_at: datetime
    fee_share: Decimal
    status: str
    post_url: str | None
    overdue: bool
    created_at: datetime
    updated_at: datetime
    history: list[Event]


def _event(r: Any) -> Event:
    return Event(r["from_status"], r["to_status"], r["comment"], r["actor"], r["actor_key_id"], r["at"])


async def _shape(conn: Conn, org_id: UUID, rows: list[Any], handles: dict[UUID, str]) -> list[Deliverable]:
    history: dict[UUID, list[Event]] = {r["id"]: [] for r in rows}
    for e in await repo.events(conn, org_id, list(history)):
        history[e["deliverable_id"]].append(_event(e))
    now = datetime.now(UTC)
    return [
        Deliverable(
            id=r["id"],
            campaign_id=r["campaign_id"],
            creator_id=r["creator_id"],
            handle=handles.get(r["creator_id"], r.get("handle") or ""),
            kind=r["kind"],
            platform=r["platform"],
            title=r["title"],
            due_at=r["due_at"],
            fee_share=r["fee_share"],
            status=r["status"],
            post_url=r["post_url"],
            overdue=r["due_at"] < now and r["status"] not in DONE,
            created_at=r["created_at"],
            updated_at=r["updated_at"],
            history=history[r["id"]],
        )
        for r in rows
    ]


def actor_of(role: str, key_id: UUID, by: str | None) -> str:
    label = f"{role} key {key_id}"
    return f"{by.strip()[:100]} ({label})" if by and by.strip() else label


async def create(
    conn: Conn, org_id: UUID, campaign_id: UUID, data: DeliverableIn, key_id: UUID, actor: str
) -> Deliverable:
    await campaigns_repo.get_campaign(conn, org_id, campaign_id)
    try:
        creator = await ops.get_creator(conn, org_id, campaign_id, data.creator_id, "")
    except NotFoundError as e:
        raise ValidationError("no such creator in this campaign", field="creator_id") from e
    if not data.fee_share.is_finite() or not 0 <= data.fee_share <= 100:
        raise ValidationError("fee_share is a percentage of the creator's fee, 0-100", field="fee_share")
    if await repo.fee_share_total(conn, creator.id) + data.fee_share > 100:
        raise ValidationError("the creator's deliverables would share more than 100% of the fee", field="fee_share")
    due = content.aware(data.due_at)
    platform = platform_of(data.platform) if data.platform else creator.platform
    row = await repo.create(
        conn, org_id, campaign_id, [creator.id, data.kind, platform, data.title[:200], due, data.fee_share]
    )
    await repo.add_event(conn, org_id, row["id"], [None, "planned", "", key_id, actor])
    return (await _shape(conn, org_id, [row], {creator.id: creator.handle}))[0]


async def get(conn: Conn, org_id: UUID, deliverable_id: UUID) -> Deliverable:
    row = await repo.get(conn, org_id, deliverable_id)
    if row is None:
        raise NotFoundError(f"deliverable {deliverable_id} not found")
    creator = await ops.get_creator(conn, org_id, row["campaign_id"], row["creator_id"], "")
    return (await _shape(conn, org_id, [row], {creator.id: creator.handle}))[0]


async def transition(
    conn: Conn, org_id: UUID, deliverable_id: UUID, data: TransitionIn, key_id: UUID, role: str
) -> Deliverable:
    row = await repo.get(conn, org_id, deliverable_id, lock=True)
    if row is None:
        raise NotFoundError(f"deliverable {deliverable_id} not found")
    current = row["status"]
    if data.to not in FLOW[current]:
        allowed = ", ".join(FLOW[current]) or "nothing (final)"
        raise ValidationError(f"a {current} deliverable can move to {allowed}, not {data.to}", field="to")
    if data.to == "changes_requested" and not data.comment.strip():
        raise ValidationError("say which changes: a comment is required", field="comment")
    post_url = content.check_url(data.post_url) if data.post_url else None
    if data.to == "live" and post_url is None and not row["post_url"]:
        raise ValidationError("give the live post's URL", field="post_url")
    actor = actor_of(role, key_id, data.by)
    updated = await repo.set_status(conn, org_id, deliverable_id, data.to, post_url)
    await repo.add_event(conn, org_id, deliverable_id, [current, data.to, data.comment.strip()[:2000], key_id, actor])
    if post_url and data.to == "live":
        track = content.TrackedPostIn(creator_id=row["creator_id"], url=post_url, platform=row["platform"])
        await content.register(conn, org_id, row["campaign_id"], track)
    await payouts.fee_on_milestone(conn, org_id, updated, data.to, actor, datetime.now(UTC))
    return await get(conn, org_id, deliverable_id)


async def for_campaign(conn: Conn, org_id: UUID, campaign_id: UUID) -> list[Deliverable]:
    await campaigns_repo.get_campaign(conn, org_id, campaign_id)
    return await _shape(conn, org_id, await repo.list_for_campaign(conn, org_id, campaign_id), {})


async def overdue(conn: Conn, org_id: UUID, campaign_id: UUID | None, limit: int = 500) -> list[Deliverable]:
    if campaign_id is not None:
        await campaigns_repo.get_campaign(conn, org_id, campaign_id)
    rows = await repo.overdue(conn, org_id, datetime.now(UTC), campaign_id, limit)
    return await _shape(conn, org_id, rows, {})
