"""Bluesky AppView XRPC: parsers and connector."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from discovery.fetcher import Fetcher
from discovery.models import Engagement, Platform, Post, PostList, Profile
from discovery.text import as_int, hashtags_in, parse_time

PUBLIC_APPVIEW = "https://public.api.bsky.app"
BSKY_WEB = "https://bsky.app"
PAGE = 100


def parse_profile(data: dict[str, Any]) -> Profile:
    labels = tuple(str(lab.get("val")) for lab in data.get("labels") or [] if isinstance(lab, dict))
    return Profile(
        external_id=str(data["did"]),
        handle=str(data.get("handle") or data["did"]),
        display_name=str(data.get("displayName") or ""),
        bio=str(data.get("description") or ""),
        has_avatar=bool(data.get("avatar")),
        followers_count=as_int(data.get("followersCount")),
        following_count=as_int(data.get("followsCount")),
        posts_count=as_int(data.get("postsCount")),
        created_at=parse_time(data.get("createdAt")),
        is_bot="bot" in labels,
        labels=labels,
        # profileViewBasic (post authors, search hits, thread replies) has no description: it cannot
        # tell whether the bio says #nobot.
        partial="description" not in data,
    )


def _facet_tags(record: dict[str, Any]) -> tuple[str, ...]:
    tags = [
        str(f.get("tag")).lower()
        for facet in record.get("facets") or []
        for f in facet.get("features") or []
        if isinstance(f, dict) and f.get("$type") == "app.bsky.richtext.facet#tag"
    ]
    tags += [str(t).lower() for t in record.get("tags") or []]
    return tuple(dict.fromkeys(tags))


def _facet_mentions(record: dict[str, Any]) -> tuple[str, ...]:
    return tuple(
        str(f.get("did"))
        for facet in record.get("facets") or []
        for f in facet.get("features") or []
        if isinstance(f, dict) and f.get("$type") == "app.bsky.richtext.facet#mention"
    )


def web_base(appview: str) -> str:
    """Where people read the posts of an AppView: bsky.app for Bluesky's own, the AppView itself otherwise."""
    host = urlsplit(appview).hostname or ""
    return BSKY_WEB if host == "bsky.app" or host.endswith(".bsky.app") else appview.rstrip("/")


def post_url(uri: str, handle: str, web: str = BSKY_WEB) -> str:
    rkey = uri.rsplit("/", 1)[-1]
    return f"{web}/profile/{handle}/post/{rkey}"


def _first_lang(langs: object) -> str | None:
    """Bluesky posts carry ``langs`` (BCP 47 tags chosen in the app); the first is the main one."""
    if isinstance(langs, list) and langs and isinstance(langs[0], str) and langs[0]:
        return langs[0][:35]
    return None


def parse_post(data: dict[str, Any], web: str = BSKY_WEB) -> Post:
    raw = data.get("record")
    record: dict[str, Any] = raw if isinstance(raw, dict) else {}
    author = parse_profile(data["author"])
    text = str(record.get("text") or "")
    reply = record.get("reply") if isinstance(record.get("reply"), dict) else None
    return Post(
        external_id=str(data["uri"]),
        author=author,
        text=text,
        hashtags=_facet_tags(record) or hashtags_in(text),
        mentions=_facet_mentions(record),
        created_at=parse_time(record.get("createdAt")) or parse_time(data.get("indexedAt")),
        like_count=as_int(data.get("likeCount")) or 0,
        repost_count=as_int(data.get("repostCount")) or 0,
        reply_count=as_int(data.get("replyCount")) or 0,
        quote_count=as_int(data.get("quoteCount")) or 0,
        url=post_url(str(data["uri"]), author.handle, web),
        in_reply_to=str(reply["parent"]["uri"]) if reply and isinstance(reply.get("parent"), dict) else None,
        lang=_first_lang(record.get("langs")),
    )


def parse_thread_replies(data: dict[str, Any], web: str = BSKY_WEB) -> list[Post]:
    thread = data.get("thread") or {}
    return [
        parse_post(r["post"], web)
        for r in thread.get("replies") or []
        if isinstance(r, dict) and isinstance(r.get("post"), dict)
    ]


