"""The world's accounts and posts as each platform's API renders them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from discovery.simulator.world import FARM_BOT, OPT_LABEL, OPT_NOINDEX, OPT_UNDISCOVERABLE, REPLY, World

MASTODON_ID_BASE = 100_000
STATUS_ID_BASE = 1_000_000_000
REPLY_ID_BASE = 5_000_000_000
# Bluesky has no discoverable/noindex flags: those opt-outs show there as the label.
BSKY_LABELLED = (OPT_LABEL, OPT_UNDISCOVERABLE, OPT_NOINDEX)


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def account_id(i: int) -> str:
    return str(MASTODON_ID_BASE + i)


def account_index(external: str) -> int | None:
    if not external.isdigit():
        return None
    i = int(external) - MASTODON_ID_BASE
    return i if i >= 0 else None


def did(i: int) -> str:
    return f"did:plc:sim{i:08d}"


def bsky_handle(i: int) -> str:
    return f"user{i}.sim.test"


def post_uri(world: World, p: int) -> str:
    return f"at://{did(int(world.post_author[p]))}/app.bsky.feed.post/p{p}"


def reply_uri(world: World, r: int) -> str:
    return f"at://{did(int(world.engaged[REPLY].indices[r]))}/app.bsky.feed.post/r{r}"


def mastodon_account(world: World, i: int, base: str) -> dict[str, Any]:
    n_following = world.following.length(i)
    avatar = f"{base}/system/avatars/{i}.png" if world.has_avatar[i] else f"{base}/avatars/original/missing.png"
    return {
        "id": account_id(i),
        "username": f"user{i}",
        "acct": f"user{i}",
        "display_name": "" if world.kind[i] == FARM_BOT else f"User {i}",
        "locked": False,
        "bot": False,
        "discoverable": bool(world.opt_out[i] != OPT_UNDISCOVERABLE),
        "noindex": bool(world.opt_out[i] == OPT_NOINDEX),
        "group": False,
        "created_at": iso(world.created_at(i)),
        "note": f"<p>{world.bio(i)}</p>" if world.bio(i) else "",
        "url": f"{base}/@user{i}",
        "avatar": avatar,
        "avatar_static": avatar,
        "followers_count": world.followers.length(i),
        "following_count": n_following,
        "statuses_count": world.posts_of.length(i),
        "emojis": [],
        "fields": [],
    }


def mastodon_status(world: World, p: int, base: str) -> dict[str, Any]:
    author = int(world.post_author[p])
    return {
        "id": str(STATUS_ID_BASE + p),
        "created_at": iso(world.post_time(p)),
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "language": "en",
        "uri": f"{base}/users/user{author}/statuses/{STATUS_ID_BASE + p}",
        "url": f"{base}/@user{author}/{STATUS_ID_BASE + p}",
        "replies_count": world.engaged["reply"].length(p),
        "reblogs_count": world.engaged["repost"].length(p),
        "favourites_count": world.engaged["like"].length(p),
        "content": f"<p>{world.post_text(p)}</p>",
        "reblog": None,
        "account": mastodon_account(world, author, base),
        "media_attachments": [],
        "mentions": [],
        "tags": [{"name": t, "url": f"{base}/tags/{t}"} for t in world.post_tags[p]],
        "emojis": [],
        "card": None,
        "poll": None,
    }


def mastodon_reply(world: World, p: int, r: int, base: str) -> dict[str, Any]:
    replier = int(world.engaged[REPLY].indices[r])
    status = mastodon_status(world, p, base)
    status.update(
        id=str(REPLY_ID_BASE + r),
        in_reply_to_id=str(STATUS_ID_BASE + p),
        in_reply_to_account_id=account_id(int(world.post_author[p])),
        content=f"<p>@user{int(world.post_author[p])} nice</p>",
        url=f"{base}/@user{replier}/{REPLY_ID_BASE + r}",
        replies_count=0,
        reblogs_count=0,
        favourites_count=0,
        tags=[],
        account=mastodon_account(world, replier, base),
    )
    return status


def bsky_profile(world: World, i: int, detailed: bool = False) -> dict[str, Any]:
    labels = (
        [
            {
                "src": did(i),
                "uri": f"at://{did(i)}/app.bsky.actor.profile/self",
                "cid": "bafy",
                "val": "!no-unauthenticated",
                "cts": iso(world.created_at(i)),
            }
        ]
        if world.opt_out[i] in BSKY_LABELLED
        else []
    )
    view: dict[str, Any] = {
        "did": did(i),
        "handle": bsky_handle(i),
        "displayName": "" if world.kind[i] == FARM_BOT else f"User {i}",
        "description": world.bio(i),
        "createdAt": iso(world.created_at(i)),
        "indexedAt": iso(world.created_at(i)),
        "labels": labels,
    }
    if world.has_avatar[i]:
        view["avatar"] = f"https://cdn.sim.test/img/avatar/plain/{did(i)}/bafy@jpeg"
    if detailed:
        view.update(
            followersCount=world.followers.length(i),
            followsCount=world.following.length(i),
            postsCount=world.posts_of.length(i),
        )
    return view


def bsky_post(world: World, p: int) -> dict[str, Any]:
    author = int(world.post_author[p])
    text = world.post_text(p)
    facets = []
    for t in world.post_tags[p]:
        start = text.encode().find(f"#{t}".encode())
        facets.append(
            {
                "index": {"byteStart": start, "byteEnd": start + len(t) + 1},
                "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": t}],
            }
        )
    return {
        "uri": post_uri(world, p),
        "cid": f"bafyp{p}",
        "author": bsky_profile(world, author),
        "record": {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": iso(world.post_time(p)),
            "facets": facets,
            "langs": ["en"],
        },
        "replyCount": world.engaged["reply"].length(p),
        "repostCount": world.engaged["repost"].length(p),
        "likeCount": world.engaged["like"].length(p),
        "quoteCount": 0,
        "indexedAt": iso(world.post_time(p)),
        "labels": [],
    }


def bsky_reply(world: World, p: int, r: int) -> dict[str, Any]:
    replier = int(world.engaged[REPLY].indices[r])
    return {
        "uri": reply_uri(world, r),
        "cid": f"bafyr{r}",
        "author": bsky_profile(world, replier),
        "record": {
            "$type": "app.bsky.feed.post",
            "text": "nice",
            "createdAt": iso(world.post_time(p)),
            "reply": {
                "root": {"uri": post_uri(world, p), "cid": f"bafyp{p}"},
                "parent": {"uri": post_uri(world, p), "cid": f"bafyp{p}"},
            },
        },
        "replyCount": 0,
        "repostCount": 0,
        "likeCount": 0,
        "quoteCount": 0,
        "indexedAt": iso(world.post_time(p)),
        "labels": [],
    }
