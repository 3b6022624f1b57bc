"""Operator commands for a person's erasure request: ``sorot erase`` and ``sorot erasures``.

Erasure for everyone is deliberately not an API route: no org can erase what another org relies on.
Each erasure is logged (``account_erasures``) with who ran it and why.
"""

from __future__ import annotations

import argparse
import getpass

import asyncpg

from api.cli_db import run_with_db
from api.settings import Settings
from discovery import accounts


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "erase",
        help="erase accounts' data for every org on a person's request (audited)",
        description="Erase stored accounts for everyone: follows, posts and interactions go, the handle stays "
        "flagged so later crawls never store the account again. Every erasure is written to the erasure log "
        "(see `sorot erasures`). An org admin's DELETE /v1/accounts/{id} only hides an account from that org.",
    )
    p.add_argument("account_ids", nargs="*", type=int, metavar="ACCOUNT_ID", help="stored account id(s)")
    p.add_argument("--handle", help="erase every stored account with this handle (case-insensitive)")
    p.add_argument("--platform", choices=["mastodon", "bluesky", "import"], help="with --handle: only this platform")
    p.add_argument("--host", help="with --handle: only accounts crawled from this host")
    p.add_argument("--reason", required=True, help="why (e.g. the request's reference); kept in the log")
    p.add_argument("--by", default=None, help="who runs it (default: the operating system user)")
    p.set_defaults(func=cmd_erase)

    p = sub.add_parser("erasures", help="print the erasure log (operator erasures and org hides), newest first")
    p.add_argument("--account", type=int, metavar="ACCOUNT_ID", help="only this account")
    p.add_argument("--limit", type=int, default=100)
    p.set_defaults(func=cmd_erasures)


def cmd_erase(args: argparse.Namespace, settings: Settings) -> int:
    if not args.account_ids and not args.handle:
        raise SystemExit("error: give ACCOUNT_ID(s) or --handle")
    try:
        user = args.by or getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        user = "unknown"
    actor = f"operator:{user}"

    async def work(conn: asyncpg.Connection) -> int:
        ids = list(args.account_ids)
        if args.handle:
            ids += await accounts.by_handle(conn, args.handle, args.platform, args.host)
        if not ids:
            print(f"no stored account has the handle {args.handle!r}")
            return 1
        async with conn.transaction():  # all or nothing: an unknown id erases none
            done = [await accounts.erase(conn, i, actor=actor, reason=args.reason) for i in dict.fromkeys(ids)]
        for e in done:
            print(f"erased account {e.account_id} ({e.platform} {e.handle} on {e.host}); log entry {e.id}")
        return 0

    return run_with_db(settings, work)


def cmd_erasures(args: argparse.Namespace, settings: Settings) -> int:
    async def work(conn: asyncpg.Connection) -> int:
        for e in await accounts.erasures(conn, args.account, args.limit):
            org = f" org {e.org_id}" if e.org_id else ""
            print(
                f"{e.at:%Y-%m-%d %H:%M:%S%z}  {e.scope:<8} account {e.account_id} {e.handle}@{e.host}{org}"
                f"  by {e.actor}  reason: {e.reason or '-'}"
            )
        return 0

    return run_with_db(settings, work)
