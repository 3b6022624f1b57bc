"""Campaign records and the shapes of requests about them. Money is always Decimal."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

import msgspec

Model = Literal["last_click", "first_click", "linear"]
MODELS: tuple[Model, ...] = ("last_click", "first_click", "linear")
Source = Literal["shopify", "woocommerce", "stripe"]


class CampaignIn(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    currency: str
    destination_url: str
    budget: Decimal = Decimal(0)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    hashtag: str | None = None
    attribution_days: int = 30
    model: Model = "last_click"
    reference_cpm: Decimal = Decimal("10")
    reference_cpe: Decimal = Decimal("0.10")


class CampaignPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: str | None = None
    budget: Decimal | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    hashtag: str | None = None
    attribution_days: int | None = None
    model: Model | None = None
    reference_cpm: Decimal | None = None
    reference_cpe: Decimal | None = None


class Campaign(msgspec.Struct):
    id: UUID
    name: str
    slug: str
    currency: str
    budget: Decimal
    starts_at: datetime | None
    ends_at: datetime | None
    destination_url: str
    hashtag: str | None
    attribution_days: int
    model: Model
    reference_cpm: Decimal
    reference_cpe: Decimal
    created_at: datetime
    archived_at: datetime | None
    commission_hold_days: int = 30
    fee_milestone: str = "live"


class CreatorIn(msgspec.Struct, forbid_unknown_fields=True):
    account_id: int | None = None
    handle: str | None = None
    platform: str | None = None
    fee: Decimal = Decimal(0)
    gifted: Decimal = Decimal(0)
    commission_pct: Decimal = Decimal(0)
    other_costs: Decimal = Decimal(0)
    promo_code: str | None = None
    profile_url: str | None = None
    reported_followers: int | None = None
    reported_followers_source: str | None = None
    reported_followers_at: datetime | None = None
    payout_currency: str | None = None


class CostsPatch(msgspec.Struct, forbid_unknown_fields=True):
    fee: Decimal | None = None
    gifted: Decimal | None = None
    commission_pct: Decimal | None = None
    other_costs: Decimal | None = None


class Creator(msgspec.Struct):
    id: UUID
    campaign_id: UUID
    account_id: int | None
    platform: str
    handle: str
    fee: Decimal
    gifted: Decimal
    commission_pct: Decimal
    other_costs: Decimal
    promo_code: str
    slug: str
    link: str
    created_at: datetime
    removed_at: datetime | None
    profile_url: str | None = None
    suggested_account_id: int | None = None
    reported_followers: int | None = None
    reported_followers_source: str | None = None
    reported_followers_at: datetime | None = None
    payout_currency: str | None = None


class ConversionIn(msgspec.Struct, forbid_unknown_fields=True):
    order_id: str
    occurred_at: datetime
    amount: Decimal
    currency: str
    promo_codes: list[str] = []
    click_id: UUID | None = None
    ref: str | None = None
    customer_id: str | None = None
    new_customer: bool | None = None


class RefundIn(msgspec.Struct, forbid_unknown_fields=True):
    amount: Decimal
    occurred_at: datetime | None = None
    refund_id: str | None = None


class Credit(msgspec.Struct):
    campaign_id: UUID
    creator_id: UUID
    model: str
    method: str
    share: Decimal
    reason: str


class Conversion(msgspec.Struct):
    id: UUID
    source: str
    order_id: str
    occurred_at: datetime
    amount: Decimal
    currency: str
    promo_codes: list[str]
    click_id: UUID | None
    ref: str | None
    customer_id: str | None
    new_customer: bool | None
    refunded: Decimal
    credits: list[Credit]
    duplicate: bool = False


class IntegrationIn(msgspec.Struct, forbid_unknown_fields=True):
    source: Source
    secret: str
    name: str = ""


class Integration(msgspec.Struct):
    id: UUID
    source: str
    name: str
    created_at: datetime
    webhook_path: str


class FxRateIn(msgspec.Struct, forbid_unknown_fields=True):
    day: date
    base: str
    quote: str
    rate: Decimal


class PostIn(msgspec.Struct, forbid_unknown_fields=True):
    url: str


class CampaignPost(msgspec.Struct):
    id: UUID
    creator_id: UUID
    url: str
    post_id: int | None
    likes: int | None
    reposts: int | None
    replies: int | None
