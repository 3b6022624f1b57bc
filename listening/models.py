"""What listening stores and answers, as msgspec Structs."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

Label = Literal["positive", "neutral", "negative"]


class Sentiment(msgspec.Struct, frozen=True):
    label: Label
    confidence: float
    model: str


class Seen(msgspec.Struct, frozen=True):
    """A post (or a boost/repost of one) as a source saw it, in one shape for every platform."""

    platform: str
    uri: str
    created_at: datetime
    author_id: str
    author_handle: str
    text: str = ""
    url: str = ""
    author_followers: int = 0
    language_tag: str | None = None
    hashtags: tuple[str, ...] = ()
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    boost_of: str | None = None  # a boost or repost: the uri of the original
    opted_out: bool = False
    author_known: bool = True  # False when a stream gave only the author's id (Jetstream's DID)


class Batch(msgspec.Struct, frozen=True):
    """What a source saw since its last batch, and the cursor to resume after it."""

    seen: list[Seen]
    cursor: str | None
    backfill: bool = False
