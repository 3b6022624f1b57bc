"""Post snapshot CSV import: first import, the same file again (idempotent), then the report and the
content list with disclosure checks over the imported posts, for growing files.

    uv run python bench/content.py [--rows 1000 10000 50000] [--creators 50] [--per-post 10]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from bench.common import fresh_database, peak_rss_mb, table
from campaigns import content, content_import, service
from campaigns.models import CampaignIn, CreatorIn
from sql import tenancy

METRICS = ("views", "reach", "impressions", "likes", "comments", "shares", "saves")
CAPTIONS = ("Kopi pagi #iklan @kedai", "Kopi pagi @kedai", "Paid partnership with @kedai", "#adventure kopi")


def make_csv(rows: int, creators: int, per_post: int, seed: int) -> str:
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["post_url", "creator", "taken_at", *METRICS, "caption"])
    for p in range(rows // per_post):
        url = f"https://www.instagram.com/p/bench{p}/"
        for s in range(per_post):
            taken = (start + timedelta(hours=6 * s, seconds=p)).isoformat()
            values = [rng.randint(0, 100_000) for _ in METRICS]
            writer.writerow([url, f"c{p % creators}", taken, *values, CAPTIONS[p % len(CAPTIONS)]])
    return buf.getvalue()


async def run(db: str, sizes: list[int], creators: int, per_post: int) -> list[list[object]]:
    conn = await asyncpg.connect(db)
    rows = []
    for size in sizes:
        org = await tenancy.create_org(conn, f"bench-{uuid.uuid4().hex[:6]}")
        campaign = await service.create_campaign(
            conn, org.id, CampaignIn(name="bench", currency="IDR", destination_url="https://shop.example/")
        )
        for k in range(creators):
            await service.add_creator(conn, org.id, campaign.id, CreatorIn(platform="instagram", handle=f"c{k}"), "")
        text = make_csv(size, creators, per_post, seed=size)
        timings = []
        for _ in range(2):
            t = time.perf_counter()
            async with conn.transaction():
                result = await content_import.import_csv(conn, org.id, campaign.id, text)
            timings.append(time.perf_counter() - t)
        assert result.snapshots_unchanged == size
        t = time.perf_counter()
        report = await service.campaign_report(conn, org.id, campaign.id, None, None, None, None, "")
        report_s = time.perf_counter() - t
        t = time.perf_counter()
        posts = await content.list_posts(conn, org.id, campaign.id)
        list_s = time.perf_counter() - t
        rows.append(
            [
                f"{size:,}",
                f"{size // per_post:,}",
                f"{timings[0]:.2f}",
                f"{size / timings[0]:,.0f}",
                f"{timings[1]:.2f}",
                f"{report_s:.2f}",
                f"{list_s:.2f}",
                sum(1 for p in posts if p.findings),
                f"{report.total.engagements:,}",
            ]
        )
    await conn.close()
    print(f"(peak RSS {peak_rss_mb():.0f} MB)")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    parser.add_argument("--creators", type=int, default=50)
    parser.add_argument("--per-post", type=int, default=10)
    args = parser.parse_args()
    with fresh_database() as db:
        rows = asyncio.run(run(db, args.rows, args.creators, args.per_post))
    table(
        f"Snapshot CSV import ({args.creators} creators, {args.per_post} snapshots per post)",
        [
            "rows",
            "posts",
            "import s",
            "rows/s",
            "re-import s",
            "report s",
            "content + checks s",
            "posts flagged",
            "engagements",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
