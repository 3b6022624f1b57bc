"""Rules for what Sorot sends: schedules and their digests, share links, outbound webhook events."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import httpx
import msgspec

from campaigns import metrics, reads
from campaigns import service as campaigns
from outbound import digest, events, mailer, schedules, signing
from outbound import repository as repo
from outbound.models import (
    EVENT_TYPES,
    DeliveryPage,
    Schedule,
    ScheduleIn,
    ShareLink,
    ShareLinkIn,
    Subscription,
    SubscriptionIn,
)
from sql import Conn
from sql.errors import GoneError, NotFoundError, UpstreamError, ValidationError

log = logging.getLogger("sorot.outbound")
_EMAIL = re.compile(r"^[^@\s,<>]+@[^@\s,<>]+$")
# Retry delays after a failed delivery; after the last one the delivery is marked failed.
BACKOFF = [timedelta(seconds=s) for s in (5, 30, 120, 600, 3600, 6 * 3600, 24 * 3600)]
DIGEST_RETRY = timedelta(minutes=5)
Sender = Callable[[EmailMessage], Awaitable[None]]


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


# ---- schedules and digests ----


async def create_schedule(conn: Conn, org_id: UUID, data: ScheduleIn, now: datetime | None = None) -> Schedule:
    await reads.get_campaign(conn, org_id, data.campaign_id)  # 404 for another org's campaign
    if not 0 <= data.hour <= 23 or not 0 <= data.minute <= 59:
        raise ValidationError("hour must be 0-23 and minute 0-59", field="hour")
    if not 1 <= data.day_of_month <= 28:
        raise ValidationError("day_of_month must be 1-28 (every month has it)", field="day_of_month")
    if len(data.recipients) > 50 or any(not _EMAIL.match(r) or len(r) > 254 for r in data.recipients):
        raise ValidationError("recipients must be up to 50 email addresses", field="recipients")
    if not data.recipients and not data.webhook:
        raise ValidationError("a schedule needs recipients, webhook: true, or both", field="recipients")
    if data.currency is not None and not re.fullmatch(r"[A-Z]{3}", data.currency):
        raise ValidationError("currency must be a three-letter ISO 4217 code", field="currency")
    weekday = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday").index(data.weekday)
    next_at = schedules.next_run(
        data.cadence, weekday, data.day_of_month, data.hour, data.minute, data.timezone, now or datetime.now(UTC)
    )
    return await repo.create_schedule(conn, org_id, msgspec.structs.asdict(data), next_at)


async def list_schedules(conn: Conn, org_id: UUID) -> list[Schedule]:
    return await repo.list_schedules(conn, org_id)


async def revoke_schedule(conn: Conn, org_id: UUID, schedule_id: UUID) -> Schedule:
    return await repo.revoke_schedule(conn, org_id, schedule_id)


async def list_digests(conn: Conn, org_id: UUID, schedule_id: UUID) -> list[dict[str, Any]]:
    return await repo.list_digests(conn, org_id, schedule_id)


def _weekday(s: Schedule) -> int:
    return ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday").index(s.weekday)


async def claim_due(conn: Conn, now: datetime, limit: int = 20) -> list[tuple[Schedule, date, date]]:
    """Claim every digest whose time has come and move each schedule to its next time, in one
    transaction: a period is claimed once, however many processes or restarts look at it."""
    claimed = []
    async with conn.transaction():
        for s in await repo.due_schedules(conn, now, limit):
            start, end = schedules.period(s.cadence, s.next_run_at, s.timezone)
            if await repo.claim_digest(conn, s.id, start, end, now):
                claimed.append((s, start, end))
            nxt = schedules.next_run(s.cadence, _weekday(s), s.day_of_month, s.hour, s.minute, s.timezone, now)
            await repo.advance_schedule(conn, s.id, nxt)
        for schedule_id, start, end in await repo.unsent_digests(conn, now, limit):
            found = await repo.get_schedule(conn, schedule_id)
            if found is not None and all(c[0].id != schedule_id or c[1] != start for c in claimed):
                claimed.append((found, start, end))
    return claimed


async def send_digest(
    conn: Conn,
    s: Schedule,
    start: date,
    end: date,
    base_url: str,
    send: Sender | None,
    sender_address: str,
    now: datetime,
) -> None:
    """The report API's figures for [start, end) as an email and/or a ``campaign.report.ready`` event."""
    campaign = await reads.get_campaign(conn, s.org_id, s.campaign_id)
    report = await campaigns.campaign_report(conn, s.org_id, s.campaign_id, s.currency, None, start, end, base_url)
    body = msgspec.to_builtins(report)
    link = f"{base_url}/app/campaigns/{s.campaign_id}?from={start.isoformat()}&to={end.isoformat()}"
    try:
        if s.recipients:
            if send is None:
                raise RuntimeError("no SMTP server configured (SOROT_SMTP_HOST)")
            points = await campaigns.timeseries(conn, s.org_id, s.campaign_id, start, end)
            message = mailer.build_message(
                sender_address,
                s.recipients,
                digest.subject(campaign.name, start, end),
                digest.text(campaign.name, body, start, end, link),
                digest.html(campaign.name, body, start, end, link),
                digest.chart(points),
                (f"report-{start.isoformat()}.csv", digest.csv_bytes(metrics.COLUMNS, metrics.rows(report))),
                f"digest-{s.id}-{start.isoformat()}",
            )
            await send(message)
        if s.webhook:
            await events.emit(
                conn,
                s.org_id,
                "campaign.report.ready",
                {"schedule_id": str(s.id), "campaign_id": str(s.campaign_id), "from": start, "to": end, "report": body},
            )
        await repo.digest_sent(conn, s.id, start)
    except Exception as e:
        log.warning("digest failed", extra={"schedule": str(s.id), "error": str(e)})
        await repo.digest_failed(conn, s.id, start, f"{type(e).__name__}: {e}", now + DIGEST_RETRY)


