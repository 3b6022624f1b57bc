"""Bulk writes of what a crawl saw: COPY into staging tables, then one upsert per table.

A list read completely (an account's followers, its recent posts or those carrying a hashtag, a
post's likers) replaces what
the store held for it: rows it no longer shows end (moved to ``*_ended`` with the time they were
last seen) and posts it no longer shows are marked deleted. Every row a batch writes gets
``seen_at = now()`` (the transaction's time), so "not in the list" is "seen before now".
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from uuid import UUID

from discovery.models import InteractionKind, Platform, Post, Profile
from sql import Conn, Q


def _rank(p: Profile) -> tuple[bool, bool, bool]:
    return (p.opted_out, not p.partial, p.followers_count is not None)


@dataclass
class Batch:
    """Everything one unit of crawl work found, written in one transaction."""

    profiles: dict[str, Profile] = field(default_factory=dict)
    follows: set[tuple[str, str]] = field(default_factory=set)  # (follower, followee) external ids
    posts: dict[str, Post] = field(default_factory=dict)
    interactions: dict[tuple[str, str, InteractionKind], tuple[str, datetime | None]] = field(default_factory=dict)
    # Lists read completely, which replace what the store holds for them:
    all_followers: set[str] = field(default_factory=set)  # accounts whose followers list was read to the end
    all_following: set[str] = field(default_factory=set)
    post_lists: dict[str, datetime] = field(default_factory=dict)  # author -> every post since then was listed
    # (author, hashtag) -> every post of the author carrying the hashtag since then was listed
    tagged_lists: dict[tuple[str, str], datetime] = field(default_factory=dict)
    all_engagement: set[tuple[str, InteractionKind]] = field(default_factory=set)  # (post, kind)
    expanded: set[str] = field(default_factory=set)  # accounts whose lists were read

    def see(self, profile: Profile) -> bool:
        """Record an account; False if this view shows it opted out (then only its handle is kept).
        Of several views of one account the fullest is kept, and an opt-out any view shows wins."""
        known = self.profiles.get(profile.external_id)
        if known is None or _rank(profile) > _rank(known):
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
            self.interactions[(actor.external_id, post.external_id, kind)] = (post.author.external_id, at)


@dataclass
class Written:
    """What a batch changed in the store (see the README's crawl counters)."""

    accounts_seen: int = 0
    accounts_new: int = 0
    accounts_updated: int = 0
    accounts_opted_out: int = 0
    follows_new: int = 0
    follows_known: int = 0
    follows_ended: int = 0
    posts_new: int = 0
    posts_updated: int = 0
    posts_deleted: int = 0
    interactions_new: int = 0
    interactions_ended: int = 0

    def add(self, other: Written) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def _account_row(p: Profile) -> tuple[object, ...]:
    if p.opted_out:
        return (p.external_id, p.handle, True, p.partial, *([None] * 11))
    return (
        p.external_id,
        p.handle,
        False,
        p.partial,
        p.display_name,
        None if p.partial else p.bio,  # a short view does not show the bio: unknown, not empty
        p.has_avatar,
        p.followers_count,
        p.following_count,
        p.posts_count,
        p.created_at,
        p.is_bot,
        p.discoverable,
        None if p.partial else p.noindex,
        p.location or None,  # a short view shows no fields: unknown, kept as stored
    )


def _count(status: str) -> int:
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
    updated: int
    ids: dict[str, int]  # external id -> account id, for accounts that may carry data (not opted out)


async def write_accounts(conn: Conn, platform: Platform, host: str, batch: Batch, scope: Scope) -> StoredAccounts:
    """Store a batch's accounts in their own short transaction, so the row locks the writes take are
    held only briefly (on resume, a batch whose accounts landed but the rest did not is just redone)."""
    if not batch.profiles:
        return StoredAccounts(0, 0, {})
    async with conn.transaction():
        await conn.execute(Q["store.tmp_tables"])
        await conn.copy_records_to_table("tmp_accounts", records=[_account_row(p) for p in batch.profiles.values()])
        await conn.execute("ANALYZE tmp_accounts")  # a fresh temp table has no statistics: plans go bad
        inserted = _count(await conn.execute(Q["store.insert_accounts"], platform, host))
        changed = await conn.fetch(Q["store.update_accounts"], platform, host)
        # Only accounts that changed into opted-out can have data to erase (new ones have none).
        gone = [r["id"] for r in changed if r["opted_out"]]
        if gone:
            await conn.execute(Q["store.erase_opted_out"], gone)
        rows = await conn.fetch(Q["store.account_ids"], platform, host, list(batch.profiles))
        await _grant(conn, scope, platform, host, list(batch.profiles))
    return StoredAccounts(inserted, len(changed), {r["external_id"]: r["id"] for r in rows})


async def _grant(conn: Conn, scope: Scope, platform: Platform, host: str, external_ids: list[str]) -> None:
    """Make the accounts visible to whoever the crawl's data is for (a hide by an org sticks)."""
    if scope.org_id is not None:
        await conn.execute(Q["store.grant_visibility"], scope.org_id, platform, host, external_ids)
    if scope.shared:
        await conn.execute(Q["store.share_accounts"], platform, host, external_ids)


async def write_batch(conn: Conn, batch: Batch, accounts: StoredAccounts) -> Written:
    """Store the follows, posts and interactions of a batch whose accounts are written, and end what
    its complete lists no longer show; call inside a transaction. Rows of accounts that opted out
    (now or before) are skipped."""
    ids = accounts.ids
    out = Written(
        accounts_seen=len(batch.profiles),
        accounts_new=accounts.inserted,
        accounts_updated=accounts.updated,
        accounts_opted_out=sum(p.opted_out for p in batch.profiles.values()),
    )
    await _write_follows(conn, batch, ids, out)
    post_ids = await _write_posts(conn, batch, ids, out)
    await _write_interactions(conn, batch, ids, post_ids, out)
    expanded = [ids[a] for a in batch.expanded if a in ids]
    if expanded:
        await conn.execute(Q["store.mark_expanded"], expanded)
    return out


async def _write_follows(conn: Conn, batch: Batch, ids: dict[str, int], out: Written) -> None:
    edges = [(ids[a], ids[b]) for a, b in batch.follows if a in ids and b in ids]
    if edges:
        follower, followee = zip(*edges, strict=True)
        row = await conn.fetchrow(Q["store.upsert_follows"], list(follower), list(followee))
        assert row is not None
        out.follows_new, out.follows_known = int(row["new"]), int(row["known"])
    of_followee = [ids[a] for a in batch.all_followers if a in ids]
    of_follower = [ids[a] for a in batch.all_following if a in ids]
    if of_followee or of_follower:
        out.follows_ended = int(await conn.fetchval(Q["store.end_follows"], of_followee, of_follower))


async def _write_posts(conn: Conn, batch: Batch, ids: dict[str, int], out: Written) -> dict[tuple[int, str], int]:
    posts = [p for p in batch.posts.values() if p.author.external_id in ids]
    post_ids: dict[tuple[int, str], int] = {}
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
                p.in_reply_to is not None,
                p.lang,
            )
            for p in posts
        ]
        await conn.copy_records_to_table("tmp_posts", records=rows)
        await conn.execute("ANALYZE tmp_posts")
        for r in await conn.fetch(Q["store.upsert_posts"]):
            post_ids[(r["account_id"], r["external_id"])] = r["id"]
            out.posts_new += r["inserted"]
            out.posts_updated += r["changed"] and not r["inserted"]
    lists = [(ids[a], since) for a, since in batch.post_lists.items() if a in ids]
    if lists:
        authors, covers = zip(*lists, strict=True)
        out.posts_deleted = int(await conn.fetchval(Q["store.mark_deleted_posts"], list(authors), list(covers)))
    tagged = [(ids[a], tag, since) for (a, tag), since in batch.tagged_lists.items() if a in ids]
    if tagged:
        authors, tags, covers = zip(*tagged, strict=True)
        out.posts_deleted += int(
            await conn.fetchval(Q["store.mark_deleted_tagged_posts"], list(authors), list(tags), list(covers))
        )
    return post_ids


async def _write_interactions(
    conn: Conn, batch: Batch, ids: dict[str, int], post_ids: dict[tuple[int, str], int], out: Written
) -> None:
    cols: list[list[object]] = [[], [], [], [], []]
    for (actor, post, kind), (author, at) in batch.interactions.items():
        key = (ids.get(author, -1), post)
        if actor in ids and key in post_ids:
            for col, value in zip(cols, (ids[actor], post_ids[key], ids[author], kind, at), strict=True):
                col.append(value)
    if cols[0]:
        out.interactions_new = int(await conn.fetchval(Q["store.upsert_interactions"], *cols))
    complete = [
        (post_ids[key], kind)
        for post, kind in batch.all_engagement
        if (key := (ids.get(batch.posts[post].author.external_id, -1), post)) in post_ids
    ]
    if complete:
        posts, kinds = zip(*complete, strict=True)
        out.interactions_ended = int(await conn.fetchval(Q["store.end_interactions"], list(posts), list(kinds)))
