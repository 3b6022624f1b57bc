"""The brief of a campaign: what the creators are asked to do, and the rules posts are checked against."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from campaigns import deliverables_repository as repo
from campaigns import repository as campaigns_repo
from campaigns.disclosure import Brief as Rules
from campaigns.disclosure import norm
from sql import Conn
from sql.errors import ValidationError

_TAG = re.compile(r"^\w{1,100}$")
_MENTION = re.compile(r"^[\w.]{1,100}(@[\w.-]{1,200})?$")


class BriefIn(msgspec.Struct, forbid_unknown_fields=True):
    text: str = ""
    dos: list[str] = []
    donts: list[str] = []
    required_hashtags: list[str] = []
    required_mentions: list[str] = []
    disclosure_required: bool = True


class Brief(msgspec.Struct):
    campaign_id: UUID
    text: str
    dos: list[str]
    donts: list[str]
    required_hashtags: list[str]
    required_mentions: list[str]
    disclosure_required: bool
    updated_at: datetime | None


def _clean(values: list[str], prefix: str, pattern: re.Pattern[str], field: str) -> list[str]:
    out = []
    for v in values:
        item = norm(v.strip()).lstrip(prefix)
        if not pattern.match(item):
            raise ValidationError(f"{field}: {v!r} is not a valid {prefix}{field.split('_')[1][:-1]}", field=field)
        if item not in out:
            out.append(item)
    return out


async def put(conn: Conn, org_id: UUID, campaign_id: UUID, data: BriefIn) -> Brief:
    await campaigns_repo.get_campaign(conn, org_id, campaign_id)
    if len(data.text) > 20_000 or len(data.dos) + len(data.donts) > 100:
        raise ValidationError("a brief holds up to 20,000 characters and 100 do/don't items", field="text")
    values = [
        data.text,
        [d.strip() for d in data.dos if d.strip()],
        [d.strip() for d in data.donts if d.strip()],
        _clean(data.required_hashtags, "#", _TAG, "required_hashtags"),
        _clean(data.required_mentions, "@", _MENTION, "required_mentions"),
        data.disclosure_required,
    ]
    return Brief(**_fields(await repo.put_brief(conn, org_id, campaign_id, values)))


def _fields(row: Any) -> dict[str, Any]:
    d = dict(row)
    d.pop("org_id")
    return d


async def get(conn: Conn, org_id: UUID, campaign_id: UUID) -> Brief:
    await campaigns_repo.get_campaign(conn, org_id, campaign_id)
    row = await repo.get_brief(conn, org_id, campaign_id)
    if row is None:
        return Brief(campaign_id, "", [], [], [], [], True, None)
    return Brief(**_fields(row))


async def rules(conn: Conn, org_id: UUID, campaign_id: UUID) -> Rules:
    """What posts are checked against: the brief's required hashtags, mentions and disclosure."""
    brief = await get(conn, org_id, campaign_id)
    return Rules(list(brief.required_hashtags), list(brief.required_mentions), brief.disclosure_required)
