"""Requests and answers of ranking, overlap, audience and shortlists."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from audience.models import AudienceFilter

Objective = Literal["reach", "efficiency", "engagement", "custom"]
HiddenFollowers = Literal["engaged", "all", "none"]
COMPONENTS = ("reach", "topic_rank", "audience_fit", "authenticity", "engagement_rate", "pagerank")

DEFAULT_WEIGHTS: dict[str, float] = {
    "topic_rank": 0.30,
    "audience_fit": 0.30,
    "authenticity": 0.20,
    "engagement_rate": 0.15,
    "pagerank": 0.05,
}


# Bounds on what one request may ask for: each keyword is a pattern scan over stored posts, and
# 85,000 of them once held a database backend for 80 s.
Term = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Ref = int | str  # an account id or a handle


class Topic(msgspec.Struct, forbid_unknown_fields=True):
    hashtags: Annotated[list[Term], msgspec.Meta(max_length=50)] = []
    keywords: Annotated[list[Term], msgspec.Meta(max_length=50)] = []


class Target(msgspec.Struct, forbid_unknown_fields=True):
    """The brand's audience: followers of seed accounts, and/or an uploaded list (ids or handles)."""

    seed_accounts: Annotated[list[Ref], msgspec.Meta(max_length=100)] = []
    accounts: Annotated[list[Ref], msgspec.Meta(max_length=20_000)] = []
    exclude: Annotated[list[Ref], msgspec.Meta(max_length=20_000)] = []  # e.g. competitors' accounts: never candidates
    segment: UUID | None = None  # a saved audience segment (POST /v1/segments): its members are the target


class Filters(msgspec.Struct, forbid_unknown_fields=True):
    min_followers: int = 0
    max_followers: int | None = None
    min_authenticity: float = 0.0
    max_bought_share: float = 0.2  # creators with more of their followers in follower farms are left out
    # A hidden follower list cannot be checked for bought followers: "none" (default) leaves them out, "engaged"
    # keeps one when its engagement vouches for its reported audience, "all" keeps every one.
    hidden_followers: HiddenFollowers = "none"


class RankingRequest(msgspec.Struct, forbid_unknown_fields=True):
    platform: str
    topic: Topic = msgspec.field(default_factory=Topic)
    target: Target = msgspec.field(default_factory=Target)
    filters: Filters = msgspec.field(default_factory=Filters)
    objective: Objective | None = None  # default "reach"; "custom" when only weights are given
    weights: dict[str, float] | None = None
    exclude: list[int | str] = []  # accounts that are never candidates (the target's seeds never are)
    fees: dict[str, Decimal] = {}  # account id -> fee, for "efficiency"; others use the default fee model
    limit: int = 50
    pool: int = 1000
    window_days: int = 90
    audience: AudienceFilter | None = None  # e.g. {"languages": {"id": {"min": 0.4}}}: creators' audience shares


class Component(msgspec.Struct):
    raw: float | None
    percentile: float


class ExpectedReach(msgspec.Struct):
    """Distinct credible target accounts one topical post of the creator is expected to reach."""

    value: float
    low: float  # 95% interval
    high: float
    text: str  # "~310 of your 1,343 target accounts (95% interval 250-380)"
    target_followers: float  # K: credible followers inside the target (scaled up from a stored sample)
    view_probability: float  # v: a follower sees one topical post
    engagement_rate: float  # r: smoothed engagements per credible follower per topical post
    first_hop: float  # K x v
    second_hop: float  # S: through reposters
    expected_engagements: float  # K x r: engagements from the target per topical post
    topical_posts: int  # stored topical posts in the window the rate was learnt from
    engagements_observed: int


class RankedCreator(msgspec.Struct):
    rank: int
    account_id: int
    handle: str
    followers_count: int | None
    score: float  # the objective's value: expected reach, reach per 100 of fee, engagements, or weighted score
    expected_reach: ExpectedReach
    fee: Decimal  # given, or the default fee model's
    components: dict[str, Component]
    authenticity_low: float
    authenticity_high: float
    sample_size: int
    reachability: float | None
    target_coverage: float | None
    in_degree: int
    core_number: int
    community: int


class Ranking(msgspec.Struct):
    platform: str
    snapshot_built_at: datetime
    accounts_in_graph: int
    edges_in_graph: int
    candidates_considered: int
    target_size: int
    objective: Objective
    formula: str  # how ``score`` was computed, in words
    weights: dict[str, float]  # custom objective only; empty otherwise
    excluded: dict[str, int]  # accounts left out of the candidates, by reason
    creators: list[RankedCreator]


class OverlapRequest(msgspec.Struct, forbid_unknown_fields=True):
    account_ids: list[int]


class OverlapCreator(msgspec.Struct):
    account_id: int
    handle: str
    audience: int
    unique: int
    unique_share: float


class OverlapPair(msgspec.Struct):
    a: int
    b: int
    shared: int
    jaccard: float


class OverlapReport(msgspec.Struct):
    creators: list[OverlapCreator]
    pairs: list[OverlapPair]
    union: int
    expected_frequency: float
    method: str = "exact"


class FollowerCommunity(msgspec.Struct):
    community: int
    followers: int
    share: float
    top_hashtags: list[str]


class Audience(msgspec.Struct):
    account_id: int
    handle: str
    followers_stored: int
    sample_size: int
    authenticity: float
    authenticity_low: float
    authenticity_high: float
    reachability: float | None
    suspect_reasons: dict[str, int]
    top_hashtags: list[dict[str, object]]
    communities: list[FollowerCommunity]


class ShortlistRequest(msgspec.Struct, forbid_unknown_fields=True):
    ranking: RankingRequest
    budget: Decimal
    k: int = 10
    fees: dict[str, Decimal] = {}  # account id -> fee; others use the default fee model
    max_per_community: int | None = None
    candidates: int = 100


class ShortlistPick(msgspec.Struct):
    account_id: int
    handle: str
    fee: Decimal
    marginal_reach: float  # expected credible target accounts this pick adds to those before it
    expected_reach: float  # alone
    score: float
    community: int


class Shortlist(msgspec.Struct):
    id: UUID
    created_at: datetime
    platform: str
    budget: Decimal
    total_fee: Decimal
    reach: int  # expected distinct credible target accounts reached by one topical post of each pick
    baseline_reach: int  # taking creators in ranking order within the same budget, for comparison
    method: str
    picks: list[ShortlistPick]
