"""Reach and engagement for every creator, each figure saying how it was obtained. Pure.

- reach ``measured``: credible followers of the linked crawled account (the report's reach rule).
- reach ``reported``: the latest reported reach of each tracked post, summed over the creator's posts
  (a person reached by two posts counts twice: platforms report reach per post).
- reach ``estimated``: reported followers x the platform's reach rate (documented defaults in
  ``creators.DEFAULT_REACH_RATES``, overridable per campaign).
- engagements: per tracked post, the latest snapshot's likes + comments + shares + saves, or, for a
  crawled post without snapshots, its crawled likes + replies + reposts; ``measured`` when every post
  was crawled, ``reported`` when every post was reported or imported, ``mixed`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

import msgspec

from campaigns.creators import DEFAULT_REACH_RATES
from campaigns.metrics import Report
from campaigns.models import Creator

TOTALS = ("views", "impressions", "likes", "comments", "shares", "saves")


@dataclass
class Audience:
    reach: int = 0
    reach_method: str = "none"
    reach_basis: str = "no linked account, reported reach or reported followers"
    engagements: int = 0
    engagement_method: str = "none"
    posts: int = 0
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TOTALS, 0))


def _post_figures(row: Any) -> tuple[str, dict[str, int], int | None]:
    """(method, totals, reach) of one tracked post from its latest snapshot or its crawled counts."""
    if row["source"] is not None:
        values = {k: int(row[k] or 0) for k in TOTALS}
        method = "measured" if row["source"] == "crawled" else "reported"
        return method, values, None if row["reach"] is None else int(row["reach"])
    if row["like_count"] is not None:
        values = dict.fromkeys(TOTALS, 0)
        values.update(likes=row["like_count"], comments=row["reply_count"], shares=row["repost_count"])
        return "measured", values, None
    return "none", dict.fromkeys(TOTALS, 0), None


def audiences(
    creators: list[Creator], measured: dict[UUID | None, int], posts: list[Any], rates: dict[str, Decimal]
) -> dict[UUID, Audience]:
    out = {c.id: Audience() for c in creators}
    reported_reach: dict[UUID, tuple[int, int]] = {}
    methods: dict[UUID, set[str]] = {c.id: set() for c in creators}
    for row in posts:
        a = out.get(row["creator_id"])
        if a is None:
            continue
        method, values, reach = _post_figures(row)
        a.posts += 1
        for k, v in values.items():
            a.totals[k] += v
        if method != "none":
            methods[row["creator_id"]].add(method)
        if reach is not None:
            total, n = reported_reach.get(row["creator_id"], (0, 0))
            reported_reach[row["creator_id"]] = (total + reach, n + 1)
    for c in creators:
        a = out[c.id]
        t = a.totals
        a.engagements = t["likes"] + t["comments"] + t["shares"] + t["saves"]
        found = methods[c.id]
        a.engagement_method = "none" if not found else found.pop() if len(found) == 1 else "mixed"
        _reach(c, a, measured, reported_reach.get(c.id), rates)
    return out


def _reach(
    c: Creator,
    a: Audience,
    measured: dict[UUID | None, int],
    reported: tuple[int, int] | None,
    rates: dict[str, Decimal],
) -> None:
    if c.account_id is not None:
        a.reach, a.reach_method = measured.get(c.id, 0), "measured"
        a.reach_basis = "credible followers of the linked crawled account"
    elif reported is not None:
        a.reach, a.reach_method = reported[0], "reported"
        a.reach_basis = f"latest reported reach of {reported[1]} tracked post(s), summed"
    elif c.reported_followers is not None:
        rate = rates.get(c.platform, DEFAULT_REACH_RATES.get(c.platform, DEFAULT_REACH_RATES["other"]))
        a.reach = int((Decimal(c.reported_followers) * rate).to_integral_value(ROUND_HALF_UP))
        a.reach_method = "estimated"
        when = c.reported_followers_at.date().isoformat() if c.reported_followers_at else "unknown date"
        a.reach_basis = (
            f"{c.reported_followers} reported followers ({c.reported_followers_source}, as of {when}) "
            f"x {c.platform} reach rate {rate}{'' if c.platform not in rates else ' (campaign override)'}"
        )


def total_reach(measured: dict[UUID | None, int], per: dict[UUID, Audience]) -> int:
    """Measured reach deduplicated across crawled creators, plus everyone else's reach."""
    return measured.get(None, 0) + sum(a.reach for a in per.values() if a.reach_method != "measured")


def annotate(report: Report, per: dict[UUID, Audience], cpm: Decimal, cpe: Decimal) -> Report:
    """The report with each creator's methods and post totals, and the EMV formula with its inputs."""
    rows = []
    for f in report.creators:
        a = per.get(f.creator_id) if f.creator_id else None
        if a is None:
            rows.append(f)
            continue
        rows.append(
            msgspec.structs.replace(
                f,
                reach_method=a.reach_method,
                reach_basis=a.reach_basis,
                engagement_method=a.engagement_method,
                posts=a.posts,
                **a.totals,
            )
        )
    methods = sorted({r.reach_method for r in rows})
    total = msgspec.structs.replace(
        report.total,
        reach_method=methods[0] if len(methods) == 1 else "mixed",
        reach_basis="measured reach deduplicated across crawled creators, plus every other creator's reach",
        engagement_method=_combined([r.engagement_method for r in rows]),
        posts=sum(r.posts for r in rows),
        **{k: sum(getattr(r, k) for r in rows) for k in TOTALS},
    )
    formula = (
        f"emv = reach x reference_cpm / 1000 + engagements x reference_cpe "
        f"(reference_cpm = {cpm}, reference_cpe = {cpe} {report.currency}; reach and engagements per row)"
    )
    return msgspec.structs.replace(report, creators=rows, total=total, emv_formula=formula)


def _combined(methods: list[str]) -> str:
    found = {m for m in methods if m != "none"}
    return "none" if not found else found.pop() if len(found) == 1 else "mixed"
