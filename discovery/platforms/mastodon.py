"""Mastodon client API (Mastodon, GoToSocial, Pleroma/Akkoma, Takahē): parsers and connector."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from discovery.fetcher import Fetcher
from discovery.models import Engagement, Platform, Post, PostList, Profile
from discovery.text import as_int, hashtags_in, is_default_avatar, parse_time, strip_html

FOLLOW_PAGE = 80
STATUS_PAGE = 40
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


# Profile field names people use for where they are (English, Indonesian, Malay).
LOCATION_FIELDS = frozenset(
    {
        "location",
        "lokasi",
        "tempat",
        "based in",
        "city",
        "kota",
        "bandar",
        "negeri",
        "country",
        "negara",
        "where",
        "from",
        "asal",
        "domisili",
        "tinggal",
        "📍",
        "home",
        "place",
        "region",
        "daerah",
    }
)


def location_field(fields: object) -> str:
    """The value of the first profile field named like a location (HTML stripped), or ""."""
    for f in fields if isinstance(fields, list) else []:
        if isinstance(f, dict) and str(f.get("name") or "").strip().lower().rstrip(":") in LOCATION_FIELDS:
            return strip_html(str(f.get("value") or ""))[:200]
    return ""


def parse_account(data: dict[str, Any]) -> Profile:
    bio = strip_html(data.get("note"))
    return Profile(
        external_id=str(data["id"]),
        handle=str(data.get("acct") or data.get("username") or data["id"]),
        display_name=str(data.get("display_name") or ""),
        bio=bio,
        has_avatar=not is_default_avatar(data.get("avatar")),
        followers_count=as_int(data.get("followers_count")),
        following_count=as_int(data.get("following_count")),
        posts_count=as_int(data.get("statuses_count")),
        created_at=parse_time(data.get("created_at")),
        is_bot=bool(data.get("bot")),
        discoverable=data.get("discoverable") if isinstance(data.get("discoverable"), bool) else None,
        noindex=bool(data.get("noindex")),
        # Mastodon's partial accounts (grouped notifications) and other short forms carry no note.
        partial="note" not in data,
        location=location_field(data.get("fields")),
    )


def parse_status(data: dict[str, Any]) -> Post:
    """A status; a boost is read as the boosted status (its own author and counts)."""
    if isinstance(data.get("reblog"), dict):
        data = data["reblog"]
    text = strip_html(data.get("content")) or str(data.get("text") or "")
    tags = tuple(str(t["name"]).lower() for t in data.get("tags") or [] if isinstance(t, dict) and t.get("name"))
    return Post(
        external_id=str(data["id"]),
        author=parse_account(data["account"]),
        text=text,
        hashtags=tags or hashtags_in(text),
        mentions=tuple(str(m.get("acct")) for m in data.get("mentions") or [] if isinstance(m, dict)),
        created_at=parse_time(data.get("created_at")),
        like_count=as_int(data.get("favourites_count")) or 0,
        repost_count=as_int(data.get("reblogs_count")) or 0,
        reply_count=as_int(data.get("replies_count")) or 0,
        url=str(data.get("url") or data.get("uri") or ""),
        in_reply_to=str(data["in_reply_to_id"]) if data.get("in_reply_to_id") else None,
        lang=str(data["language"])[:35] if isinstance(data.get("language"), str) and data["language"] else None,
    )


def parse_context(data: dict[str, Any]) -> list[Post]:
    """Replies below a status; entries without an author (elided or deleted) are skipped."""
    return [parse_status(s) for s in data.get("descendants") or [] if isinstance(s, dict) and "account" in s]


def next_link(link_header: str | None) -> str | None:
    if not link_header:
        return None
    m = _NEXT.search(link_header)
    return m.group(1) if m else None


def _maybe_a_cap(size: int) -> bool:
    """Servers that cap pages below what we ask cap them at 40 (Pleroma, Akkoma) or 20."""
    return size in (20, 40)


class MastodonConnector:
    platform: Platform = "mastodon"

    def __init__(self, base_url: str, fetcher: Fetcher) -> None:
        self.base = base_url.rstrip("/")
        self.host = urlsplit(self.base).netloc
        self.fetcher = fetcher
        self._page_size: dict[str, int] = {}  # kind of listing -> the page size the server caps at
        self._learnt: set[str] = set()
        self._probing: dict[str, int] = {}

    async def _pages(
        self, kind: str, path: str, params: dict[str, Any], limit: int
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Pages of a listing. A page shorter than the server's page size ends it (GoToSocial sends a next
        link on every page, so following it would cost one empty page per listing). The page size is
        what we asked for unless the server showed it caps lower: the first short page of each kind of
        listing with a next link, if its size is a known cap (20 or 40), is followed once to
        find out."""
        url: str | None = self.base + path
        query: dict[str, Any] | None = params
        asked = int(params["limit"])
        seen = 0
        while url and seen < limit:
            body, headers = await self.fetcher.get(url, query)
            query = None  # the next link carries every parameter (httpx would replace its query with ours)
            items = body if isinstance(body, list) else []
            got = len(items)
            if kind in self._probing:
                if got:
                    self._page_size[kind] = self._probing[kind]  # the server caps pages below what we asked
                self._probing.pop(kind)
            items = items[: limit - seen]
            seen += len(items)
            if items:
                yield items
            url = next_link(headers.get("link")) if got else None
            if url and urlsplit(url).netloc != self.host:
                url = None  # a next link to another host is never followed
            if url and got < self._page_size.get(kind, asked):
                if kind in self._page_size or kind in self._learnt or not _maybe_a_cap(got):
                    return  # a short page: the listing is over
                self._learnt.add(kind)
                self._probing[kind] = got

    async def lookup(self, handle: str) -> Profile:
        body, _ = await self.fetcher.get(self.base + "/api/v1/accounts/lookup", {"acct": handle.lstrip("@")})
        return parse_account(body)

    async def account(self, external_id: str) -> Profile:
        body, _ = await self.fetcher.get(f"{self.base}/api/v1/accounts/{external_id}")
        return parse_account(body)

    async def _accounts(self, kind: str, path: str, limit: int) -> AsyncIterator[list[Profile]]:
        async for page in self._pages(kind, path, {"limit": FOLLOW_PAGE}, limit):
            yield [parse_account(a) for a in page]

    def followers(self, account: Profile, limit: int) -> AsyncIterator[list[Profile]]:
        return self._accounts("followers", f"/api/v1/accounts/{account.external_id}/followers", limit)

    def following(self, account: Profile, limit: int) -> AsyncIterator[list[Profile]]:
        return self._accounts("following", f"/api/v1/accounts/{account.external_id}/following", limit)

    async def posts(self, account: Profile, limit: int, since: datetime | None) -> PostList:
        return await self._statuses(account, {}, limit, since)

    async def tagged_posts(self, account: Profile, tag: str, limit: int, since: datetime | None) -> PostList:
        """``tagged`` is a Mastodon parameter (GoToSocial, Pleroma and Akkoma have it too). A server that
        ignores it sends the plain listing: the coverage is that of the listing as read (every post of the
        account since then, so every one carrying the tag), and only posts that carry the tag are kept."""
        tag = tag.lstrip("#").lower()
        listing = await self._statuses(account, {"tagged": tag}, limit, since)
        kept = [p for p in listing.posts if tag in p.hashtags and p.author.external_id == account.external_id]
        return PostList(kept, listing.covers_from)

    async def _statuses(self, account: Profile, extra: dict[str, str], limit: int, since: datetime | None) -> PostList:
        params = {"limit": STATUS_PAGE, "exclude_replies": "true", "exclude_reblogs": "true", **extra}
        out: list[Post] = []
        read = 0
        ended_by_time = False
        async for page in self._pages("statuses", f"/api/v1/accounts/{account.external_id}/statuses", params, limit):
            read += len(page)
            batch = [parse_status(s) for s in page]
            fresh = [p for p in batch if since is None or p.created_at is None or p.created_at >= since]
            out.extend(fresh)
            if len(fresh) < len(batch):
                ended_by_time = True
                break  # statuses come newest first: the rest are older still
        return PostList.of(out, complete=ended_by_time or read < limit, since=since)

    async def _engagers(self, post: Post, which: str) -> list[Engagement]:
        out: list[Engagement] = []
        async for page in self._accounts(which, f"/api/v1/statuses/{post.external_id}/{which}", 10_000):
            out.extend((p, None) for p in page)  # Mastodon does not say when
        return out

    async def likers(self, post: Post) -> list[Engagement]:
        return await self._engagers(post, "favourited_by")

    async def reposters(self, post: Post) -> list[Engagement]:
        return await self._engagers(post, "reblogged_by")

    async def replies(self, post: Post) -> list[Post]:
        body, _ = await self.fetcher.get(f"{self.base}/api/v1/statuses/{post.external_id}/context")
        return [r for r in parse_context(body) if r.in_reply_to == post.external_id]

    async def hashtag(self, tag: str, limit: int) -> list[Post]:
        out: list[Post] = []
        path = f"/api/v1/timelines/tag/{tag.lstrip('#')}"
        async for page in self._pages("tag", path, {"limit": STATUS_PAGE}, limit):
            out.extend(parse_status(s) for s in page)
        return out
