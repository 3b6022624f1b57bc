"""Runs one crawl: claims frontier items, fetches what each needs, stores it in bulk.

Each item (expand an account, or read a hashtag timeline) is fetched completely, then
written in one transaction together with its frontier update and new children, so a
crawl killed at any point resumes without duplicates or gaps.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from discovery import frontier
from discovery.fetcher import AuthError, Counters, Fetcher, PermanentError
from discovery.frontier import CrawlJob, Item, Status
from discovery.models import EVERYTHING, Engagement, InteractionKind, Post, PostList, Profile
from discovery.netguard import RefusedAddressError
from discovery.platforms.base import Connector
from discovery.store import Batch, Scope, Written, write_accounts, write_batch
from sql import Conn
from sql.errors import UpstreamError

log = logging.getLogger("sorot.crawler")
MAX_ITEM_ATTEMPTS = 3
HASHTAG_POSTS = 200


def _covers_all(listing: PostList, since: datetime | None) -> bool:
    """Whether the list holds every post of the crawl's window (all since ``since``, or the whole history)."""
    return listing.covers_from is not None and listing.covers_from <= (since or EVERYTHING)


@dataclass
class Found:
    batch: Batch
    children: list[str]
    child_depth: int
    resolved: str | None = None  # a seed's external id, once looked up
    fresh: bool = False  # read recently enough (fresh_for): not read again


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
        """Work until the frontier is empty (done), the crawl is cancelled or stopped, or it fails. If this
        task is cancelled (Ctrl-C), the requests counted so far are saved and the items it holds released."""
        async with self.pool.acquire() as lease:
            # Items are claimed through this one connection: its backend pid marks them as ours,
            # and if this process dies they become claimable again.
            if not await frontier.start(lease, self.job.id):
                return await frontier.status(lease, self.job.id)
            busy: set[asyncio.Task[None]] = set()
            try:
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
                await self._flush(lease)
                await frontier.release_mine(lease, self.job.id)
                await frontier.finish(lease, self.job.id, "failed", self._fatal)
                return "failed"
            except asyncio.CancelledError:
                for task in busy:
                    task.cancel()
                await asyncio.gather(*busy, return_exceptions=True)
                await asyncio.shield(self._give_back(lease))
                raise

    async def _give_back(self, lease: asyncpg.pool.PoolConnectionProxy) -> None:
        await self._flush(lease)
        await frontier.release_mine(lease, self.job.id)

    async def _settle(self, lease: asyncpg.pool.PoolConnectionProxy) -> Status | None:
        current = await frontier.status(lease, self.job.id)
        if current != "running":
            await self._flush(lease)
            return current
        pending, taken = await frontier.outstanding(lease, self.job.id)
        if pending == 0 and taken == 0:
            await self._flush(lease)
            await frontier.finish(lease, self.job.id, "done")
            return "done"
        return None

    def _fetch_delta(self) -> Counters:
        now = self.fetcher.counters.copy()
        delta = now.minus(self._flushed)
        self._flushed = now
        return delta

    async def _flush(self, conn: Conn) -> None:
        """Save the requests counted but not yet written with an item."""
        await frontier.add_counters(conn, self.job.id, Written(), self._fetch_delta())

    async def _process(self, item: Item) -> None:
        try:
            await self._fetch_and_save(item)
        except asyncio.CancelledError:
            raise
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
        except (AuthError, RefusedAddressError) as e:
            # The token was refused, or the host now resolves to a refused address: nothing more will work.
            # Give the item back so a resume redoes it; run() saves the counters and fails the crawl.
            self._fatal = e.detail
            await self._release(item)
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
        delta = self._fetch_delta()
        if error:
            delta.errors += 1
        expanded = item.kind != "hashtag" and bool(found.batch.expanded)
        for attempt in range(5):
            try:
                async with self.pool.acquire() as conn:
                    stored = await write_accounts(conn, self.connector.platform, self.job.host, found.batch, self.scope)
                async with self.pool.acquire() as conn, conn.transaction():
                    written = await write_batch(conn, found.batch, stored)
                    # The crawl's row first: it serialises the frontier writes of concurrent items (two
                    # items inserting each other's accounts in the other order deadlocked).
                    await frontier.add_counters(
                        conn, self.job.id, written, delta, expanded=int(expanded), fresh=int(found.fresh)
                    )
                    if found.resolved:
                        await frontier.mark_seen(conn, self.job.id, found.resolved, item.depth)
                    await frontier.enqueue(conn, self.job.id, found.children, found.child_depth)
                    await frontier.complete(conn, self.job.id, item, error)
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
        batch = found.batch
        if not batch.see(profile):
            return found  # opted out: the handle is all we keep
        expand = item.depth < job.max_depth
        if job.fresh_for is not None and (stored := await self._fresh(profile.external_id)) is not None:
            found.fresh = True
            found.children = stored if expand else []
            return found
        read = 0
        async for page in c.followers(profile, job.max_followers):
            read += len(page)
            for follower in page:
                batch.follow(follower, profile)
                if expand and not follower.opted_out:
                    found.children.append(follower.external_id)
        if read < job.max_followers:
            batch.all_followers.add(profile.external_id)
        if job.max_following:
            read = 0
            async for page in c.following(profile, job.max_following):
                read += len(page)
                for followee in page:
                    batch.follow(profile, followee)
                    if expand and not followee.opted_out:
                        found.children.append(followee.external_id)
            if read < job.max_following:
                batch.all_following.add(profile.external_id)
        listing = await c.posts(profile, job.posts_per_account, job.since)
        if job.posts_per_account and listing.covers_from is not None:
            batch.post_lists[profile.external_id] = listing.covers_from
        for post in listing.posts:
            if batch.post(post):
                await self._engagement(post, batch)
        if job.posts_per_account and job.hashtags and not _covers_all(listing, job.since):
            await self._tagged(profile, batch)
        batch.expanded.add(profile.external_id)
        return found

    async def _tagged(self, profile: Profile, batch: Batch) -> None:
        """The account's posts carrying each crawl hashtag, when its recent posts did not reach back to the
        crawl's start: a creator whose posts on the topic are older than its newest ones is still seen as
        posting on it. Each tagged list read replaces what the store holds of the account's posts carrying
        that tag, within the time it covers."""
        job = self.job
        for tag in job.hashtags:
            listing = await self.connector.tagged_posts(profile, tag, job.posts_per_account, job.since)
            if listing.covers_from is not None:
                batch.tagged_lists[(profile.external_id, tag)] = listing.covers_from
            for post in listing.posts:
                if post.external_id not in batch.posts and batch.post(post):
                    await self._engagement(post, batch)

    async def _fresh(self, external_id: str) -> list[str] | None:
        """The stored neighbours of an account read within ``fresh_for`` seconds, else None."""
        job = self.job
        async with self.pool.acquire() as conn:
            return await frontier.fresh_neighbours(
                conn, job, external_id, job.max_followers, job.max_following if job.max_following else 0
            )

    async def _engagement(self, post: Post, batch: Batch) -> None:
        """Who liked, reposted and replied; each list read completely replaces the stored one."""
        c = self.connector
        lists: tuple[tuple[InteractionKind, int, Callable[[Post], Awaitable[list[Engagement]]]], ...] = (
            ("like", post.like_count, c.likers),
            ("repost", post.repost_count, c.reposters),
            ("reply", post.reply_count, self._repliers),
        )
        try:
            for kind, count, fetch in lists:
                if count:
                    for actor, at in await fetch(post):
                        batch.interact(actor, post, kind, at)
                batch.all_engagement.add((post.external_id, kind))
        except PermanentError as e:  # a post deleted meanwhile: keep the rest
            log.info("engagement unavailable", extra={"post": post.external_id, "error": str(e)})

    async def _repliers(self, post: Post) -> list[Engagement]:
        return [(reply.author, reply.created_at) for reply in await self.connector.replies(post)]

    async def _hashtag(self, item: Item) -> Found:
        found = Found(Batch(), [], item.depth)
        for post in await self.connector.hashtag(item.ref, HASHTAG_POSTS):
            if found.batch.post(post):
                found.children.append(post.author.external_id)
        return found
