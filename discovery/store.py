"""Bulk writes of what a crawl saw: COPY into staging tables, then one upsert per table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

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


@dataclass(frozen=True)
class Scope:
    """Who may see what a write stores: the crawling org, and everyone too when the crawl was a
    token-less crawl of a server on the operator's shared list (``org_id`` None: shared only)."""

    org_id: UUID | None
    shared: bool = False


PUBLIC = Scope(None, shared=True)


@dataclass
class StoredAccounts:
    inserted: int
    ids: dict[str, int]  # external id -> account id, for accounts that may carry data (not opted out)


async def write_accounts(conn: Conn, platform: Platform, host: str, batch: Batch, scope: Scope) -> StoredAccounts:
    """Store a batch's accounts in their own short transaction, so the row locks the writes take are
    held only briefly (on resume, a batch whose accounts landed but the rest did not is just redone)."""
    if not batch.profiles:
        return StoredAccounts(0, {})
    async with conn.transaction():
        await conn.execute(Q["store.tmp_tables"])
        await conn.copy_records_to_table("tmp_accounts", records=[_account_row(p) for p in batch.profiles.values()])
        await conn.execute("ANALYZE tmp_accounts")  # a fresh temp table has no statistics: plans go bad
        inserted = _inserted(await conn.execute(Q["store.insert_accounts"], platform, host))
        changed = await conn.fetch(Q["store.update_accounts"], platform, host)
        # Only accounts that changed into opted-out can have data to erase (new ones have none).
        gone = [r["id"] for r in changed if r["opted_out"]]
        if gone:
            await conn.execute(Q["store.erase_opted_out"], gone)
        rows = await conn.fetch(Q["store.account_ids"], platform, host, list(batch.profiles))
        await _grant(conn, scope, platform, host, list(batch.profiles))
    return StoredAccounts(inserted, {r["external_id"]: r["id"] for r in rows})


async def _grant(conn: Conn, scope: Scope, platform: Platform, host: str, external_ids: list[str]) -> None:
    """Make the accounts visible to whoever the crawl's data is for (a hide by an org sticks)."""
    if scope.org_id is not None:
        await conn.execute(Q["store.grant_visibility"], scope.org_id, platform, host, external_ids)
    if scope.shared:
        await conn.execute(Q["store.share_accounts"], platform, host, external_ids)


async def write_batch(conn: Conn, batch: Batch, accounts: StoredAccounts) -> Written:
    """Store the follows, posts and interactions of a batch whose accounts are written; call inside a
    transaction. Rows of accounts that opted out (now or before) are skipped. Counts only new rows."""
    ids = accounts.ids
    out = Written(accounts=accounts.inserted)
    edges = [(ids[a], ids[b]) for a, b in batch.follows if a in ids and b in ids]
    if edges:
        follower, followee = zip(*edges, strict=True)
        out.follows = _inserted(await conn.execute(Q["store.insert_follows"], list(follower), list(followee)))
    posts = [p for p in batch.posts.values() if p.author.external_id in ids]
    if posts:
        await conn.execute(Q["store.tmp_tables"])
        rows = [
            (
                ids[p.author.external_id],
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
            for p in posts
        ]
        await conn.copy_records_to_table("tmp_posts", records=rows)
        await conn.execute("ANALYZE tmp_posts")
        out.posts = int(await conn.fetchval(Q["store.upsert_posts"]))
    if batch.interactions and posts:
        found = await conn.fetch(Q["store.post_ids"], list({r[0] for r in rows}), [p.external_id for p in posts])
        post_ids = {(r["account_id"], r["external_id"]): r["id"] for r in found}
        cols: list[list[object]] = [[], [], [], [], []]
        for actor, author, post, kind, at in batch.interactions:
            key = (ids.get(author), post)
            if actor in ids and key in post_ids:
                for col, value in zip(cols, (ids[actor], post_ids[key], ids[author], kind, at), strict=True):
                    col.append(value)
        if cols[0]:
            out.interactions = _inserted(await conn.execute(Q["store.insert_interactions"], *cols))
    return out
