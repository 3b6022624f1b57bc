"""Tracked content through the API: a CSV import of 1,000 post snapshots is idempotent and its totals are
the report's; disclosure findings on a planted set of posts flag every miss and no correctly disclosed post."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import Tenant

pytestmark = pytest.mark.anyio
START = datetime(2026, 11, 1, tzinfo=UTC)
PLATFORMS = {"sari.kopi": "instagram", "budi.brew": "tiktok", "KopiChannel": "youtube", "kopi_x": "x"}
METRICS = ("views", "reach", "impressions", "likes", "comments", "shares", "saves")


async def setup_campaign(client: httpx.AsyncClient, tenant: Tenant, **extra: Any) -> tuple[str, dict[str, str]]:
    body = {"name": "Kopi", "currency": "MYR", "destination_url": "https://kedai.example/", **extra}
    campaign = (await client.post("/v1/campaigns", headers=tenant.headers(), json=body)).json()
    ids = {}
    for handle, platform in PLATFORMS.items():
        r = await client.post(
            f"/v1/campaigns/{campaign['id']}/creators",
            headers=tenant.headers(),
            json={"platform": platform, "handle": handle},
        )
        assert r.status_code == 201, r.text
        ids[handle] = r.json()["id"]
    return campaign["id"], ids


def snapshot_rows(seed: int, posts: int = 100, per_post: int = 10) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows = []
    handles = list(PLATFORMS)
    for p in range(posts):
        handle = handles[p % len(handles)]
        url = f"https://{PLATFORMS[handle]}.example/{handle}/post/{p}"
        values = dict.fromkeys(METRICS, 0)
        for s in range(per_post):
            for m in METRICS:
                values[m] += rng.randint(0, 500)
            row = {"post_url": url, "creator": handle if s == 0 or rng.random() < 0.5 else "", "platform": ""}
            row["taken_at"] = (START + timedelta(hours=6 * s, minutes=p)).isoformat()
            row.update({m: "" if m == "saves" and rng.random() < 0.1 else str(values[m]) for m in METRICS})
            rows.append(row)
    return rows


def to_csv(rows: list[dict[str, str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["post_url", "creator", "platform", "taken_at", *METRICS])
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode()


def latest_totals(rows: list[dict[str, str]]) -> dict[str, dict[str, int]]:
    """Per creator: the latest snapshot of each post, summed, computed here from the file itself."""
    latest: dict[str, dict[str, str]] = {}
    owner: dict[str, str] = {}
    for r in rows:
        if r["creator"]:
            owner[r["post_url"]] = r["creator"]
        if r["post_url"] not in latest or r["taken_at"] > latest[r["post_url"]]["taken_at"]:
            latest[r["post_url"]] = r
    totals: dict[str, dict[str, int]] = {h: dict.fromkeys(METRICS, 0) for h in PLATFORMS}
    for url, r in latest.items():
        for m in METRICS:
            totals[owner[url]][m] += int(r[m] or 0)
    return totals


class TestSnapshotImport:
    @pytest.mark.parametrize("seed", [3, 11])
    async def test_import_is_idempotent_and_totals_match_the_report(
        self, client: httpx.AsyncClient, tenant: Tenant, seed: int
    ) -> None:
        cid, ids = await setup_campaign(client, tenant)
        rows = snapshot_rows(seed)
        assert len(rows) == 1000
        h = {**tenant.headers(), "content-type": "text/csv"}
        r = await client.post(f"/v1/campaigns/{cid}/content/import", headers=h, content=to_csv(rows))
        assert r.status_code == 200, r.text
        assert r.json() == {
            "rows": 1000,
            "posts_created": 100,
            "snapshots_inserted": 1000,
            "snapshots_updated": 0,
            "snapshots_unchanged": 0,
        }
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        r = await client.post(f"/v1/campaigns/{cid}/content/import", headers=h, content=to_csv(shuffled))
        assert r.json()["snapshots_inserted"] == 0 and r.json()["snapshots_unchanged"] == 1000
        assert r.json()["posts_created"] == 0

        report = (await client.get(f"/v1/campaigns/{cid}/report", headers=tenant.headers())).json()
        expected = latest_totals(rows)
        by_id = {row["creator_id"]: row for row in report["creators"]}
        for handle, creator_id in ids.items():
            row, want = by_id[creator_id], expected[handle]
            assert row["posts"] == 25
            assert {m: row[m] for m in ("views", "impressions", "likes", "comments", "shares", "saves")} == {
                m: want[m] for m in ("views", "impressions", "likes", "comments", "shares", "saves")
            }
            assert row["engagements"] == want["likes"] + want["comments"] + want["shares"] + want["saves"]
            assert row["reach"] == want["reach"] and row["reach_method"] == "reported"
            assert row["engagement_method"] == "reported"
        total = report["total"]
        assert total["engagements"] == sum(r["engagements"] for r in report["creators"])
        assert total["views"] == sum(w["views"] for w in expected.values())

        # A corrected value replaces the stored one; nothing else moves.
        rows[-1] = {**rows[-1], "likes": str(int(rows[-1]["likes"]) + 1)}
        r = await client.post(f"/v1/campaigns/{cid}/content/import", headers=h, content=to_csv(rows))
        assert (r.json()["snapshots_updated"], r.json()["snapshots_unchanged"]) == (1, 999)

    async def test_a_bad_row_stores_nothing(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        cid, _ = await setup_campaign(client, tenant)
        rows = snapshot_rows(1, posts=4, per_post=3)
        rows[5]["likes"] = "-3"
        rows[7]["taken_at"] = "yesterday"
        h = {**tenant.headers(), "content-type": "text/csv"}
        r = await client.post(f"/v1/campaigns/{cid}/content/import", headers=h, content=to_csv(rows))
        assert r.status_code == 422
        assert "line 7" in r.json()["detail"] and "line 9" in r.json()["detail"]
        assert (await client.get(f"/v1/campaigns/{cid}/content", headers=tenant.headers())).json() == []
        template = await client.get("/v1/content-template.csv", headers=tenant.headers())
        assert template.text.startswith("post_url,creator,platform,taken_at,views,reach")


# (caption, paid label, posted offset in days, the findings expected)
PLANTED: list[tuple[str, bool, int, set[str]]] = [
    ("Pagi dengan kopi baru #iklan #KopiKita @kopikita", False, 1, set()),
    ("#IKLAN kopi enak #kopikita bersama @KopiKita.", False, 1, set()),
    ("Paid partnership with @kopikita ☕ #kopikita", False, 2, set()),
    ("Kerja  Sama Berbayar dengan @kopikita #kopikita", False, 2, set()),
    ("Kopi ini ditaja oleh @kopikita #kopikita", False, 3, set()),
    ("Tajaan: @kopikita #kopikita", False, 3, set()),
    ("#ad morning brew #kopikita @kopikita", False, 4, set()),
    ("#sponsored #kopikita @kopikita", False, 4, set()),
    ("#endorse #kopikita @kopikita", False, 4, set()),
    ("#PaidPartnership #kopikita @kopikita", False, 5, set()),
    ("#kerjasama #kopikita @kopikita", False, 5, set()),
    ("Kopi pilihan #kopikita @kopikita", True, 5, set()),  # the platform's paid-partnership label
    ("Morning #adventure with @kopikita #kopikita", False, 1, {"missing_disclosure"}),
    ("Suka banget #kopikita @kopikita #iklankan", False, 1, {"missing_disclosure"}),
    ("kerjasama yang baik #kopikita @kopikita", False, 1, {"missing_disclosure"}),
    ("Not #notsponsored at all #kopikita @kopikita", False, 1, {"missing_disclosure"}),
    ("#iklan kopi enak @kopikita", False, 2, {"missing_hashtag"}),
    ("#iklan kopi enak #kopikita", False, 2, {"missing_mention"}),
    ("#iklan kopi enak #kopikitaa @kopikitaa", False, 2, {"missing_hashtag", "missing_mention"}),
    ("Kopi pagi", False, 2, {"missing_disclosure", "missing_hashtag", "missing_mention"}),
    ("#iklan #kopikita @kopikita", False, 40, {"outside_window"}),
]


class TestDisclosure:
    async def test_planted_posts_are_flagged_exactly(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        cid, ids = await setup_campaign(
            client, tenant, starts_at=START.isoformat(), ends_at=(START + timedelta(days=30)).isoformat()
        )
        r = await client.put(
            f"/v1/campaigns/{cid}/brief",
            headers=tenant.headers(),
            json={"text": "Kopi pagi", "required_hashtags": ["#KopiKita"], "required_mentions": ["@kopikita"]},
        )
        assert r.status_code == 200, r.text
        urls = {}
        for n, (caption, label, days, _) in enumerate(PLANTED):
            body = {
                "creator_id": ids["sari.kopi"],
                "url": f"https://www.instagram.com/p/{n}/",
                "caption": caption,
                "paid_label": label,
                "posted_at": (START + timedelta(days=days)).isoformat(),
            }
            r = await client.post(f"/v1/campaigns/{cid}/content", headers=tenant.headers(), json=body)
            assert r.status_code == 201, r.text
            urls[r.json()["url"]] = n
        posts = (await client.get(f"/v1/campaigns/{cid}/content", headers=tenant.headers())).json()
        for p in posts:
            caption, _, _, expected = PLANTED[urls[p["url"]]]
            assert {f["code"] for f in p["findings"]} == expected, caption
            assert p["compliant"] is (not expected)
        flagged = (await client.get(f"/v1/campaigns/{cid}/compliance", headers=tenant.headers())).json()
        assert len(flagged) == sum(1 for *_, e in PLANTED if e)

    async def test_markers_are_configurable_per_org(
        self, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
    ) -> None:
        r = await client.put("/v1/disclosure-markers", headers=tenant.headers(), json={"markers": ["#Spon", "dibayar"]})
        assert r.status_code == 200 and r.json()["markers"] == ["#spon", "dibayar"]
        assert (
            "#iklan" in (await client.get("/v1/disclosure-markers", headers=other_tenant.headers())).json()["markers"]
        )
        cid, ids = await setup_campaign(client, tenant)
        for n, caption in enumerate(["#iklan kopi", "#spon kopi", "Konten dibayar oleh kedai"]):
            body = {
                "creator_id": ids["budi.brew"],
                "url": f"https://www.tiktok.com/@budi.brew/video/{n}",
                "caption": caption,
            }
            assert (
                await client.post(f"/v1/campaigns/{cid}/content", headers=tenant.headers(), json=body)
            ).status_code == 201
        findings = {
            p["caption"]: [f["code"] for f in p["findings"]]
            for p in (await client.get(f"/v1/campaigns/{cid}/content", headers=tenant.headers())).json()
        }
        assert findings == {"#iklan kopi": ["missing_disclosure"], "#spon kopi": [], "Konten dibayar oleh kedai": []}
        r = await client.put("/v1/disclosure-markers", headers=tenant.headers(), json={"markers": [" "]})
        assert r.status_code == 422
