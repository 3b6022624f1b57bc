"""`sorot demo`: the whole loop on a simulated platform, through the service's own HTTP API.

Simulator on 127.0.0.1 -> crawl -> ranking -> shortlist -> campaign -> redirects and signed Shopify
webhooks -> ROI report, printed as tables.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import random
import secrets
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import msgspec
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api import demo_operations
from api.app import create_app
from api.settings import Settings
from discovery.simulator.serve import simulator_in_thread
from discovery.simulator.world import TOPICS, build_world
from sql import migrate, tenancy
from sql.server import open_database

console = Console()
TOPIC = TOPICS[0][0]  # "coffee"


async def _admin_key(url: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
        org = await tenancy.create_org(conn, f"demo-{secrets.token_hex(3)}")
        return (await tenancy.create_key(conn, org.id, "admin", name="demo")).secret
    finally:
        await conn.close()


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    t = Table(title=title, title_justify="left")
    for c in columns:
        t.add_column(c, justify="right" if c not in ("handle", "creator") else "left")
    for r in rows:
        t.add_row(*["" if v is None else str(v) for v in r])
    return t


async def _crawl(api: httpx.AsyncClient, sim_url: str, accounts: int) -> dict[str, Any]:
    r = await api.post(
        "/v1/crawls",
        json={
            "platform": "mastodon",
            "base_url": sim_url,
            "hashtags": [TOPIC],
            "max_accounts": accounts,
            "max_depth": 1,
            "max_followers": 2000,
            "max_following": 0,
            "posts_per_account": 5,
        },
    )
    r.raise_for_status()
    crawl_id = r.json()["id"]
    columns = (
        TextColumn("[bold]crawling"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("crawl", total=accounts, info="")
        while True:
            crawl = (await api.get(f"/v1/crawls/{crawl_id}")).json()
            c = crawl["counters"]
            bar.update(
                task,
                completed=min(c["accounts_new"], accounts),
                info=f"follows {c['follows_new']:,} posts {c['posts_new']:,} interactions {c['interactions_new']:,}",
            )
            if crawl["status"] not in ("queued", "running"):
                return crawl  # type: ignore[no-any-return]
            await asyncio.sleep(0.5)


async def _shop(
    api: httpx.AsyncClient, campaign: dict[str, Any], creators: list[dict[str, Any]], rng: random.Random
) -> tuple[int, int]:
    """Visitors click the tagged links; some buy, through signed Shopify webhooks."""
    secret = secrets.token_urlsafe(24)
    shop = (await api.post("/v1/integrations", json={"source": "shopify", "secret": secret})).json()
    clicks, orders = 0, 0
    bought: list[tuple[str, str]] = []
    for creator in creators:
        for v in range(rng.randint(20, 60)):
            agent = rng.choice(["Mozilla/5.0 (demo visitor {})", "Twitterbot/1.0", "Mozilla/5.0 (demo visitor {})"])
            r = await api.get(f"/r/{creator['slug']}", headers={"User-Agent": agent.format(v)})
            clicks += 1
            cid = httpx.URL(r.headers["location"]).params["sorot_cid"]
            if "demo visitor" in agent and rng.random() < 0.12:
                bought.append((cid, creator["promo_code"] if rng.random() < 0.3 else ""))
    await asyncio.sleep(0.3)  # clicks are written in 100 ms batches
    for n, (cid, code) in enumerate(bought):
        order = {
            "id": 9000 + n,
            "total_price": f"{rng.randint(15, 120)}.{rng.randint(0, 99):02d}",
            "currency": "USD" if n % 5 == 0 else campaign["currency"],
            "created_at": datetime.now(UTC).isoformat(),
            "discount_codes": [{"code": code}] if code else [],
            "landing_site": f"/shop?sorot_cid={cid}",
            "note_attributes": [],
        }
        body = json.dumps(order).encode()
        sig = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        r = await api.post(
            shop["webhook_path"],
            content=body,
            headers={
                "X-Shopify-Hmac-Sha256": sig,
                "X-Shopify-Topic": "orders/create",
                "X-Shopify-Webhook-Id": f"demo-{n}",
            },
        )
        r.raise_for_status()
        orders += 1
    return clicks, orders


async def _loop(base: str, key: str, sim_url: str, accounts: int) -> str:
    rng = random.Random(7)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as api:
        crawl = await _crawl(api, sim_url, accounts)
        console.print(
            f"crawl {crawl['status']}: {crawl['counters']['accounts_new']:,} accounts, "
            f"{crawl['counters']['follows_new']:,} follows, {crawl['counters']['requests']:,} requests"
        )
        brands = (await api.get("/v1/accounts", params={"hashtag": TOPIC, "limit": 3})).json()["items"]
        console.print("target audience: the followers of " + ", ".join(f"@{b['handle']}" for b in brands))
        ranking_request = {
            "platform": "mastodon",
            "topic": {"hashtags": [TOPIC]},
            "target": {"seed_accounts": [a["id"] for a in brands]},
            "limit": 10,
        }
        ranking = (await api.post("/v1/rankings", json=ranking_request)).json()
        console.print(
            _table(
                f"Top creators for #{TOPIC} by {ranking['objective']}: expected distinct credible accounts of the "
                f"brands' {ranking['target_size']:,}-account audience one topical post reaches",
                ["rank", "handle", "followers", "expected reach", "95% interval", "view prob", "authenticity"],
                [
                    [
                        c["rank"],
                        c["handle"],
                        c["followers_count"],
                        c["expected_reach"]["value"],
                        f"{c['expected_reach']['low']:.0f}-{c['expected_reach']['high']:.0f}",
                        c["expected_reach"]["view_probability"],
                        round(c["components"]["authenticity"]["raw"], 3),
                    ]
                    for c in ranking["creators"]
                ],
            )
        )
        shortlist = (
            await api.post(
                "/v1/shortlists", json={"ranking": ranking_request, "budget": "1500", "k": 5, "candidates": 40}
            )
        ).json()
        console.print(
            _table(
                f"Shortlist for a $1,500 budget: expected unique target reach {shortlist['reach']:,} "
                f"(in ranking order: {shortlist['baseline_reach']:,}), fees {shortlist['total_fee']}",
                ["handle", "fee", "marginal reach", "expected reach alone"],
                [[p["handle"], p["fee"], p["marginal_reach"], p["expected_reach"]] for p in shortlist["picks"]],
            )
        )
        campaign = (
            await api.post(
                "/v1/campaigns",
                json={"name": f"#{TOPIC} launch", "currency": "EUR", "destination_url": "https://shop.example/coffee"},
            )
        ).json()
        creators = [
            (
                await api.post(
                    f"/v1/campaigns/{campaign['id']}/creators",
                    json={"account_id": p["account_id"], "fee": p["fee"], "commission_pct": "5"},
                )
            ).json()
            for p in shortlist["picks"]
        ]
        creators.append(await demo_operations.instagram_creator(api, campaign))  # not crawlable: reported figures
        await api.post(
            "/v1/fx-rates",
            json=[{"day": datetime.now(UTC).date().isoformat(), "base": "USD", "quote": "EUR", "rate": "0.92"}],
        )
        clicks, orders = await _shop(api, campaign, creators, rng)
        console.print(f"{clicks} clicks through the tagged links, {orders} Shopify orders by signed webhook")
        report = (await api.get(f"/v1/campaigns/{campaign['id']}/report")).json()
        rows = [
            [
                r["handle"],
                r["clicks"],
                r["human_clicks"],
                r["unique_clicks"],
                r["conversions"],
                r["net_revenue"],
                r["cost"],
                r["roi"],
                r["reach"],
                r.get("reach_method", ""),
                r["emv"],
            ]
            for r in [*report["creators"], report["total"]]
        ]
        console.print(
            _table(
                f"ROI report ({report['currency']}, {report['model']})",
                [
                    "creator",
                    "clicks",
                    "human",
                    "unique",
                    "conversions",
                    "net revenue",
                    "cost",
                    "ROI",
                    "reach",
                    "reach method",
                    "EMV",
                ],
                rows,
            )
        )
        for line in await demo_operations.summary(api, campaign):
            console.print(line)
        return str(campaign["id"])


async def run_demo(settings: Settings, once: bool, accounts: int) -> int:
    logging.getLogger().setLevel(logging.WARNING)  # the tables are the output here
    database = await asyncio.to_thread(open_database, settings.database_url, settings.home)
    try:
        key = await _admin_key(database.url)
        settings = msgspec.structs.replace(settings, database_url=database.url, allow_private_hosts=True)
        app = create_app(settings)
        server = uvicorn.Server(uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning"))
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                return 1
            await asyncio.sleep(0.05)
        started = time.monotonic()
        console.print(f"building a simulated world of {accounts:,} accounts...")
        world = await asyncio.to_thread(build_world, accounts, 3)
        with simulator_in_thread(world) as sim:
            campaign_id = await _loop(settings.base_url, key, sim.url, accounts)
        console.print(
            f"done in {time.monotonic() - started:.0f} s.\n"
            f"API docs: {settings.base_url}/schema\n"
            f"Report:   {settings.base_url}/v1/campaigns/{campaign_id}/report "
            f"(Authorization: Bearer {key})"
        )
        if not once:
            console.print("The service keeps running; Ctrl-C to stop.")
            await serving
        server.should_exit = True
        await serving
        return 0
    finally:
        await asyncio.to_thread(database.stop)
