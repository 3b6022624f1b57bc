"""What the crawler sees on a platform, in one shape for every platform."""

from __future__ import annotations

import re
from datetime import datetime
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
