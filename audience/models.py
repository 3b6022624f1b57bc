"""Requests and answers of audience segments, saved segments and lookalikes."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec


class Share(msgspec.Struct):
    """``followers`` of the ``n`` credible followers read are in this group: ``share`` with its 95%
    Wilson interval [``low``, ``high``]."""

    key: str
    name: str
    followers: float
    share: float
    low: float
    high: float
    terms: list[str] = []


class Breakdown(msgspec.Struct):
    shares: list[Share]
    other: Share  # groups below the minimum evidence count, together
    unknown: Share  # followers the evidence says nothing (clear) about


class PlaceBreakdown(msgspec.Struct):
    countries: Breakdown
    regions: Breakdown
    cities: Breakdown
    min_evidence: int
    from_location_field: int
    from_bio: int
    server_prior_only: int  # followers placed only by their server's country, at SERVER_PRIOR_WEIGHT each


class InterestBreakdown(msgspec.Struct):
    """Share of followers who posted a cluster's hashtags (a follower may be in several)."""

    shares: list[Share]
    unknown: Share  # followers with no hashtag at all
    clusters_in_snapshot: int


class AudienceSegments(msgspec.Struct):
    account_id: int | None  # None for a target audience
    handle: str
    platform: str
    followers_stored: int
    suspect_excluded: int
    credible_followers: int
    sample_size: int
    method: str
    languages: Breakdown
    places: PlaceBreakdown
    interests: InterestBreakdown


class TargetAudience(msgspec.Struct, forbid_unknown_fields=True):
    """A brand's target audience to describe: followers of seed accounts, listed accounts, a saved segment."""

    platform: str
    seed_accounts: list[int | str] = []
    accounts: list[int | str] = []
    segment: UUID | None = None


class Bound(msgspec.Struct, forbid_unknown_fields=True):
    min: float | None = None
    max: float | None = None


class AudienceFilter(msgspec.Struct, forbid_unknown_fields=True):
    """Constraints on a creator's audience shares: ``{"languages": {"id": {"min": 0.4}}}``. Place keys
    are gazetteer ids or names (``ID:jakarta``, ``Jakarta``, ``MY``); interest keys are hashtags."""

    languages: dict[str, Bound] = {}
    places: dict[str, Bound] = {}
    interests: dict[str, Bound] = {}


class SegmentDefinition(msgspec.Struct, forbid_unknown_fields=True):
    """Who is in a segment: accounts matching every attribute given (any of the listed values), and/or
    followers of the seed accounts."""

    languages: list[str] = []
    places: list[str] = []
    interests: list[str] = []
    seed_accounts: list[int | str] = []


class SegmentRequest(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    platform: str
    definition: SegmentDefinition


class Segment(msgspec.Struct):
    id: UUID
    name: str
    platform: str
    definition: SegmentDefinition
    created_at: datetime


class Lookalike(msgspec.Struct):
    rank: int
    account_id: int
    handle: str
    similarity: float
    audience_similarity: float  # Jaccard of credible follower sets
    content_similarity: float  # cosine of hashtag profiles (TF-IDF)
    audience: int  # credible followers
    shared_audience: int  # credible followers shared with the seed creator
    shared_share: float  # shared_audience / audience
    new_reach: int  # credible followers the seed creator does not have


class Lookalikes(msgspec.Struct):
    account_id: int
    handle: str
    mode: str
    method: str  # how shared audiences were counted, and the error if estimated
    seed_audience: int
    candidates: int
    lookalikes: list[Lookalike]
