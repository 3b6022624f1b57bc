"""What the crawler sees on a platform, in one shape for every platform."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal

import msgspec

Platform = Literal["mastodon", "bluesky"]
PLATFORMS: tuple[Platform, ...] = ("mastodon", "bluesky")
InteractionKind = Literal["like", "repost", "reply", "quote", "mention"]
OPT_OUT_TAGS = re.compile(r"#no(bot|index)\b", re.IGNORECASE)


class Profile(msgspec.Struct, frozen=True):
    external_id: str
    handle: str
    display_name: str = ""
    bio: str = ""
    has_avatar: bool = False
    followers_count: int | None = None
    following_count: int | None = None
    posts_count: int | None = None
    created_at: datetime | None = None
    is_bot: bool = False
    discoverable: bool | None = None
    noindex: bool = False
    labels: tuple[str, ...] = ()
    location: str = ""  # a profile field named like "Location" (Mastodon); audience places read it
    # A short view (a post's author, a search hit, a partial account) that may lack the bio and flags
    # an opt-out lives in: it can show an opt-out, never clear one.
    partial: bool = False

    @property
    def opted_out(self) -> bool:
        """Platforms' own opt-outs: we keep only the handle of such accounts."""
        return (
            self.discoverable is False
            or self.noindex
            or bool(OPT_OUT_TAGS.search(self.bio))
            or "!no-unauthenticated" in self.labels
        )


class Post(msgspec.Struct, frozen=True):
    external_id: str
    author: Profile
    text: str = ""
    hashtags: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    created_at: datetime | None = None
    like_count: int = 0
    repost_count: int = 0
    reply_count: int = 0
    quote_count: int = 0
    url: str = ""
    in_reply_to: str | None = None
    lang: str | None = None  # the platform's language tag (BCP 47), when it sends one


# Who engaged with a post, and when if the platform says (Bluesky likes carry createdAt).
Engagement = tuple[Profile, datetime | None]


class PostList(msgspec.Struct, frozen=True):
    """An account's recent posts, and from when on the list is the whole truth: every post at or after
    ``covers_from`` is in it (``None``: none can be told missing; ``EVERYTHING``: the whole history)."""

    posts: list[Post]
    covers_from: datetime | None

    @classmethod
    def of(cls, posts: list[Post], *, complete: bool, since: datetime | None) -> PostList:
        if complete:
            return cls(posts, since or EVERYTHING)
        times = [p.created_at for p in posts if p.created_at is not None]
        return cls(posts, min(times) if times and len(times) == len(posts) else None)


EVERYTHING = datetime(1970, 1, 1, tzinfo=UTC)
