"""Campaign report over 10 million clicks and 100,000 conversions for 200 creators.

Events are generated in PostgreSQL (generate_series) exactly as the service stores them: clicks
with their per-day counts, conversions in three currencies (EUR, GBP, KWD with three decimals),
ECB-style euro rates on weekdays only (weekend orders use Friday's rate, GBP and KWD reach USD
through cross rates), attributions, refunds. The report is asked in USD, so every conversion and
every cost is converted. Revenue reaches the report through the per-day rollups the database keeps as
attributions and refunds are written (migration 0017); the generation time includes maintaining them.

    uv run python bench/report.py [--clicks 10000000] [--conversions 100000] [--creators 200]
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg

from bench.common import fresh_database, peak_rss_mb, table
from campaigns import service
from campaigns.models import CampaignIn
from sql import tenancy

# Our own ids and numbers only, formatted in, so each script runs as one batch.
SETUP = """
INSERT INTO accounts (platform, host, external_id, handle, shared)
SELECT 'mastodon', 'bench.test', g::text, 'creator' || g, true FROM generate_series(1, {creators}) g;
INSERT INTO campaign_creators (org_id, campaign_id, account_id, platform, handle, fee, gifted, commission_pct,
                               other_costs, promo_code, slug)
SELECT '{org}', '{campaign}', a.id, 'mastodon', a.handle, 100 + a.id % 50, 10, 5, 2.5, 'CODE' || a.id, 'slug' || a.id
FROM accounts a WHERE a.host = 'bench.test';
"""
CLICKS = """
INSERT INTO clicks (org_id, campaign_id, creator_id, click_id, at, visitor, referrer, bot, is_unique)
SELECT '{org}', '{campaign}', c.id, gen_random_uuid(),
       now() - (g % 30) * interval '1 day' - (g % 86400) * interval '1 second',
       int8send(g % 2000000), NULL, g % 10 = 0, g % 3 = 0
FROM generate_series(1, {clicks}) g
JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM campaign_creators WHERE campaign_id = '{campaign}') c
  ON c.k = g % {creators};
INSERT INTO click_daily (creator_id, day, campaign_id, clicks, human, uniq)
SELECT creator_id, (at AT TIME ZONE 'UTC')::date, campaign_id, count(*), count(*) FILTER (WHERE NOT bot),
       count(*) FILTER (WHERE is_unique)
FROM clicks WHERE campaign_id = '{campaign}' GROUP BY 1, 2, 3;
"""
CONVERSIONS = """
INSERT INTO conversions (org_id, source, order_id, occurred_at, amount, currency, promo_codes)
SELECT '{org}', 'shopify', 'o' || g, now() - (g % 30) * interval '1 day',
       CASE g % 3 WHEN 0 THEN round((10 + g % 200)::numeric + 0.99, 2)
                  WHEN 1 THEN round((8 + g % 150)::numeric + 0.49, 2)
                  ELSE round((3 + g % 60)::numeric + 0.125, 3) END,
       CASE g % 3 WHEN 0 THEN 'EUR' WHEN 1 THEN 'GBP' ELSE 'KWD' END, ARRAY['CODE' || g % {creators}]
FROM generate_series(1, {conversions}) g;
INSERT INTO fx_rates (org_id, day, base, quote, rate, source)
SELECT '{org}', d::date, 'EUR', q.quote, q.rate + (extract(day FROM d) / 10000), 'ecb'
FROM generate_series(now() - interval '45 days', now() + interval '1 day', interval '1 day') d
CROSS JOIN (VALUES ('USD', 1.05), ('GBP', 0.87), ('KWD', 0.32)) q(quote, rate)
WHERE extract(isodow FROM d) < 6;
INSERT INTO attributions (conversion_id, org_id, campaign_id, creator_id, model, method, share, reason)
SELECT cv.id, '{org}', '{campaign}', c.id, m, 'promo_code', 1, 'bench'
FROM conversions cv
JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM campaign_creators WHERE campaign_id = '{campaign}') c
  ON c.k = (substr(cv.order_id, 2)::int % {creators})
CROSS JOIN unnest(ARRAY['last_click', 'first_click', 'linear']) m;
INSERT INTO refunds (org_id, conversion_id, refund_id, amount, requested, occurred_at)
SELECT '{org}', id, 'r1', round(amount / 3, 2), round(amount / 3, 2), occurred_at FROM conversions
WHERE order_id LIKE '%7';
ANALYZE;
"""


async def run(db: str, clicks: int, conversions: int, creators: int) -> list[list[object]]:
    conn = await asyncpg.connect(db)
    org = await tenancy.create_org(conn, f"bench-{uuid.uuid4().hex[:6]}")
    campaign = await service.create_campaign(
        conn, org.id, CampaignIn(name="bench", currency="EUR", destination_url="https://shop.example/")
    )
    t = time.perf_counter()
    values = {
        "org": org.id,
        "campaign": campaign.id,
        "clicks": clicks,
        "conversions": conversions,
        "creators": creators,
    }
    await conn.execute("SET max_parallel_workers_per_gather = 2")
    for script in (SETUP, CLICKS, CONVERSIONS):
        await conn.execute(script.format(**values))
    generate = time.perf_counter() - t
    rows = []
    since = datetime.now(UTC).date() - timedelta(days=40)
    for label in ("first", "second"):
        t = time.perf_counter()
        r = await service.campaign_report(conn, org.id, campaign.id, "USD", None, since, None, "http://x")
        assert r.complete, r.fx_errors[:3]
        rows.append(
            [
                label,
                f"{time.perf_counter() - t:.2f}",
                r.total.clicks,
                f"{Decimal(r.total.conversions):,}",
                f"{Decimal(r.total.net_revenue):,}",
                len(r.creators),
                len(r.fx_rates),
            ]
        )
    await conn.close()
    print(f"(generated the events in {generate:.0f} s; peak RSS {peak_rss_mb():.0f} MB)")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clicks", type=int, default=10_000_000)
    parser.add_argument("--conversions", type=int, default=100_000)
    parser.add_argument("--creators", type=int, default=200)
    args = parser.parse_args()
    with fresh_database() as db:
        rows = asyncio.run(run(db, args.clicks, args.conversions, args.creators))
    table(
        f"Campaign report in USD: {args.clicks:,} clicks, {args.conversions:,} conversions in EUR, GBP and KWD "
        f"(weekday ECB rates, cross rates, costs converted), {args.creators} creators",
        ["request", "seconds", "clicks", "conversions", "net revenue USD", "creators", "rates used"],
        rows,
    )


if __name__ == "__main__":
    main()
