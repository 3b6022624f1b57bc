"""``python -m jobs`` (also ``sorot jobs``): run queued jobs as they fall due, or drain the due ones once."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Sequence

import asyncpg
import httpx

from discovery.netguard import guarded_client
from jobs.handlers import HANDLERS, PERIODIC
from jobs.runner import Context, drain, serve
from sql import migrate

TRUE = {"1", "true", "yes", "on"}


async def run(database_url: str, *, once: bool, workers: int, allow_private: bool) -> None:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=workers + 1)
    async with pool, guarded_client(allow_private, timeout=httpx.Timeout(15.0, connect=5.0)) as client:
        async with pool.acquire() as conn:
            await migrate(conn)
        ctx = Context(client=client, allow_private=allow_private)
        if once:
            await drain(pool, HANDLERS, ctx, workers)
        else:
            await serve(pool, HANDLERS, ctx, workers=workers, periodic=PERIODIC)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sorot jobs", description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), help="default: $DATABASE_URL")
    parser.add_argument("--once", action="store_true", help="run the jobs due now, then exit")
    parser.add_argument("--workers", type=int, default=2, help="jobs run at once (default 2)")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url or set DATABASE_URL")
    allow = os.environ.get("SOROT_ALLOW_PRIVATE_HOSTS", "").lower() in TRUE
    asyncio.run(run(args.database_url, once=args.once, workers=args.workers, allow_private=allow))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
