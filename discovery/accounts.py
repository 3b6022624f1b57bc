"""Reading, hiding and erasing stored accounts.

Every read takes the caller's org: an org sees the accounts its own crawls stored (unless it hid
them) and the shared public index, nothing else. ``hide`` is an org's own "delete"; ``erase``
removes an account's data for everyone and is an operator action (``sorot erase``). Both are logged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import msgspec

from discovery.models import Platform
from sql import Conn, Q, fetch_one
from sql.errors import NotFoundError


class AccountSummary(msgspec.Struct):
    id: int
    platform: Platform
    host: str
    external_id: str
    handle: str
    display_name: str | None
    bio: str | None
    has_avatar: bool | None
    followers_count: int | None
    following_count: int | None
    posts_count: int | None
    created_at: datetime | None
    is_bot: bool | None
    fetched_at: datetime


class AccountDetail(AccountSummary):
    opted_out: bool
    followers_stored: int
    following_stored: int
    posts_stored: int


class AccountPage(msgspec.Struct):
    items: list[AccountSummary]
    next_cursor: str | None


class Erasure(msgspec.Struct):
    """One line of the erasure log: who was erased or hidden, for whom, by whom, why."""

    id: int
    account_id: int
    platform: str
    host: str
    external_id: str
    handle: str
    scope: Literal["org", "everyone"]
    org_id: UUID | None
    actor: str
    reason: str
    at: datetime


async def search(
    conn: Conn, org_id: UUID, *, platform: str | None, q: str | None, hashtag: str | None, after: int, limit: int
) -> AccountPage:
    tag = hashtag.lstrip("#").lower() if hashtag else None
    rows = await conn.fetch(Q["accounts.search"], platform, q or None, tag, after, limit + 1, org_id)
    items = [AccountSummary(**dict(r)) for r in rows[:limit]]
    return AccountPage(items=items, next_cursor=str(items[-1].id) if len(rows) > limit else None)


async def get(conn: Conn, org_id: UUID, account_id: int) -> AccountDetail:
    row = await conn.fetchrow(Q["accounts.get"], account_id, org_id)
    if row is None:
        raise NotFoundError(f"account {account_id} not found")
    return AccountDetail(**dict(row))


async def _log(
    conn: Conn, account_id: int, scope: Literal["org", "everyone"], org_id: UUID | None, actor: str, reason: str
) -> Erasure:
    who = await fetch_one(conn, Q["accounts.identity"], account_id)
    identity = [who["platform"], who["host"], who["external_id"], who["handle"]]
    row = await fetch_one(conn, Q["accounts.log_erasure"], account_id, *identity, scope, org_id, actor, reason)
    return Erasure(
        id=row["id"],
        account_id=account_id,
        platform=who["platform"],
        host=who["host"],
        external_id=who["external_id"],
        handle=who["handle"],
        scope=scope,
        org_id=org_id,
        actor=actor,
        reason=reason,
        at=row["at"],
    )


async def hide(conn: Conn, org_id: UUID, account_id: int, *, actor: str, reason: str = "") -> Erasure:
    """Hide an account from one org only: what other orgs crawled and rely on is untouched."""
    if await conn.fetchval(Q["accounts.hide"], org_id, account_id) is None:
        raise NotFoundError(f"account {account_id} not found")
    return await _log(conn, account_id, "org", org_id, actor, reason)


async def erase(conn: Conn, account_id: int, *, actor: str = "operator", reason: str = "") -> Erasure:
    """Erase an account's data for everyone (a person's request); only its handle stays, flagged so
    it is never stored again. Call inside a transaction so the data and the log line go together."""
    if await conn.fetchval(Q["accounts.erase"], account_id) is None:
        raise NotFoundError(f"account {account_id} not found")
    return await _log(conn, account_id, "everyone", None, actor, reason)


async def by_handle(conn: Conn, handle: str, platform: str | None = None, host: str | None = None) -> list[int]:
    return [r["id"] for r in await conn.fetch(Q["accounts.by_handle"], handle.lstrip("@"), platform, host)]


async def erasures(conn: Conn, account_id: int | None = None, limit: int = 100) -> list[Erasure]:
    return [Erasure(**dict(r)) for r in await conn.fetch(Q["accounts.erasures"], account_id, limit)]