class BlueskyConnector:
    platform: Platform = "bluesky"

    def __init__(self, base_url: str, fetcher: Fetcher) -> None:
        self.base = (base_url or PUBLIC_APPVIEW).rstrip("/")
        self.host = urlsplit(self.base).netloc
        self.web = web_base(self.base)
        self.fetcher = fetcher

    async def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        body, _ = await self.fetcher.get(f"{self.base}/xrpc/{method}", params)
        return body if isinstance(body, dict) else {}

    async def _pages(self, method: str, params: dict[str, Any], key: str, limit: int) -> AsyncIterator[list[Any]]:
        cursor: str | None = None
        seen = 0
        while seen < limit:
            body = await self._call(method, {**params, "limit": PAGE, **({"cursor": cursor} if cursor else {})})
            items = (body.get(key) or [])[: limit - seen]
            seen += len(items)
            if items:
                yield items
            cursor = body.get("cursor")
            if not cursor or not items:
                return

    async def lookup(self, handle: str) -> Profile:
        return parse_profile(await self._call("app.bsky.actor.getProfile", {"actor": handle.lstrip("@")}))

    async def _profiles(
        self, method: str, params: dict[str, Any], key: str, limit: int
    ) -> AsyncIterator[list[Profile]]:
        async for page in self._pages(method, params, key, limit):
            yield [parse_profile(p) for p in page]

    async def account(self, external_id: str) -> Profile:
        return await self.lookup(external_id)

    def followers(self, account: Profile, limit: int) -> AsyncIterator[list[Profile]]:
        return self._profiles("app.bsky.graph.getFollowers", {"actor": account.external_id}, "followers", limit)

    def following(self, account: Profile, limit: int) -> AsyncIterator[list[Profile]]:
        return self._profiles("app.bsky.graph.getFollows", {"actor": account.external_id}, "follows", limit)

    async def posts(self, account: Profile, limit: int, since: datetime | None) -> PostList:
        out: list[Post] = []
        params = {"actor": account.external_id, "filter": "posts_no_replies"}
        read = 0
        ended_by_time = False
        async for page in self._pages("app.bsky.feed.getAuthorFeed", params, "feed", limit):
            read += len(page)
            # Reposts of others' posts show up in the author feed with a "reason": not this author's posts.
            batch = [parse_post(item["post"], self.web) for item in page if not item.get("reason")]
            fresh = [p for p in batch if since is None or p.created_at is None or p.created_at >= since]
            out.extend(p for p in fresh if p.author.external_id == account.external_id)
            if len(fresh) < len(batch):
                ended_by_time = True
                break
        return PostList.of(out, complete=ended_by_time or read < limit, since=since)

    async def tagged_posts(self, account: Profile, tag: str, limit: int, since: datetime | None) -> PostList:
        """Nothing, at no request: an author's posts by hashtag would be ``searchPosts`` with ``author``
        and ``tag``, which this connector does not use and our simulator does not serve, so Bluesky
        accounts are judged on their recent posts and the hashtag search alone. ``covers_from`` None:
        nothing can be told missing from it."""
        return PostList([], None)

    async def likers(self, post: Post) -> list[Engagement]:
        out: list[Engagement] = []
        async for page in self._pages("app.bsky.feed.getLikes", {"uri": post.external_id}, "likes", 100_000):
            out.extend((parse_profile(like["actor"]), parse_time(like.get("createdAt"))) for like in page)
        return out

    async def reposters(self, post: Post) -> list[Engagement]:
        out: list[Engagement] = []
        params = {"uri": post.external_id}
        async for page in self._profiles("app.bsky.feed.getRepostedBy", params, "repostedBy", 100_000):
            out.extend((p, None) for p in page)
        return out

    async def replies(self, post: Post) -> list[Post]:
        body = await self._call("app.bsky.feed.getPostThread", {"uri": post.external_id, "depth": 1, "parentHeight": 0})
        return parse_thread_replies(body, self.web)

    async def hashtag(self, tag: str, limit: int) -> list[Post]:
        out: list[Post] = []
        params = {"q": f"#{tag.lstrip('#')}", "tag": tag.lstrip("#"), "sort": "latest"}
        async for page in self._pages("app.bsky.feed.searchPosts", params, "posts", limit):
            out.extend(parse_post(p, self.web) for p in page)
        return out
