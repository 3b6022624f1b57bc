"""A campaign's operation settings: commission hold, fee milestone, per-platform reach rate overrides."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal
from uuid import UUID

import msgspec

from campaigns import ops_repository as ops
from campaigns import repository as campaigns_repo
from campaigns.creators import DEFAULT_REACH_RATES, platform_of
from campaigns.models import Campaign
from sql import Conn
from sql.errors import ValidationError


class OperationsIn(msgspec.Struct, forbid_unknown_fields=True):
    commission_hold_days: int | None = None
    fee_milestone: Literal["approved", "live"] | None = None
    reach_rates: dict[str, Decimal] = {}


async def set_operations(conn: Conn, org_id: UUID, campaign_id: UUID, data: OperationsIn) -> Campaign:
    if data.commission_hold_days is not None and not 0 <= data.commission_hold_days <= 365:
        raise ValidationError("commission_hold_days must be between 0 and 365", field="commission_hold_days")
    rates = {}
    for name, rate in data.reach_rates.items():
        if not rate.is_finite() or not 0 < rate <= 1:
            raise ValidationError(f"reach rate of {name} must be in (0, 1]", field="reach_rates")
        rates[platform_of(name)] = rate.quantize(Decimal("0.000001"))
    campaign = await ops.set_operations(conn, org_id, campaign_id, data.commission_hold_days, data.fee_milestone)
    for platform, rate in rates.items():
        await ops.set_reach_rate(conn, campaign_id, platform, rate)
    return campaign


async def reach_rates(conn: Conn, org_id: UUID, campaign_id: UUID) -> dict[str, Decimal]:
    await campaigns_repo.get_campaign(conn, org_id, campaign_id)
    return {**DEFAULT_REACH_RATES, **await ops.reach_rates(conn, campaign_id)}
