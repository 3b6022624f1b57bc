"""Bulk writes of what a crawl saw: COPY into staging tables, then one upsert per table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from discovery.models import InteractionKind, Platform, Post, Profile
from sql import Conn, Q


@dataclass
class Batch:
    """Everything one unit of crawl work found, written in one transaction."""

    profiles: dict[str, Profile] = field(default_factory=dict)
    follows: set[tuple[str, str]] = field(default_factory=set)  # (follower, followee) external ids
    posts: dict[str, Post] = field(default_factory=dict)
    interactions: set[tuple[str, str, str, InteractionKind, datetime | None]] = field(default_factory=set)

    def see(self, profile: Profile) -> bool:
        """Record an account; False if it opted out (then only its handle is kept)."""
        known = self.profiles.get(profile.external_id)
        if known is None or (known.followers_count is None and profile.followers_count is not None):
            self.profiles[profile.external_id] = profile
        return not profile.opted_out

    def follow(self, follower: Profile, followee: Profile) -> None:
        if self.see(follower) & self.see(followee):
            self.follows.add((follower.external_id, followee.external_id))

    def post(self, post: Post) -> bool:
        if not self.see(post.author):
            return False
        self.posts[post.external_id] = post
        return True

    def interact(self, actor: Profile, post: Post, kind: InteractionKind, at: datetime | None) -> None:
        if self.see(actor) and post.external_id in self.posts:
            self.interactions.add((actor.external_id, post.author.external_id, post.external_id, kind, at))


@dataclass
class Written:
    accounts: int = 0
    follows: int = 0
    posts: int = 0
    interactions: int = 0


def _account_row(p: Profile) -> tuple[object, ...]:
    if p.opted_out:
        return (p.external_id, p.handle, True, *([None] * 10))
    return (
        p.external_id,
        p.handle,
        False,
        p.display_name,
        p.bio,
        p.has_avatar,
        p.followers_count,
        p.following_count,
        p.posts_count,
        p.created_at,
        p.is_bot,
        p.discoverable,
        p.noindex,
    )


def _inserted(status: str) -> int:
    return int(status.rsplit(" ", 1)[-1])


async def write_accounts(conn: Conn, platform: Platform, host: str, batch: Batch) -> int:
    """Store a batch's accounts in their own short transaction, so the row locks the writes take are
    held only briefly (on resume, a batch whose accounts landed but the rest did not is just redone).
    Returns how many were new."""
    if not batch.profiles:
        return 0
    async with conn.transaction():
        await conn.execute(Q["store.tmp_tables"])
        await conn.copy_records_to_table("tmp_accounts", records=[_account_row(p) for p in batch.profiles.values()])
        await conn.execute("ANALYZE tmp_accounts")
        inserted = _inserted(await conn.execute(Q["store.insert_accounts"], platform, host))
        changed = await conn.fetch(Q["store.update_accounts"], platform, host)
        # Only accounts that changed into opted-out can have data to erase (new ones have none).
        gone = [r["id"] for r in changed if r["opted_out"]]
        if gone:
            await conn.execute(Q["store.erase_opted_out"], gone)
    return inserted


async def write_batch(conn: Conn, platform: Platform, host: str, batch: Batch, accounts: int = 0) -> Written:
    """Store the follows, posts and interactions of a batch whose accounts are written; call inside a
    transaction. Counts only rows that were new."""
    await conn.execute(Q["store.tmp_tables"])
    out = Written(accounts=accounts)
    if batch.follows:
        await conn.copy_records_to_table("tmp_follows", records=list(batch.follows))
        await conn.execute("ANALYZE tmp_follows")  # a fresh temp table has no statistics: plans go bad
        out.follows = _inserted(await conn.execute(Q["store.insert_follows"], platform, host))
    if batch.posts:
        rows = [
            (
                p.author.external_id,
                p.external_id,
                p.text,
                list(p.hashtags),
                list(p.mentions),
                p.created_at,
                p.like_count,
                p.repost_count,
                p.reply_count,
                p.quote_count,
                p.url,
            )
            for p in batch.posts.values()
        ]
        await conn.copy_records_to_table("tmp_posts", records=rows)
        await conn.execute("ANALYZE tmp_posts")
        out.posts = int(await conn.fetchval(Q["store.upsert_posts"], platform, host))
    if batch.interactions:
        await conn.copy_records_to_table("tmp_interactions", records=list(batch.interactions))
        await conn.execute("ANALYZE tmp_interactions")
        out.interactions = _inserted(await conn.execute(Q["store.insert_interactions"], platform, host))
    return out
