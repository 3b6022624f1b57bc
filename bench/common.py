"""Shared pieces of the benchmarks: a database to write into, a table printer, peak memory."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import httpx

from sql import migrate
from sql.server import start_embedded, with_database


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new, migrated database: on DATABASE_URL's server, or on an embedded one in a temp folder."""
    tmp = None
    server = None
    if os.environ.get("DATABASE_URL"):
        base = os.environ["DATABASE_URL"]
    else:
        tmp = tempfile.mkdtemp(prefix="sorot-bench-")
        server = start_embedded(Path(tmp) / "pgdata", delete_on_stop=True)
        base = server.url
    name = f"sorot_bench_{uuid.uuid4().hex[:8]}"
    import asyncio

    async def setup() -> None:
        admin = await asyncpg.connect(with_database(base, "postgres"))
        await admin.execute(f"CREATE DATABASE {name}")
        await admin.close()
        conn = await asyncpg.connect(with_database(base, name))
        await migrate(conn)
        await conn.close()

    asyncio.run(setup())
    try:
        yield with_database(base, name)
    finally:

        async def drop() -> None:
            admin = await asyncpg.connect(with_database(base, "postgres"))
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            await admin.close()

        asyncio.run(drop())
        if server:
            server.stop()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def simulator_process(accounts: int, seed: int, port: int, *extra: str) -> Iterator[str]:
    """`sorot simulate` in another process; yields its URL once it answers."""
    argv = [
        sys.executable,
        "-m",
        "api",
        "simulate",
        "--accounts",
        str(accounts),
        "--seed",
        str(seed),
        "--port",
        str(port),
        *extra,
    ]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(url + "/_sim/stats", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("simulator did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def table(title: str, header: list[str], rows: list[list[object]]) -> None:
    cells = [header, *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}\n")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells[1:]:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    sys.stdout.flush()


def wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not start") from None
            time.sleep(0.2)


@contextmanager
def sorot_server(database_url: str) -> Iterator[int]:
    """`sorot serve` on the given database in another process; yields its port, then stops it
    cleanly (SIGINT: buffered clicks are written before it exits)."""
    import signal

    from discovery.simulator.serve import free_port

    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SOROT_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "api", "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL
    )
    try:
        wait_up(f"http://127.0.0.1:{port}/healthz", proc)
        yield port
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)


def count_rows(database_url: str, table_name: str) -> int:
    import asyncio

    async def count() -> int:
        conn = await asyncpg.connect(database_url)
        try:
            return int(await conn.fetchval(f"SELECT count(*) FROM {table_name}"))
        finally:
            await conn.close()

    return asyncio.run(count())
