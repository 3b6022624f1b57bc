"""What listening stores and answers, as msgspec Structs."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import msgspec

from listening.rules import Terms

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


class AlertSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Spike detection for a monitor's brand mentions (method in the README)."""

    window_minutes: int = 5
    baseline_windows: int = 24
    min_baseline_windows: int = 6
    threshold: float = 3.0
    min_count: int = 6
    cooldown_minutes: int = 60
    volume: bool = False  # also alert on volume spikes whatever their sentiment


class Spike(msgspec.Struct, frozen=True):
    kind: Literal["negative", "volume"]
    at: datetime
    window_start: datetime
    observed: int
    total: int
    baseline: float
    sigma: float
    z: float
    evidence: list[int]


SourceKind = Literal["public", "hashtag", "search", "jetstream"]


class SourceIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Where to listen. Mastodon: ``public`` (the server's public timeline and stream), ``hashtag``
    (``query`` = the tag) or ``search`` (``query``, needs the server's full-text search). Bluesky:
    ``search`` (searchPosts with ``query``) or ``jetstream`` (``stream_url`` = the Jetstream server;
    ``base_url`` = the AppView for author profiles)."""

    platform: Literal["mastodon", "bluesky"]
    kind: SourceKind
    base_url: str
    query: str = ""
    stream_url: str | None = None
    token: str | None = None


class MonitorIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    brand: Terms
    competitors: list[Terms] = msgspec.field(default_factory=list)
    languages: list[str] = msgspec.field(default_factory=list)
    sources: list[SourceIn] = msgspec.field(default_factory=list)
    flagged_terms: list[str] = msgspec.field(default_factory=list)
    alert: AlertSettings = msgspec.field(default_factory=AlertSettings)


class SourceState(msgspec.Struct, frozen=True):
    id: UUID
    platform: str
    kind: str
    base_url: str
    stream_url: str | None
    query: str
    cursor: str | None
    backfilled: bool
    seen: int
    matched: int
    skipped_opted_out: int
    error: str | None
    updated_at: datetime


class Monitor(msgspec.Struct, frozen=True):
    id: UUID
    org_id: UUID
    name: str
    brand: Terms
    competitors: list[Terms]
    languages: list[str]
    flagged_terms: list[str]
    alert: AlertSettings
    active: bool
    created_at: datetime
    sources: list[SourceState] = msgspec.field(default_factory=list)


class SourceJob(msgspec.Struct, frozen=True):
    """A source as the runner needs it (the token included; never shown by the API)."""

    id: UUID
    monitor_id: UUID
    platform: str
    kind: SourceKind
    base_url: str
    stream_url: str | None
    query: str
    token: str | None
    cursor: str | None


class Mention(msgspec.Struct, frozen=True):
    id: int
    platform: str
    uri: str
    url: str
    author_handle: str
    author_followers: int
    text: str
    language: str
    hashtags: list[str]
    created_at: datetime
    likes: int
    reposts: int
    replies: int
    boosts_seen: int
    reach: int
    subjects: list[str]
    rules: list[str]
    sentiment: Label
    confidence: float
    model_version: str
    paid: bool


class MentionPage(msgspec.Struct, frozen=True):
    items: list[Mention]
    next_cursor: str | None


class Alert(msgspec.Struct, frozen=True):
    id: UUID
    monitor_id: UUID
    kind: str
    at: datetime
    window_start: datetime
    observed: int
    total: int
    baseline: float
    sigma: float
    z: float
    evidence: list[int]
    created_at: datetime
    delivered_at: datetime | None


class Evidence(msgspec.Struct, frozen=True):
    id: int
    platform: str
    url: str
    author_handle: str
    text: str
    created_at: datetime
    sentiment: str


class AlertDetail(msgspec.Struct, frozen=True):
    alert: Alert
    posts: list[Evidence]


class Analysis(msgspec.Struct, frozen=True):
    language: str
    label: Label
    confidence: float
    model_version: str


class AnalyzeIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    texts: list[str]
    languages: list[str | None] | None = None


class AnalyzeOut(msgspec.Struct, frozen=True):
    results: list[Analysis]
    models: dict[str, str]


class VolumePoint(msgspec.Struct, frozen=True):
    bucket: datetime
    subject: str
    mentions: int
    engagement: int
    reach: int
    positive: int
    neutral: int
    negative: int


class Voice(msgspec.Struct, frozen=True):
    subject: str
    mentions: int
    engagement: int
    reach: int
    positive: int
    neutral: int
    negative: int
    share_mentions: float = 0.0
    share_engagement: float = 0.0
    share_reach: float = 0.0


class ShareOfVoice(msgspec.Struct, frozen=True):
    subjects: list[Voice]
    total_mentions: int


class TopVoice(msgspec.Struct, frozen=True):
    platform: str
    author_handle: str
    mentions: int
    engagement: int
    followers: int
    negative: int
    account_id: int | None
    profile: str | None


class TopPost(msgspec.Struct, frozen=True):
    id: int
    platform: str
    url: str
    author_handle: str
    text: str
    created_at: datetime
    sentiment: str
    engagement: int


class TermCount(msgspec.Struct, frozen=True):
    term: str
    mentions: int


class Cooccurrence(msgspec.Struct, frozen=True):
    hashtags: list[TermCount]
    terms: list[TermCount]
