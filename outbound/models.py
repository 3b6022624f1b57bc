"""Schedules, subscriptions, events and deliveries as the API shows them (secrets shown once)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import msgspec

EVENT_TYPES = (
    "conversion.created",
    "refund.created",
    "campaign.report.ready",
    "alert.raised",
    "crawl.finished",
)
EventType = Literal["conversion.created", "refund.created", "campaign.report.ready", "alert.raised", "crawl.finished"]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class ScheduleIn(msgspec.Struct, forbid_unknown_fields=True):
    campaign_id: UUID
    timezone: str = msgspec.field(default="UTC")
    cadence: Literal["weekly", "monthly"] = "weekly"
    weekday: Weekday = "monday"
    day_of_month: int = 1
    hour: int = 8
    minute: int = 0
    currency: str | None = None
    recipients: list[str] = msgspec.field(default_factory=list)
    webhook: bool = False


class Schedule(msgspec.Struct):
    id: UUID
    org_id: UUID
    campaign_id: UUID
    cadence: str
    weekday: str
    day_of_month: int
    hour: int
    minute: int
    timezone: str
    currency: str | None
    recipients: list[str]
    webhook: bool
    created_at: datetime
    next_run_at: datetime
    revoked_at: datetime | None


class SubscriptionIn(msgspec.Struct, forbid_unknown_fields=True):
    url: str
    events: list[EventType]


class Subscription(msgspec.Struct):
    id: UUID
    url: str
    events: list[str]
    created_at: datetime
    disabled_at: datetime | None
    secret: str | None = None  # only in the answer that creates it


class Delivery(msgspec.Struct):
    id: UUID
    subscription_id: UUID
    event_id: UUID
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_response: str | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class DeliveryPage(msgspec.Struct):
    items: list[Delivery]
    next_cursor: str | None


class ShareLinkIn(msgspec.Struct, forbid_unknown_fields=True):
    include_costs: bool = False
    days: int = 30


class ShareLink(msgspec.Struct):
    id: UUID
    campaign_id: UUID
    include_costs: bool
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    url: str | None = None  # only in the answer that creates it
