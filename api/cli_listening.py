"""CLI commands of listening: re-score stored mentions with the current models, run the listener alone."""

from __future__ import annotations

import argparse
import asyncio
from uuid import UUID

import asyncpg

from api.cli_db import run_with_db
from api.settings import Settings
from listening import runner, service
from sql import migrate, tenancy
from sql.server import open_database


async def _org_id(conn: asyncpg.Connection, org: str) -> UUID:
    try:
        return UUID(org)
    except ValueError:
        return await tenancy.org_id_by_name(conn, org)


def cmd_rescore(args: argparse.Namespace, settings: Settings) -> int:
    async def work(conn: asyncpg.Connection) -> int:
        org_id = await _org_id(conn, args.org)
        async with conn.transaction():
            done = await service.rescore(conn, org_id, args.monitor)
        print(f"re-scored {done} mentions with {service.model_versions()}")
        return 0

    return run_with_db(settings, work)


def cmd_listen(args: argparse.Namespace, settings: Settings) -> int:
    database = open_database(settings.database_url, settings.home)

    async def go() -> None:
        async with asyncpg.create_pool(database.url, min_size=1, max_size=8) as pool:
            async with pool.acquire() as conn:
                await migrate(conn)
            await runner.serve(pool, allow_private=settings.allow_private_hosts)

    try:
        asyncio.run(go())
    except KeyboardInterrupt:
        pass  # every source resumes from its stored cursor next time
    finally:
        database.stop()
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    listening = sub.add_parser("listening", help="brand monitors: re-score mentions, run the listener")
    actions = listening.add_subparsers(dest="listening_command", required=True, metavar="ACTION")
    p = actions.add_parser(
        "rescore",
        help="score stored mentions again with the current sentiment models (after a model update)",
        description="Every mention of the org (or of one monitor) gets the current models' label, confidence "
        "and model version.",
    )
    p.add_argument("--org", required=True, help="org id or name")
    p.add_argument("--monitor", type=UUID, help="only this monitor's mentions")
    p.set_defaults(func=cmd_rescore)
    p = actions.add_parser(
        "run",
        help="run every active monitor's sources until stopped (the API server also runs them)",
        description="Listen without serving the API. Stopping loses nothing: sources resume from their cursors.",
    )
    p.set_defaults(func=cmd_listen)
