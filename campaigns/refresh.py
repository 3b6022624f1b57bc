"""Scheduled refresh of tracked posts on crawlable platforms: fresh counts at fixed times after detection.

Each (post, slot) is one keyed job, and each job writes at most one snapshot for its slot (a unique index
backs this up), so a worker killed mid-run neither loses nor duplicates a snapshot.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit
from uuid import UUID

import httpx

from campaigns import content_repository as repo
from discovery.netguard import check_host
from jobs import repository as jobs
from jobs.runner import Context
from sql import Conn
from sql.errors import UpstreamError

KIND = "refresh_post"
DETECT_KIND = "detect_posts"
DETECT_EVERY = timedelta(minutes=15)  # how often running campaigns look for new crawled posts
# Slots after a post is first tracked (the issue's +1 h, +24 h, +7 d).
SCHEDULE: tuple[tuple[str, timedelta], ...] = (
    ("+1h", timedelta(hours=1)),
    ("+24h", timedelta(hours=24)),
    ("+7d", timedelta(days=7)),
)


async def schedule(conn: Conn, post_ids: list[UUID]) -> int:
    """Queue the refreshes of the crawlable ones among ``post_ids``; returns how many jobs are new."""
    new = 0
    for row in await repo.refreshable(conn, post_ids):
        if row["platform"] not in ("mastodon", "bluesky"):
            continue
        for slot, offset in SCHEDULE:
            args = {"post_id": str(row["id"]), "slot": slot}
            new += await jobs.enqueue(conn, KIND, f"{KIND}:{row['id']}:{slot}", args, row["created_at"] + offset)
    return new


BLUESKY_APPVIEW = "https://public.api.bsky.app"  # post URLs are on bsky.app, which serves no XRPC


def _base(row: Any) -> str:
    if row["base_url"]:
        return str(row["base_url"]).rstrip("/")
    if row["platform"] == "bluesky":
        return BLUESKY_APPVIEW
    parts = urlsplit(row["url"])
    return f"{parts.scheme}://{parts.netloc}"


async def fetch_counts(
    client: httpx.AsyncClient, platform: str, base: str, external_id: str, token: str | None
) -> tuple[int, int, int]:
    """(likes, comments, shares) of one post, asked of its server."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if platform == "mastodon":
        url = f"{base}/api/v1/statuses/{quote(external_id, safe='')}"
    else:
        url = f"{base}/xrpc/app.bsky.feed.getPosts?uris={quote(external_id, safe='')}"
    try:
        response = await client.get(url, headers=headers)
    except httpx.HTTPError as e:
        raise UpstreamError(f"cannot reach {base}: {e}") from e
    if response.status_code != 200:
        raise UpstreamError(f"{url} answered {response.status_code}")
    body = response.json()
    if platform == "mastodon":
        return int(body["favourites_count"]), int(body["replies_count"]), int(body["reblogs_count"])
    post = body["posts"][0]
    shares = int(post.get("repostCount", 0)) + int(post.get("quoteCount", 0))
    return int(post.get("likeCount", 0)), int(post.get("replyCount", 0)), shares


async def refresh_post(conn: Conn, args: dict[str, Any], ctx: Context) -> None:
    post_id, slot = UUID(args["post_id"]), str(args["slot"])
    rows = await repo.refreshable(conn, [post_id])
    if not rows:
        return  # the post is gone (its creator or campaign was deleted): nothing to refresh
    row = rows[0]
    base = _base(row)
    await check_host(base, ctx.allow_private)
    counts = await fetch_counts(ctx.client, row["platform"], base, row["external_id"], row["token"])
    await repo.insert_crawled_snapshot(conn, row["org_id"], post_id, datetime.now(UTC), slot, counts)


async def detect_posts(conn: Conn, args: dict[str, Any], ctx: Context) -> None:
    """Every running campaign tracks its linked creators' new crawled posts, and schedules their refreshes."""
    for org_id, campaign_id in await repo.active_campaigns(conn):
        await schedule(conn, await repo.detect_posts(conn, org_id, campaign_id))
