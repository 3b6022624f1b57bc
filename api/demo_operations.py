"""The demo's campaign operations: an Instagram creator (not crawlable) beside the crawled ones, with a brief,
a deliverable that goes live, a reported snapshot of its post, and the fee on the payout ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx


async def instagram_creator(api: httpx.AsyncClient, campaign: dict[str, Any]) -> dict[str, Any]:
    cid = campaign["id"]
    await api.put(
        f"/v1/campaigns/{cid}/brief",
        json={"text": "Show the morning brew.", "required_hashtags": ["coffee"], "required_mentions": ["shop"]},
    )
    r = await api.post(
        f"/v1/campaigns/{cid}/creators",
        json={
            "platform": "instagram",
            "handle": "kopi.pagi",
            "fee": "400",
            "commission_pct": "5",
            "reported_followers": 52_000,
            "reported_followers_source": "media kit",
            "payout_currency": "IDR",
        },
    )
    r.raise_for_status()
    creator: dict[str, Any] = r.json()
    due = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    body = {"creator_id": creator["id"], "kind": "post", "due_at": due, "fee_share": "100"}
    deliverable = (await api.post(f"/v1/campaigns/{cid}/deliverables", json=body)).json()
    url = "https://www.instagram.com/p/DemoKopi1/"
    for step in ({"to": "submitted"}, {"to": "approved"}, {"to": "live", "post_url": url}):
        (await api.post(f"/v1/deliverables/{deliverable['id']}/transitions", json=step)).raise_for_status()
    posts = (await api.get(f"/v1/campaigns/{cid}/content")).json()
    post = next(p for p in posts if p["url"] == url)
    snapshot = {"views": 21_400, "reach": 14_900, "likes": 1_320, "comments": 96, "shares": 41, "saves": 210}
    await api.post(f"/v1/campaigns/{cid}/content/{post['id']}/snapshots", json=snapshot)
    return creator


async def summary(api: httpx.AsyncClient, campaign: dict[str, Any]) -> list[str]:
    """Lines about content compliance and what finance owes, for the demo's output."""
    cid = campaign["id"]
    flagged = (await api.get(f"/v1/campaigns/{cid}/compliance")).json()
    balances = (await api.get("/v1/payouts/balances", params={"campaign_id": cid})).json()
    lines = [f"{len(flagged)} tracked post(s) with compliance findings"]
    lines += [f"{f['handle']}: {', '.join(x['code'] for x in f['findings'])}" for f in flagged]
    lines += [f"owed to {b['handle']}: {b['balance']} {b['currency']} (fees {b['fees']})" for b in balances]
    return lines
