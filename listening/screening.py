"""Screening creators before a campaign: their recent posts that name the brand's competitors (paid or
organic) or use terms from the org's brand-safety list, each with the post's URL as evidence.

Pure: it takes posts and a monitor and returns findings; the service reads the posts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from listening.models import Monitor
from listening.rules import Matcher, compile_term, fold, is_paid

EXCERPT = 280


class CreatorPost(msgspec.Struct, frozen=True):
    account_id: int
    platform: str
    handle: str
    text: str
    hashtags: list[str]
    url: str
    created_at: datetime | None


class ScreeningFinding(msgspec.Struct, frozen=True):
    kind: str  # 'competitor' or 'flagged'
    subject: str  # the competitor's name, or the flagged term
    paid: bool
    url: str
    created_at: datetime | None
    excerpt: str


class CreatorScreen(msgspec.Struct, frozen=True):
    account_id: int
    platform: str
    handle: str
    posts_screened: int
    competitor_paid: int
    competitor_organic: int
    flagged: int
    findings: list[ScreeningFinding]


def screen(posts: Sequence[CreatorPost], monitor: Monitor, account_ids: Sequence[int]) -> list[CreatorScreen]:
    matcher = Matcher(monitor.brand, monitor.competitors)
    flagged = [compile_term(t) for t in monitor.flagged_terms]
    by_account: dict[int, list[CreatorPost]] = {}
    for p in posts:
        by_account.setdefault(p.account_id, []).append(p)
    out = []
    for account_id in dict.fromkeys(account_ids):
        mine = by_account.get(account_id, [])
        findings: list[ScreeningFinding] = []
        for p in mine:
            paid = is_paid(p.text, p.hashtags)
            excerpt = p.text[:EXCERPT]
            for name, _ in matcher.match(p.text, p.hashtags):
                if name != Matcher.BRAND:
                    findings.append(ScreeningFinding("competitor", name, paid, p.url, p.created_at, excerpt))
            folded, tags = fold(p.text), frozenset(fold(h) for h in p.hashtags)
            for term in flagged:
                if term.matches(folded, tags):
                    findings.append(ScreeningFinding("flagged", term.source, paid, p.url, p.created_at, excerpt))
        competitor = [f for f in findings if f.kind == "competitor"]
        out.append(
            CreatorScreen(
                account_id=account_id,
                platform=mine[0].platform if mine else "",
                handle=mine[0].handle if mine else "",
                posts_screened=len(mine),
                competitor_paid=sum(f.paid for f in competitor),
                competitor_organic=sum(not f.paid for f in competitor),
                flagged=len(findings) - len(competitor),
                findings=findings,
            )
        )
    return out
