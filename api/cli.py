"""The ``sorot`` command line."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from uuid import UUID

import asyncpg

from api import cli_discovery, cli_erase, cli_listening, logs
from api.cli_db import run_with_db
from api.settings import Settings
from sql import tenancy
from sql.errors import AppError
from sql.server import dump, open_database
from sql.tenancy import ROLES
from users import service as users


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import msgspec

    from api import serve

    settings = msgspec.structs.replace(settings, host=args.host or settings.host, port=args.port or settings.port)
    return serve.serve(settings, args.workers)


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    async def work(conn: asyncpg.Connection) -> int:
        print("database is up to date")
        return 0

    return run_with_db(settings, work)


def cmd_org_create(args: argparse.Namespace, settings: Settings) -> int:
    async def work(conn: asyncpg.Connection) -> int:
        async with conn.transaction():
            org = await tenancy.create_org(conn, args.name)
            key = await tenancy.create_key(conn, org.id, "admin", name="cli")
        print(f"org id:    {org.id}\nadmin key: {key.secret}  (shown once)")
        return 0

    return run_with_db(settings, work)


def cmd_key_create(args: argparse.Namespace, settings: Settings) -> int:
    async def work(conn: asyncpg.Connection) -> int:
        key = await tenancy.create_key(conn, args.org, args.role, name=args.name)
        print(f"key id: {key.key.id}\nrole:   {key.key.role}\nkey:    {key.secret}  (shown once)")
        return 0

    return run_with_db(settings, work)


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    database = open_database(settings.database_url, settings.home)
    try:
        dump(database.url, args.file)
    finally:
        database.stop()
    print(f"backup written to {args.file} (restore: pg_restore --dbname <url> {args.file})")
    return 0


def cmd_jobs(args: argparse.Namespace, settings: Settings) -> int:
    from jobs.__main__ import run

    database = open_database(settings.database_url, settings.home)
    try:
        asyncio.run(run(database.url, once=args.once, workers=args.workers, allow_private=settings.allow_private_hosts))
    finally:
        database.stop()
    return 0


def cmd_user_create(args: argparse.Namespace, settings: Settings) -> int:
    async def work(conn: asyncpg.Connection) -> int:
        org_id = args.org or await tenancy.org_id_by_name(conn, "default")
        password = args.password or users.new_password()
        user = await users.create_user(conn, org_id, args.email, password, args.role)
        print(f"user:     {user.email} ({user.role})\npassword: {password}  (shown once)")
        print(f"log in at {settings.base_url}/login")
        return 0

    return run_with_db(settings, work)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sorot",
        description="Sorot: influencer discovery and campaign tracking on PostgreSQL. "
        "Uses DATABASE_URL, or an embedded PostgreSQL in $SOROT_HOME (default ./.sorot) when it is unset.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("serve", help="migrate the database, then serve the API", description="Serve the REST API.")
    p.add_argument("--host", help="address to listen on (default $SOROT_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (default $SOROT_PORT or 8000)")
    p.add_argument(
        "--workers",
        type=_positive,
        default=_positive(os.environ.get("SOROT_WORKERS", "1")),
        help="service processes sharing the port (default $SOROT_WORKERS or 1); the database, migrations and "
        "the first login are set up once, in the parent",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="apply pending database migrations")
    p.set_defaults(func=cmd_migrate)

    org = sub.add_parser("org", help="manage organisations (tenants)")
    org_sub = org.add_subparsers(dest="org_command", required=True, metavar="ACTION")
    p = org_sub.add_parser("create", help="create an org and print its first admin key")
    p.add_argument("name")
    p.set_defaults(func=cmd_org_create)

    key = sub.add_parser("key", help="manage API keys")
    key_sub = key.add_subparsers(dest="key_command", required=True, metavar="ACTION")
    p = key_sub.add_parser("create", help="create an API key for an org and print it once")
    p.add_argument("--org", type=UUID, required=True, help="org id")
    p.add_argument("--role", choices=ROLES, required=True)
    p.add_argument("--name", default="", help="a label for the key")
    p.set_defaults(func=cmd_key_create)
    p = sub.add_parser(
        "backup", help="dump the database (embedded or DATABASE_URL) to a file, while it serves (pg_dump -Fc)"
    )
    p.add_argument("file", type=Path)
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("jobs", help="run scheduled jobs (post refreshes) as they fall due")
    p.add_argument("--once", action="store_true", help="run the jobs due now, then exit")
    p.add_argument("--workers", type=int, default=2, help="jobs run at once (default 2)")
    p.set_defaults(func=cmd_jobs)

    user = sub.add_parser("user", help="manage people who log in to the web app")
    user_sub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    p = user_sub.add_parser("create", help="create a web user (prints a generated password unless --password is given)")
    p.add_argument("email")
    p.add_argument("--role", choices=ROLES, default="admin")
    p.add_argument("--org", type=UUID, help="org id (default: the org named 'default')")
    p.add_argument("--password", help="at least 10 characters (default: a generated one, printed once)")
    p.set_defaults(func=cmd_user_create)
    cli_discovery.add_commands(sub)
    cli_erase.add_commands(sub)
    cli_listening.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    logs.configure(settings.log_level)
    func: Callable[[argparse.Namespace, Settings], int] = args.func
    try:
        return func(args, settings)
    except AppError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
