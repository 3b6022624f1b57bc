"""Reading and erasing stored accounts."""

from __future__ import annotations

from datetime import datetime

import msgspec

from discovery.models import Platform
from sql import Conn, Q
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


async def search(
    conn: Conn, *, platform: str | None, q: str | None, hashtag: str | None, after: int, limit: int
) -> AccountPage:
    tag = hashtag.lstrip("#").lower() if hashtag else None
    rows = await conn.fetch(Q["accounts.search"], platform, q or None, tag, after, limit + 1)
    items = [AccountSummary(**dict(r)) for r in rows[:limit]]
    return AccountPage(items=items, next_cursor=str(items[-1].id) if len(rows) > limit else None)


async def get(conn: Conn, account_id: int) -> AccountDetail:
    row = await conn.fetchrow(Q["accounts.get"], account_id)
    if row is None:
        raise NotFoundError(f"account {account_id} not found")
    return AccountDetail(**dict(row))


async def erase(conn: Conn, account_id: int) -> None:
    if await conn.fetchval(Q["accounts.erase"], account_id) is None:
        raise NotFoundError(f"account {account_id} not found")