async def run_due(
    pool: Any, now: datetime, base_url: str, send: Sender | None, sender_address: str = "sorot@localhost"
) -> int:
    """Send every digest due at ``now``; returns how many were attempted."""
    async with pool.acquire() as conn:
        claimed = await claim_due(conn, now)
        for s, start, end in claimed:
            async with conn.transaction():
                await send_digest(conn, s, start, end, base_url, send, sender_address, now)
    return len(claimed)


# ---- share links ----


async def create_share(
    conn: Conn, org_id: UUID, campaign_id: UUID, data: ShareLinkIn, by: UUID | None, base_url: str
) -> ShareLink:
    await reads.get_campaign(conn, org_id, campaign_id)
    if not 1 <= data.days <= 365:
        raise ValidationError("days must be 1-365", field="days")
    token = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(days=data.days)
    made = await repo.create_share(conn, org_id, campaign_id, _hash(token), data.include_costs, by, expires)
    return msgspec.structs.replace(made, url=f"{base_url}/share/{token}")


async def list_shares(conn: Conn, org_id: UUID, campaign_id: UUID) -> list[ShareLink]:
    await reads.get_campaign(conn, org_id, campaign_id)
    return await repo.list_shares(conn, org_id, campaign_id)


async def revoke_share(conn: Conn, org_id: UUID, share_id: UUID) -> ShareLink:
    return await repo.revoke_share(conn, org_id, share_id)


async def resolve_share(conn: Conn, token: str) -> tuple[UUID, ShareLink]:
    """The org and link behind a share token; 404 when unknown, 410 once revoked or expired."""
    found = await repo.share_by_token(conn, _hash(token))
    if found is None:
        raise NotFoundError("no such share link")
    org_id, link = found
    if link.revoked_at is not None:
        raise GoneError("this share link was revoked")
    if link.expires_at <= datetime.now(UTC):
        raise GoneError("this share link has expired")
    return org_id, link


# ---- outbound webhooks ----


def _check_url(url: str, allow_private: bool) -> str:
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as e:  # e.g. an unclosed IPv6 bracket
        raise ValidationError("url must be an http(s) URL", field="url") from e
    if parts.scheme not in ("http", "https") or not host or len(url) > 2000 or any(c.isspace() for c in url):
        raise ValidationError("url must be an http(s) URL", field="url")
    if not allow_private and (host == "localhost" or host.endswith(".local")):
        raise ValidationError("url must be a public address", field="url")
    return url


async def create_subscription(conn: Conn, org_id: UUID, data: SubscriptionIn, allow_private: bool) -> Subscription:
    if not data.events or len(set(data.events)) != len(data.events):
        raise ValidationError(f"events must be distinct values of {', '.join(EVENT_TYPES)}", field="events")
    return await repo.create_subscription(
        conn, org_id, _check_url(data.url, allow_private), signing.new_secret(), list(data.events)
    )


async def list_subscriptions(conn: Conn, org_id: UUID) -> list[Subscription]:
    return await repo.list_subscriptions(conn, org_id)


async def disable_subscription(conn: Conn, org_id: UUID, subscription_id: UUID) -> Subscription:
    return await repo.disable_subscription(conn, org_id, subscription_id)


async def list_deliveries(conn: Conn, org_id: UUID, status: str | None, cursor: str | None, limit: int) -> DeliveryPage:
    after = None
    if cursor:
        try:
            at, _, last = cursor.partition("_")
            after = (datetime.fromisoformat(at), UUID(last))
        except ValueError as e:
            raise ValidationError("cursor must be a value of next_cursor", field="cursor") from e
    items = await repo.list_deliveries(conn, org_id, status, after, limit + 1)
    more = len(items) > limit
    items = items[:limit]
    nxt = f"{items[-1].created_at.isoformat()}_{items[-1].id}" if more and items else None
    return DeliveryPage(items=items, next_cursor=nxt)


async def replay(conn: Conn, org_id: UUID, delivery_id: UUID) -> None:
    await repo.replay_delivery(conn, org_id, delivery_id)


async def deliver_due(pool: Any, client: httpx.AsyncClient, now: datetime, limit: int = 50) -> int:
    """POST every due delivery once, signed; record the answer; schedule a retry on failure."""
    async with pool.acquire() as conn, conn.transaction():
        due = await repo.due_deliveries(conn, now, limit)
        for d in due:
            body = json.dumps(
                {
                    "type": d["type"],
                    "timestamp": d["event_at"].isoformat(),
                    "data": json.loads(d["payload"])["data"],
                }
            ).encode()
            msg_id = f"msg_{d['event_id'].hex}"
            headers = signing.headers(d["secret"], msg_id, int(now.timestamp()), body)
            status, text, error = None, None, None
            try:
                response = await client.post(d["url"], content=body, headers=headers)
                status, text = response.status_code, response.text[:500]
            except (httpx.HTTPError, UpstreamError) as e:  # UpstreamError: a refused (non-public) address
                error = f"{type(e).__name__}: {e}"[:500]
            attempts = d["attempts"] + 1
            if status is not None and 200 <= status < 300:
                outcome, nxt = "delivered", now
            elif attempts > len(BACKOFF):
                outcome, nxt = "failed", now
            else:
                outcome, nxt = "pending", now + BACKOFF[attempts - 1]
            await repo.delivery_result(conn, d["id"], outcome, nxt, status, text, error)
    return len(due)
