"""Tagged-link redirect throughput and latency, side by side with a bare litestar app that only answers 302.

Both run under uvicorn in their own process; 64 keep-alive connections from this process. Then the
Sorot server is stopped cleanly and the clicks it stored are counted against the 302s it sent.

    uv run python bench/redirect.py [--seconds 15] [--connections 64]
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import sys
import uuid
from decimal import Decimal

import asyncpg
from litestar import Litestar, Response, get

from bench import load
from bench.common import count_rows, fresh_database, sorot_server, table, wait_up
from campaigns import service
from campaigns.models import CampaignIn, CreatorIn
from discovery.simulator.serve import free_port
from sql import tenancy


@get("/r/{slug:str}")
async def bare_follow(slug: str) -> Response[bytes]:
    return Response(b"", status_code=302, headers={"Location": f"https://shop.example/?c={slug}"})


def bare_app() -> Litestar:
    return Litestar([bare_follow])


async def make_link(db: str) -> str:
    conn = await asyncpg.connect(db)
    try:
        org = await tenancy.create_org(conn, f"bench-{uuid.uuid4().hex[:6]}")
        account = await conn.fetchval(
            "INSERT INTO accounts (platform, host, external_id, handle, shared) "
            "VALUES ('mastodon', 'b.test', '1', 'c', true) "
            "RETURNING id"
        )
        campaign = await service.create_campaign(
            conn, org.id, CampaignIn(name="bench", currency="EUR", destination_url="https://shop.example/p")
        )
        creator = await service.add_creator(
            conn, org.id, campaign.id, CreatorIn(account_id=account, fee=Decimal(1)), "http://x"
        )
        return creator.slug
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--serve-bare", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        import uvicorn

        uvicorn.run(bare_app(), host="127.0.0.1", port=args.serve_bare, log_level="warning", access_log=False)
        return

    rows = []
    bare_port = free_port()
    bare = subprocess.Popen([sys.executable, __file__, "--serve-bare", str(bare_port)])
    try:
        wait_up(f"http://127.0.0.1:{bare_port}/r/x", bare)
        r = asyncio.run(
            load.run(
                "127.0.0.1",
                bare_port,
                lambda i: load.get("/r/x", f"Mozilla/5.0 v{i % 5000}"),
                args.connections,
                args.seconds,
            )
        )
        bare_rate = r.requests / r.seconds
        rows.append(
            [
                "bare litestar 302",
                f"{bare_rate:,.0f}",
                f"{r.percentile(50):.1f}",
                f"{r.percentile(99):.1f}",
                "1.00x",
                "-",
                "-",
            ]
        )
    finally:
        bare.send_signal(signal.SIGINT)
        bare.wait(10)

    with fresh_database() as db:
        slug = asyncio.run(make_link(db))
        with sorot_server(db) as port:
            r = asyncio.run(
                load.run(
                    "127.0.0.1",
                    port,
                    lambda i: load.get(f"/r/{slug}", f"Mozilla/5.0 v{i % 5000}"),
                    args.connections,
                    args.seconds,
                )
            )
        clicks = count_rows(db, "clicks")
    rate = r.requests / r.seconds
    sent = r.statuses.get(302, 0)
    rows.append(
        [
            "sorot /r/{slug}",
            f"{rate:,.0f}",
            f"{r.percentile(50):.1f}",
            f"{r.percentile(99):.1f}",
            f"{rate / bare_rate:.2f}x",
            f"{sent:,}",
            f"{clicks:,} ({sent - clicks:,} lost)",
        ]
    )
    table(
        f"Redirect under {args.connections} concurrent keep-alive connections, {args.seconds:g} s each",
        ["app", "requests/s", "p50 ms", "p99 ms", "vs bare", "302s sent", "clicks stored after clean stop"],
        rows,
    )


if __name__ == "__main__":
    main()
