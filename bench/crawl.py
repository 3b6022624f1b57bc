"""Crawl throughput and rate-limit compliance against a simulated world served by another process.

(a) no rate limit: pages/s, follow edges stored/s, peak RSS of the crawler.
(b) with a rate limit of R requests per W-second window: requests sent vs allowed, 429s.

    uv run python bench/crawl.py [--accounts 50000] [--rate-limit 200 --window 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
import uuid

import asyncpg
import httpx

from bench.common import fresh_database, peak_rss_mb, simulator_process, table
from discovery import frontier, service
from discovery.service import CrawlRequest
from discovery.simulator.serve import free_port
from discovery.worker import run_crawl
from sql import tenancy


async def crawl(database_url: str, sim_url: str, seeds: list[str], concurrency: int, **budget: int) -> dict[str, float]:
    async with asyncpg.create_pool(database_url, min_size=2, max_size=concurrency + 4) as pool:
        async with pool.acquire() as conn:
            org = await tenancy.create_org(conn, f"bench-{uuid.uuid4().hex[:6]}")
            req = CrawlRequest(platform="mastodon", base_url=sim_url, seeds=seeds, **budget)
            crawl_id = (await service.create(conn, org.id, req, allow_private=True)).id
        started = time.perf_counter()
        status = await run_crawl(pool, crawl_id, allow_private=True, concurrency=concurrency)
        seconds = time.perf_counter() - started
        async with pool.acquire() as conn:
            p = await frontier.progress(conn, crawl_id)
    assert status == "done", status
    return {
        "seconds": seconds,
        "requests": p.counters.requests,
        "follows": p.counters.follows_new,
        "accounts": p.counters.accounts_new,
        "posts": p.counters.posts_new,
        "interactions": p.counters.interactions_new,
        "waits": p.counters.wait_seconds,
        "retries": p.counters.retries,
    }


def most_followed(accounts: int, seed: int, count: int) -> list[str]:
    """The world's most-followed accounts: the creators a brand would crawl. Found in a child process so
    building the world does not count in the crawler's peak memory."""
    code = (
        "import json, sys, numpy as np\n"
        "from discovery.simulator.world import build_world\n"
        f"w = build_world({accounts}, seed={seed})\n"
        f"top = np.argsort(-np.diff(w.followers.indptr), kind='stable')[:{count}]\n"
        "print(json.dumps([f'user{i}' for i in top if not w.is_opted_out(int(i), 'mastodon')]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return list(json.loads(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--creators", type=int, default=300, help="most-followed accounts crawled in (a)")
    parser.add_argument("--rate-limit", type=int, default=200)
    parser.add_argument("--window", type=float, default=5.0)
    parser.add_argument("--rate-seconds", type=float, default=30.0, help="how long to run (b), roughly")
    args = parser.parse_args()
    creators = most_followed(args.accounts, args.seed, args.creators)

    with fresh_database() as db, simulator_process(args.accounts, args.seed, free_port()) as url:
        a = asyncio.run(
            crawl(
                db,
                url,
                creators,
                args.concurrency,
                max_accounts=len(creators),
                max_depth=0,
                max_followers=100_000,
                max_following=0,
                posts_per_account=0,
            )
        )
    rss = peak_rss_mb()
    table(
        f"(a) crawl, no rate limit: {args.accounts:,}-account world, the {len(creators)} most-followed accounts "
        f"and all their followers, concurrency {args.concurrency}",
        [
            "seconds",
            "requests (pages)",
            "pages/s",
            "follow edges stored",
            "edges stored/s",
            "accounts stored",
            "peak RSS MB (crawler)",
        ],
        [
            [
                f"{a['seconds']:.1f}",
                int(a["requests"]),
                f"{a['requests'] / a['seconds']:.0f}",
                int(a["follows"]),
                f"{a['follows'] / a['seconds']:,.0f}",
                int(a["accounts"]),
                f"{rss:.0f}",
            ]
        ],
    )

    # (b): enough work to outlast the chosen time at the allowed rate.
    budget = int(args.rate_limit / args.window * args.rate_seconds / 3)
    extra = ["--rate-limit", str(args.rate_limit), "--window", str(args.window)]
    with fresh_database() as db, simulator_process(args.accounts, args.seed, free_port(), *extra) as url:
        b = asyncio.run(
            crawl(
                db,
                url,
                creators[:5],
                args.concurrency,
                max_accounts=budget,
                max_depth=2,
                max_followers=80,
                max_following=80,
                posts_per_account=0,
            )
        )
        stats = httpx.get(url + "/_sim/stats").json()
    per_window = {int(w): n for w, n in stats["by_window"].items()}
    windows = sorted(per_window)
    # The first and last windows are partial (the crawl starts and ends inside them): judge the full ones.
    full = windows[1:-1]
    sent_full = sum(min(per_window[w], args.rate_limit) for w in full)
    allowed_full = args.rate_limit * len(full)
    late_429 = sum(n for w, n in stats["limited_by_window"].items() if int(w) != windows[0])
    table(
        f"(b) crawl under a rate limit of {args.rate_limit} requests per {args.window:g} s window",
        [
            "seconds",
            "windows",
            "requests sent",
            "sent in full windows / allowed",
            "429s",
            "429s after 1st window",
            "pacer waits",
        ],
        [
            [
                f"{b['seconds']:.1f}",
                len(windows),
                stats["requests"],
                f"{sent_full}/{allowed_full} = {sent_full / max(allowed_full, 1):.0%}",
                stats["rate_limited"],
                late_429,
                int(b["waits"]),
            ]
        ],
    )


if __name__ == "__main__":
    main()
