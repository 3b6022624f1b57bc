"""Creators on any platform: who they are (platform, handle, profile URL), the crawled account that is
them when there is one, and follower counts they reported.

A creator needs no crawl: promo codes, links, orders and ROI work for everyone. A crawled account is
linked when the caller names it, or when platform and handle match it exactly; an account with the same
name elsewhere is only *suggested* (``suggested_account_id``) until someone links it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlsplit
from uuid import UUID

import msgspec

from campaigns import money
from campaigns import ops_repository as repo
from campaigns.models import Creator, CreatorIn
from sql import Conn
from sql.errors import ValidationError

PLATFORMS = (
    "instagram",
    "tiktok",
    "youtube",
    "x",
    "threads",
    "facebook",
    "twitch",
    "linkedin",
    "mastodon",
    "bluesky",
    "other",
)
# Platforms Sorot crawls itself: their accounts can be linked and their posts refreshed on a schedule.
CRAWLABLE = frozenset({"mastodon", "bluesky"})
# Crawled accounts' own platform names mapped to a creator platform.
ACCOUNT_PLATFORM = {"mastodon": "mastodon", "bluesky": "bluesky"}
PROFILE_URLS = {
    "instagram": "https://www.instagram.com/{h}/",
    "tiktok": "https://www.tiktok.com/@{h}",
    "youtube": "https://www.youtube.com/@{h}",
    "x": "https://x.com/{h}",
    "threads": "https://www.threads.net/@{h}",
    "facebook": "https://www.facebook.com/{h}",
    "twitch": "https://www.twitch.tv/{h}",
    "linkedin": "https://www.linkedin.com/in/{h}",
    "bluesky": "https://bsky.app/profile/{h}",
}
# Documented share of followers a post reaches, per platform, when nothing is measured or reported
# (industry organic-reach medians; a campaign can override each). Used only for "estimated" reach.
DEFAULT_REACH_RATES: dict[str, Decimal] = {
    "instagram": Decimal("0.20"),
    "tiktok": Decimal("0.25"),
    "youtube": Decimal("0.15"),
    "x": Decimal("0.05"),
    "threads": Decimal("0.10"),
    "facebook": Decimal("0.05"),
    "twitch": Decimal("0.10"),
    "linkedin": Decimal("0.10"),
    "mastodon": Decimal("0.10"),
    "bluesky": Decimal("0.10"),
    "other": Decimal("0.10"),
}
_HANDLE = re.compile(r"^[^\s/?#]{1,100}$")


@dataclass(frozen=True)
class Identity:
    account_id: int | None
    platform: str
    handle: str
    profile_url: str | None
    suggested_account_id: int | None


def platform_of(value: str | None) -> str:
    p = (value or "").strip().lower()
    if p == "twitter":
        p = "x"
    if p not in PLATFORMS:
        raise ValidationError(f"platform must be one of {', '.join(PLATFORMS)}", field="platform")
    return p


def clean_handle(handle: str) -> str:
    h = handle.strip().lstrip("@")
    if not _HANDLE.match(h):
        raise ValidationError("handle: 1-100 characters, no spaces, '/', '?' or '#'", field="handle")
    return h


def profile_url(platform: str, handle: str, given: str | None) -> str | None:
    if given:
        parts = urlsplit(given)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValidationError("profile_url must be an absolute http(s) URL", field="profile_url")
        return given
    if platform == "mastodon" and "@" in handle:
        user, host = handle.split("@", 1)
        return f"https://{host}/@{quote(user)}"
    template = PROFILE_URLS.get(platform)
    return template.format(h=quote(handle)) if template else None


async def resolve(conn: Conn, org_id: UUID, data: CreatorIn) -> Identity:
    """Who the creator is: linked to a crawled account when named or matching exactly, else suggested."""
    if data.account_id is not None:
        account = await repo.account_by_id(conn, org_id, data.account_id)
        if account is None:
            raise ValidationError("no such account (or it opted out of indexing)", field="account_id")
        platform, handle = ACCOUNT_PLATFORM.get(account["platform"], "other"), account["handle"]
        full = f"{handle}@{account['host']}" if platform == "mastodon" and "@" not in handle else handle
        return Identity(account["id"], platform, handle, profile_url(platform, full, data.profile_url), None)
    if not data.handle or not data.platform:
        raise ValidationError("give account_id, or platform and handle", field="handle")
    platform, handle = platform_of(data.platform), clean_handle(data.handle)
    account_id = suggested = None
    if platform in CRAWLABLE:
        local, _, host = handle.partition("@")
        account = await repo.account_exact(conn, org_id, platform, handle, local, host)
        account_id = account["id"] if account else None
    if account_id is None:
        match = await repo.account_suggestion(conn, org_id, handle.split("@")[0])
        suggested = match["id"] if match else None
    return Identity(account_id, platform, handle, profile_url(platform, handle, data.profile_url), suggested)


def reported_followers(data: CreatorIn) -> tuple[int | None, str | None, datetime | None]:
    if data.reported_followers is None:
        return None, None, None
    if not 0 <= data.reported_followers < 10**11:
        raise ValidationError("reported_followers must be a non-negative count", field="reported_followers")
    source = (data.reported_followers_source or "").strip() or "manual"
    at = data.reported_followers_at or datetime.now(UTC)
    return data.reported_followers, source[:200], at if at.tzinfo else at.replace(tzinfo=UTC)


def payout_currency(value: str | None) -> str | None:
    return None if value is None else money.currency(value, "payout_currency")


async def save_profile(
    conn: Conn, org_id: UUID, creator: Creator, who: Identity, data: CreatorIn, base_url: str
) -> Creator:
    followers, source, at = reported_followers(data)
    values = [who.profile_url, who.suggested_account_id, followers, source, at, payout_currency(data.payout_currency)]
    return await repo.set_profile(conn, org_id, creator.campaign_id, creator.id, values, base_url)


class ProfilePatch(msgspec.Struct, forbid_unknown_fields=True):
    """Link (or confirm the suggested) crawled account, update reported followers or payout currency."""

    account_id: int | None = None
    accept_suggestion: bool = False
    profile_url: str | None = None
    reported_followers: int | None = None
    reported_followers_source: str | None = None
    reported_followers_at: datetime | None = None
    payout_currency: str | None = None


async def update_profile(
    conn: Conn, org_id: UUID, campaign_id: UUID, creator_id: UUID, patch: ProfilePatch, base_url: str
) -> Creator:
    current = await repo.get_creator(conn, org_id, campaign_id, creator_id, base_url)
    account_id = patch.account_id
    if patch.accept_suggestion:
        if current.suggested_account_id is None:
            raise ValidationError("this creator has no suggested account", field="accept_suggestion")
        account_id = current.suggested_account_id
    if account_id is not None:
        if await repo.account_by_id(conn, org_id, account_id) is None:
            raise ValidationError("no such account (or it opted out of indexing)", field="account_id")
        current = await repo.link_account(conn, org_id, campaign_id, creator_id, account_id, base_url)
    merged = CreatorIn(
        profile_url=patch.profile_url or current.profile_url,
        reported_followers=patch.reported_followers,
        reported_followers_source=patch.reported_followers_source,
        reported_followers_at=patch.reported_followers_at,
        payout_currency=patch.payout_currency or current.payout_currency,
    )
    followers: tuple[Any, ...] = reported_followers(merged)
    if patch.reported_followers is None:
        followers = (current.reported_followers, current.reported_followers_source, current.reported_followers_at)
    url = profile_url(current.platform, current.handle, merged.profile_url)
    values = [url, current.suggested_account_id, *followers, payout_currency(merged.payout_currency)]
    return await repo.set_profile(conn, org_id, campaign_id, creator_id, values, base_url)
