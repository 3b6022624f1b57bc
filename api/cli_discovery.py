"""CLI commands of discovery: crawl, worker, simulate."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from uuid import UUID

import asyncpg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.settings import Settings
from discovery import frontier, service, worker
from discovery.budget import Budgets, PgStore
from discovery.service import CrawlRequest
from sql import Q, migrate, tenancy
from sql.errors import NotFoundError
from sql.server import open_database

console = Console(stderr=True)


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "crawl",
        help="crawl a Mastodon-API server or Bluesky from seeds/hashtags, with progress",
        description="Crawl into the database. Runs until the crawl is done; Ctrl-C leaves it resumable with --resume.",
    )
    p.add_argument("--platform", choices=["mastodon", "bluesky"])
    p.add_argument("--base-url", help="instance URL (Mastodon) or AppView URL (Bluesky, default public AppView)")
    p.add_argument("--token", help="bearer token for servers that require one")
    p.add_argument("--seed", action="append", default=[], metavar="HANDLE", help="seed handle (repeatable)")
    p.add_argument("--hashtag", action="append", default=[], metavar="TAG", help="seed hashtag (repeatable)")
    p.add_argument("--max-accounts", type=int, default=1000, help="accounts to expand at most (default 1000)")
    p.add_argument("--max-depth", type=int, default=1, help="hops from the seeds (default 1)")
    p.add_argument("--max-followers", type=int, default=1000, help="followers read per account (default 1000)")
    p.add_argument("--max-following", type=int, default=200, help="followed accounts read per account (default 200)")
    p.add_argument("--posts", type=int, default=20, help="recent posts read per account (default 20)")
    p.add_argument("--since", type=datetime.fromisoformat, help="read posts from this time on (ISO 8601)")
    p.add_argument(
        "--fresh-for", type=int, metavar="SECONDS", help="do not read again accounts read within SECONDS (re-crawls)"
    )
    p.add_argument("--org", type=UUID, help="org that owns the crawl (default: the org named 'default')")
    p.add_argument("--resume", type=UUID, metavar="CRAWL_ID", help="resume a stopped or unfinished crawl instead")
    p.add_argument("--concurrency", type=int, default=8, help="accounts worked on at once (default 8)")
    p.add_argument(
        "--host-concurrency",
        type=int,
        default=8,
        help="requests in flight per host within its rate budget (default 8)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_crawl)

    p = sub.add_parser(
        "demo",
        help="the whole loop on a simulated platform: crawl, rank, shortlist, campaign, clicks, orders, ROI report",
    )
    p.add_argument("--once", action="store_true", help="exit when done instead of leaving the service running")
    p.add_argument("--accounts", type=int, default=1500, help="size of the simulated world (default 1500)")
    p.add_argument("--port", type=int, help="port for the service (default $SOROT_PORT or 8000)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("worker", help="run crawl workers that share queued crawls with the service")
    p.add_argument("--concurrency", type=int, default=8, help="accounts worked on at once per crawl (default 8)")
    p.add_argument("--host-concurrency", type=int, default=8, help="requests in flight per host (default 8)")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("simulate", help="serve a simulated social network (Mastodon and Bluesky APIs) on 127.0.0.1")
    p.add_argument("--accounts", type=int, default=2000, help="size of the world (default 2000)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8100)
    p.add_argument("--rate-limit", type=int, help="requests allowed per window (default: unlimited)")
    p.add_argument("--window", type=float, default=300.0, help="rate-limit window in seconds (default 300)")
    p.add_argument("--token", help="require this bearer token")
    p.add_argument("--fault-rate", type=float, default=0.0, help="share of requests that fail (5xx, slow, truncated)")
    p.add_argument(
        "--gotosocial",
        action="store_true",
        help="limit like GoToSocial: window from the first request, Reset rounded down to the second, "
        "a next link on every page",
    )
    p.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer (network round trip)")
    p.set_defaults(func=cmd_simulate)


def _with_pool(settings: Settings, work: object, stopped: str = "stopped") -> int:
    database = open_database(settings.database_url, settings.home)

    async def go() -> int:
        async with asyncpg.create_pool(database.url, min_size=1, max_size=20) as pool:
            async with pool.acquire() as conn:
                await migrate(conn)
            return await work(pool)  # type: ignore[operator,no-any-return]

    try:
        return asyncio.run(go())
    except KeyboardInterrupt:
        console.print(stopped)
        return 130
    finally:
        database.stop()


async def _create(pool: asyncpg.Pool, args: argparse.Namespace, settings: Settings) -> UUID:
    if not args.platform or not (args.seed or args.hashtag):
        raise SystemExit("error: --platform and at least one --seed or --hashtag are required (or --resume ID)")
    req = CrawlRequest(
        platform=args.platform,
        base_url=args.base_url,
        token=args.token,
        seeds=args.seed,
        hashtags=args.hashtag,
        max_accounts=args.max_accounts,
        max_depth=args.max_depth,
        max_followers=args.max_followers,
        max_following=args.max_following,
        posts_per_account=args.posts,
        since=args.since,
        fresh_for=args.fresh_for,
    )
    async with pool.acquire() as conn:
        first = await tenancy.bootstrap(conn)  # an empty database gets org 'default', as `sorot serve` does
        if first is not None:
            console.print(f"Created org 'default'. Admin API key (shown once, keep it): {first.secret}")
        org_id = args.org or await conn.fetchval(Q["crawls.org_by_name"], "default")
        if org_id is None:
            raise NotFoundError("no org named 'default': pass --org ID (sorot org create NAME makes one)")
        crawl = await service.create(conn, org_id, req, settings.allow_private_hosts, settings.shared_hosts)
    console.print(f"crawl {crawl.id} queued")
    return crawl.id


async def _show_progress(pool: asyncpg.Pool, crawl_id: UUID, done: asyncio.Event) -> None:
    columns = (
        TextColumn("[bold]crawl"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("crawl", total=None, info="")
        while True:
            async with pool.acquire() as conn:
                p = await frontier.progress(conn, crawl_id)
            c = p.counters
            info = (
                f"expanded {c.accounts_expanded} accounts new {c.accounts_new} seen {c.accounts_seen} "
                f"opted out {c.accounts_opted_out} follows new {c.follows_new} known {c.follows_known} "
                f"posts {c.posts_new} requests {c.requests} 429s {c.rate_limited} waited {c.wait_seconds:.0f}s"
            )
            bar.update(task, completed=p.items_done, total=max(p.items_known, 1), info=info)
            if done.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), 0.5)


def cmd_crawl(args: argparse.Namespace, settings: Settings) -> int:
    current: list[UUID] = []

    async def work(pool: asyncpg.Pool) -> int:
        if args.resume:
            async with pool.acquire() as conn:
                found = await frontier.get_any(conn, args.resume)
                if found.status == "done":
                    console.print(f"crawl {found.id} is already done; nothing to resume")
                    return 0
                await frontier.resume(conn, args.resume)
        crawl_id = args.resume or await _create(pool, args, settings)
        current.append(crawl_id)
        done = asyncio.Event()
        shower = None if args.quiet else asyncio.create_task(_show_progress(pool, crawl_id, done))
        budgets = Budgets(PgStore(pool), max(1, args.host_concurrency))
        try:
            status = await worker.run_crawl(
                pool,
                crawl_id,
                allow_private=settings.allow_private_hosts,
                concurrency=args.concurrency,
                budgets=budgets,
            )
        except asyncio.CancelledError:
            # Ctrl-C: the crawl stays stopped (a running `sorot serve` leaves it alone) until resumed.
            async with pool.acquire() as conn:
                await frontier.stop(conn, crawl_id)
            raise
        finally:
            done.set()
            if shower:
                with contextlib.suppress(asyncio.CancelledError):
                    await shower
        async with pool.acquire() as conn:
            final = await frontier.get_any(conn, crawl_id)
        console.print(f"crawl {crawl_id}: {status}" + (f" ({final.error})" if final.error else ""))
        return 0 if status == "done" else 1

    database = open_database(settings.database_url, settings.home)
    try:
        return asyncio.run(_migrated(database.url, work))
    except KeyboardInterrupt:
        if current:
            console.print(f"crawl {current[0]} stopped; resume with: sorot crawl --resume {current[0]}")
        else:
            console.print("stopped before the crawl was created")
        return 130
    finally:
        database.stop()


async def _migrated(url: str, work: Callable[[asyncpg.Pool], Awaitable[int]]) -> int:
    async with asyncpg.create_pool(url, min_size=1, max_size=20) as pool:
        async with pool.acquire() as conn:
            await migrate(conn)
        return await work(pool)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    import msgspec

    from api.demo import run_demo

    settings = msgspec.structs.replace(settings, port=args.port or settings.port)
    try:
        return asyncio.run(run_demo(settings, args.once, args.accounts))
    except KeyboardInterrupt:
        return 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    async def work(pool: asyncpg.Pool) -> int:
        console.print("worker running; Ctrl-C to stop (crawls stay resumable)")
        await worker.serve(
            pool,
            allow_private=settings.allow_private_hosts,
            concurrency=args.concurrency,
            host_concurrency=max(1, args.host_concurrency),
        )
        return 0

    return _with_pool(settings, work, "worker stopped; its crawls stay resumable")


def cmd_simulate(args: argparse.Namespace, settings: Settings) -> int:
    from discovery.simulator.serve import serve_forever
    from discovery.simulator.server import Limits
    from discovery.simulator.world import build_world

    console.print(f"building a world of {args.accounts} accounts (seed {args.seed})...")
    world = build_world(args.accounts, seed=args.seed)
    limits = Limits(
        rate_limit=args.rate_limit,
        window=args.window,
        token=args.token,
        fault_rate=args.fault_rate,
        gotosocial=args.gotosocial,
        latency=args.latency,
    )
    print(
        f"simulator serving on http://{args.host}:{args.port} "
        f"(Mastodon API under /api/v1, Bluesky XRPC under /xrpc; accounts user0..user{world.n - 1})",
        flush=True,
    )
    serve_forever(world, limits, args.host, args.port)
    return 0
