"""Campaign records and the shapes of requests about them. Money is always Decimal."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from campaigns.money import Currency

Model = Literal["last_click", "first_click", "linear"]
MODELS: tuple[Model, ...] = ("last_click", "first_click", "linear")
Source = Literal["shopify", "woocommerce", "stripe"]
# Where a conversion came from: a store's webhook, or the API (which may say it is a store's order,
# so the same order through both counts once).
ConversionSource = Literal["api", "shopify", "woocommerce", "stripe"]
OrderStatus = Literal["pending", "voided", "paid", "test"]
Method = Literal["promo_code", "click_id", "ref"]

AMOUNT_PATTERN = r"^-?[0-9]+(\.[0-9]{1,6})?$"
Amount = Annotated[
    str,
    msgspec.Meta(
        pattern=AMOUNT_PATTERN,
        description="A decimal amount as a string, in the currency named beside it, with that currency's "
        "ISO 4217 decimals (e.g. 12.50 EUR, 1200 JPY, 1.234 KWD).",
        examples=["12.50"],
    ),
]
Ratio = Annotated[
    str,
    msgspec.Meta(pattern=AMOUNT_PATTERN, description="A decimal number as a string (4 decimals).", examples=["0.2500"]),
]
Share = Annotated[
    str,
    msgspec.Meta(
        pattern=AMOUNT_PATTERN,
        description="Attributed conversions as a decimal string (6 decimals); each order's shares sum to exactly 1.",
        examples=["0.333334"],
    ),
]


class CampaignIn(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    destination_url: str
    currency: str | None = None  # the org's reporting currency when not given
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
    order_id: Annotated[str, msgspec.Meta(min_length=1, max_length=200, description="The store's order id.")]
    occurred_at: datetime
    amount: Decimal
    currency: str
    promo_codes: list[str] = []
    click_id: UUID | None = None
    ref: str | None = None
    customer_id: str | None = None
    new_customer: bool | None = None
    status: OrderStatus = "paid"
    source: Annotated[
        ConversionSource,
        msgspec.Meta(
            description="Whose order id this is: 'api' (default) or the store that also sends it by webhook, "
            "so the same order arriving both ways counts once."
        ),
    ] = "api"
    external_ref: str | None = None


class RefundIn(msgspec.Struct, forbid_unknown_fields=True):
    amount: Decimal
    occurred_at: datetime | None = None
    refund_id: str | None = None
    source: ConversionSource = "api"


class Credit(msgspec.Struct):
    campaign_id: UUID
    creator_id: UUID
    model: Model
    method: Method
    share: Share
    amount: Annotated[Amount, msgspec.Meta(description="The order amount credited (largest remainder, sums to it).")]
    reason: str


class RefundLine(msgspec.Struct):
    refund_id: str
    amount: Annotated[Amount, msgspec.Meta(description="What was applied: never more than was left of the order.")]
    requested: Annotated[Amount, msgspec.Meta(description="What the store or caller asked to refund.")]
    clamped: bool
    occurred_at: datetime


class Conversion(msgspec.Struct):
    id: UUID
    source: ConversionSource
    order_id: str
    occurred_at: datetime
    amount: Amount
    currency: Currency  # type: ignore[valid-type]
    status: Annotated[OrderStatus, msgspec.Meta(description="Only 'paid' orders count as revenue.")]
    promo_codes: list[str]
    click_id: UUID | None
    ref: str | None
    customer_id: str | None
    new_customer: bool | None
    refunded: Amount
    refunds: list[RefundLine]
    credits: list[Credit]
    duplicate: bool = False


class ConversionPage(msgspec.Struct):
    items: list[Conversion]
    next_cursor: Annotated[str | None, msgspec.Meta(description="Pass as ?cursor= for the next page.")]


class EventOutcome(msgspec.Struct):
    kind: Literal["order", "refund", "cancellation"]
    order_id: str
    outcome: Literal["recorded", "duplicate", "updated", "parked", "clamped", "applied"]
    conversion_id: UUID | None
    detail: str


class WebhookResult(msgspec.Struct):
    result: str
    conversion_ids: Annotated[list[UUID], msgspec.Meta(description="The conversions this delivery created or touched.")]
    events: list[EventOutcome]


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
    day: Annotated[date, msgspec.Meta(description="The day of the rate (it serves until the staleness limit).")]
    base: Annotated[str, msgspec.Meta(pattern="^[A-Za-z]{3}$", description="ISO 4217 code converted from.")]
    quote: Annotated[str, msgspec.Meta(pattern="^[A-Za-z]{3}$", description="ISO 4217 code converted to.")]
    rate: Annotated[Decimal, msgspec.Meta(description="Units of quote per one unit of base, e.g. 1.0842.")]
    source: Annotated[str, msgspec.Meta(max_length=40, description="Where the rate came from, e.g. ecb.")] = "api"


class FxStored(msgspec.Struct):
    stored: int


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


class FxRate(msgspec.Struct):
    day: date
    base: Currency  # type: ignore[valid-type]
    quote: Currency  # type: ignore[valid-type]
    rate: Annotated[str, msgspec.Meta(pattern=r"^[0-9]+(\.[0-9]+)?$", description="Units of quote per base.")]
    source: str


class DayFigures(msgspec.Struct):
    day: date
    clicks: int
    human_clicks: int
    unique_clicks: int
    conversions: Share
