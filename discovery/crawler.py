"""Runs one crawl: claims frontier items, fetches what each needs, stores it in bulk.

Each item (expand an account, or read a hashtag timeline) is fetched completely, then
written in one transaction together with its frontier update and new children, so a
crawl killed at any point resumes without duplicates or gaps.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, fields

import asyncpg

from discovery import frontier
from discovery.fetcher import AuthError, Counters, Fetcher, PermanentError
from discovery.frontier import CrawlJob, Item, Status
from discovery.models import Post
from discovery.netguard import RefusedAddressError
from discovery.platforms.base import Connector
from discovery.store import Batch, Scope, write_accounts, write_batch
from sql.errors import UpstreamError

log = logging.getLogger("sorot.crawler")
MAX_ITEM_ATTEMPTS = 3
HASHTAG_POSTS = 200


@dataclass
class Found:
    batch: Batch
    children: list[str]
    child_depth: int
    resolved: str | None = None  # a seed's external id, once looked up


class Crawler:
    def __init__(
        self,
        pool: asyncpg.Pool,
        job: CrawlJob,
        connector: Connector,
        fetcher: Fetcher,
        concurrency: int = 8,
        on_progress: Callable[[], None] | None = None,
    ) -> None:
        self.pool, self.job, self.connector, self.fetcher = pool, job, connector, fetcher
        self.concurrency = concurrency
        self.on_progress = on_progress
        self._flushed = Counters()
        self._fatal: str | None = None
        self.scope = Scope(job.org_id, job.shared)

    async def run(self) -> Status:
        """Work until the frontier is empty (done), the crawl is cancelled, or it fails."""
        async with self.pool.acquire() as lease:
            # Items are claimed through this one connection: its backend pid marks them as ours,
            # and if this process dies they become claimable again.
            if not await frontier.start(lease, self.job.id):
                return "cancelled"
            busy: set[asyncio.Task[None]] = set()
            while self._fatal is None:
                free = self.concurrency - len(busy)
                items = await frontier.claim(lease, self.job.id, free) if free else []
                busy.update(asyncio.create_task(self._process(item)) for item in items)
                if busy:
                    _, busy = await asyncio.wait(busy, timeout=0.5, return_when=asyncio.FIRST_COMPLETED)
                    continue
                if not items:
                    status = await self._settle(lease)
                    if status is not None:
                        return status
                    await asyncio.sleep(0.5)  # other workers still hold items
            await asyncio.gather(*busy, return_exceptions=True)
            await frontier.finish(lease, self.job.id, "failed", self._fatal)
            return "failed"

    async def _settle(self, lease: asyncpg.pool.PoolConnectionProxy) -> Status | None:
        current = await frontier.status(lease, self.job.id)
        if current != "running":
            return current
        pending, taken = await frontier.outstanding(lease, self.job.id)
        if pending == 0 and taken == 0:
            await frontier.finish(lease, self.job.id, "done")
            return "done"
        return None

    async def _process(self, item: Item) -> None:
        try:
            await self._fetch_and_save(item)
        except Exception:
            # Anything unforeseen: give the item back (or fail it after repeated tries), never hang the crawl.
            log.exception("crawl item failed", extra={"crawl_id": str(self.job.id), "item": item.ref})
            if item.attempts < MAX_ITEM_ATTEMPTS:
                await self._release(item)
            else:
                await self._save(item, Found(Batch(), [], item.depth), f"{item.kind} {item.ref}: internal error")

    async def _fetch_and_save(self, item: Item) -> None:
        error: str | None = None
        try:
            found = await (self._hashtag(item) if item.kind == "hashtag" else self._account(item))
        except (AuthError, RefusedAddressError) as e:  # a bad token, or the host now resolves somewhere private
            self._fatal = e.detail
            return
        except PermanentError as e:
            found, error = Found(Batch(), [], item.depth), f"{item.kind} {item.ref}: {e}"
        except UpstreamError as e:
            if item.attempts < MAX_ITEM_ATTEMPTS:
                await self._release(item)
                return
            found, error = Found(Batch(), [], item.depth), f"{item.kind} {item.ref}: {e.detail}"
        await self._save(item, found, error)

    async def _release(self, item: Item) -> None:
        async with self.pool.acquire() as conn:
            await frontier.release(conn, self.job.id, item)

    async def _save(self, item: Item, found: Found, error: str | None) -> None:
        delta = Counters(
            **{
                f.name: getattr(self.fetcher.counters, f.name) - getattr(self._flushed, f.name)
                for f in fields(Counters)
            }
        )
        self._flushed = Counters(**vars(self.fetcher.counters))
        if error:
            delta.errors += 1
        for attempt in range(5):
            try:
                async with self.pool.acquire() as conn:
                    stored = await write_accounts(conn, self.connector.platform, self.job.host, found.batch, self.scope)
                async with self.pool.acquire() as conn, conn.transaction():
                    written = await write_batch(conn, found.batch, stored)
                    if found.resolved:
                        await frontier.mark_seen(conn, self.job.id, found.resolved, item.depth)
                    await frontier.enqueue(conn, self.job.id, found.children, found.child_depth)
                    await frontier.complete(conn, self.job.id, item, error)
                    await frontier.add_counters(conn, self.job.id, written, delta)
                break
            except (asyncpg.DeadlockDetectedError, asyncpg.SerializationError):
                if attempt == 4:
                    raise
                await asyncio.sleep(0.05 * (attempt + 1))
        if self.on_progress:
            self.on_progress()

    async def _account(self, item: Item) -> Found:
        c, job = self.connector, self.job
        profile = await (c.lookup(item.ref) if item.kind == "seed" else c.account(item.ref))
        found = Found(Batch(), [], item.depth + 1, resolved=profile.external_id if item.kind == "seed" else None)
        if not found.batch.see(profile):
            return found  # opted out: the handle is all we keep
        expand = item.depth < job.max_depth
        async for page in c.followers(profile, job.max_followers):
            for follower in page:
                found.batch.follow(follower, profile)
                if expand and not follower.opted_out:
                    found.children.append(follower.external_id)
        if job.max_following:
            async for page in c.following(profile, job.max_following):
                for followee in page:
                    found.batch.follow(profile, followee)
                    if expand and not followee.opted_out:
                        found.children.append(followee.external_id)
        for post in await c.posts(profile, job.posts_per_account, job.since):
            if found.batch.post(post):
                await self._engagement(post, found.batch)
        return found

    async def _engagement(self, post: Post, batch: Batch) -> None:
        c = self.connector
        try:
            if post.like_count:
                for actor in await c.likers(post):
                    batch.interact(actor, post, "like", None)
            if post.repost_count:
                for actor in await c.reposters(post):
                    batch.interact(actor, post, "repost", None)
            if post.reply_count:
                for reply in await c.replies(post):
                    batch.interact(reply.author, post, "reply", reply.created_at)
        except PermanentError as e:  # a post deleted meanwhile: keep the rest
            log.info("engagement unavailable", extra={"post": post.external_id, "error": str(e)})

    async def _hashtag(self, item: Item) -> Found:
        found = Found(Batch(), [], item.depth)
        for post in await self.connector.hashtag(item.ref, HASHTAG_POSTS):
            if found.batch.post(post):
                found.children.append(post.author.external_id)
        return found
