"""``sorot serve``: one process, or a parent and N worker processes on one listening socket.

With ``--workers N`` the parent does what must happen once: it starts the embedded PostgreSQL (when
``DATABASE_URL`` is unset), applies the migrations, creates the first org and login (printed once), binds
the socket, then runs uvicorn's process supervisor. Each worker is a full service process on that
database (``DATABASE_URL`` handed down), accepting from the shared socket; the kernel spreads connections
over them. A worker that dies is replaced. Ctrl-C or SIGTERM stops every worker cleanly (each writes its
buffered clicks), then the parent stops the database. A worker whose parent disappears (kill -9) stops
itself, so none is left orphaned.

Background loops are safe with N processes: jobs and crawls claim work with ``FOR UPDATE SKIP LOCKED``,
digests and webhook deliveries likewise, and listening runs in one process at a time (an advisory lock,
jobs/leader.py). Click uniqueness is decided in PostgreSQL, so it holds across processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from typing import Any

import asyncpg
import uvicorn
from uvicorn.supervisors.multiprocess import Multiprocess

from api.settings import Settings
from sql import Conn, migrate, tenancy
from sql.server import open_database
from users import service as users

PARENT_ENV = "SOROT_SUPERVISOR_PID"
WORKER_HEADER_ENV = "SOROT_WORKER_HEADER"  # "1": every response names the worker's pid (tests, load balancing checks)


async def first_start(conn: Conn) -> list[str]:
    """Migrate, and on an empty database create org 'default' with an admin key and a web login: what to
    print once (secrets are shown only here)."""
    await migrate(conn)
    first_key = await tenancy.bootstrap(conn)
    lines = []
    if first_key is not None:
        lines.append(f"Created org 'default'. Admin API key (shown once, keep it): {first_key.secret}")
        first_user = await users.bootstrap_admin(conn, first_key.key.org_id)
        if first_user is not None:
            lines.append(f"Web login: {first_user[0]} / {first_user[1]}  (shown once, keep it)")
    return lines


def _announce(settings: Settings) -> None:
    print(f"Sorot is serving on {settings.base_url} (API docs: {settings.base_url}/schema)", flush=True)
    print(f"Web app: {settings.base_url}/login", flush=True)


def serve(settings: Settings, workers: int = 1) -> int:
    if workers <= 1:
        return _serve_one(settings)
    return _serve_many(settings, workers)


def _serve_one(settings: Settings) -> int:
    from api.app import create_app

    app = create_app(settings, announce=True)

    class AnnouncingServer(uvicorn.Server):
        # Say "serving" once the socket is bound, not when the lifespan starts (which is before it).
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started:
                _announce(settings)

    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        lifespan="on",
        access_log=False,
        proxy_headers=False,  # SOROT_TRUSTED_PROXIES decides whose Forwarded headers count (campaigns/tracking.py)
    )
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the Ctrl-C it handled, as uvicorn.run expects
        AnnouncingServer(config).run()
    return 0


class _Supervisor(Multiprocess):
    """uvicorn's supervisor, saying "serving" once every worker has started."""

    def __init__(self, config: uvicorn.Config, sockets: list[Any], settings: Settings) -> None:
        super().__init__(config, sockets)
        self.settings = settings

    def init_processes(self) -> None:
        super().init_processes()
        if all(p.wait_until_ready(120, self.should_exit) for p in self.processes):
            _announce(self.settings)
            print(f"({len(self.processes)} worker processes: {', '.join(str(p.pid) for p in self.processes)})")


def _serve_many(settings: Settings, workers: int) -> int:
    database = open_database(settings.database_url, settings.home)
    try:

        async def prepare() -> list[str]:
            conn = await asyncpg.connect(database.url)
            try:
                return await first_start(conn)
            finally:
                await conn.close()

        for line in asyncio.run(prepare()):
            print(line, flush=True)
        # Spawned workers read their settings from the environment: the same ones, on this database.
        os.environ.update(
            DATABASE_URL=database.url,
            SOROT_HOST=settings.host,
            SOROT_PORT=str(settings.port),
            **{PARENT_ENV: str(os.getpid())},
        )
        config = uvicorn.Config(
            "api.serve:worker_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=workers,
            log_level="warning",
            lifespan="on",
            access_log=False,
            proxy_headers=False,
        )
        sock = config.bind_socket()
        try:
            _Supervisor(config, [sock], settings).run()
        finally:
            sock.close()
    finally:
        database.stop()
    return 0


def _exit_with_parent(parent: int) -> None:
    """Stop this worker (cleanly, as on Ctrl-C) when its supervisor is gone."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="sorot-parent-watch", daemon=True).start()


def worker_app() -> Any:
    """The application of one worker process (uvicorn imports it in each)."""
    from api.app import create_app

    settings = Settings.from_env()
    if parent := os.environ.get(PARENT_ENV):
        _exit_with_parent(int(parent))
    app = create_app(settings)
    if os.environ.get(WORKER_HEADER_ENV) != "1":
        return app
    pid = str(os.getpid()).encode()

    async def named(scope: Any, receive: Any, send: Any) -> None:
        async def send_named(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"x-sorot-worker", pid)]}
            await send(message)

        await app(scope, receive, send_named if scope["type"] == "http" else send)

    return named
