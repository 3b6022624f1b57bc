"""Abuse: a flood of unknown /r/ slugs and a burst of 12 heavy rankings against a live `sorot serve`.

While both run, /healthz, /readyz and /v1/me are called every 200 ms; the table gives their worst
and 99th-percentile latency and the server's RSS (start, peak, end). The per-IP miss limit is off
in the first scenario (it measures the caches and pools themselves) and on, as shipped, in the second.

    uv run python bench/abuse.py [--seconds 60] [--accounts 20000] [--workers 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field

import asyncpg
import httpx
import psutil

from bench.common import fresh_database, table, wait_up
from discovery.simulator.load import load_world
from discovery.simulator.serve import free_port
from discovery.simulator.world import TOPICS, build_world
from sql import tenancy

KEYWORDS = [f"{tag}{i}" for pair in TOPICS for tag in pair for i in range(4)][:50]


@dataclass
class Run:
    misses: int = 0
    limited: int = 0
    rankings: list[int] = field(default_factory=list)
    probes: dict[str, list[float]] = field(default_factory=lambda: {"/healthz": [], "/readyz": [], "/v1/me": []})
    rss: list[float] = field(default_factory=list)


async def prepare(database_url: str, accounts: int) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        await load_world(conn, build_world(accounts, seed=3), host="sim.test")
        org = await tenancy.create_org(conn, "bench")
        return (await tenancy.create_key(conn, org.id, "admin")).secret
    finally:
        await conn.close()


async def attack(url: str, key: str, pid: int, seconds: float, workers: int) -> Run:
    run = Run()
    headers = {"Authorization": f"Bearer {key}"}
    stop = time.monotonic() + seconds
    process = psutil.Process(pid)
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:

        async def flood() -> None:
            while time.monotonic() < stop:
                r = await client.get(f"/r/{uuid.uuid4().hex[:12]}")
                run.misses += 1
                run.limited += r.status_code == 429

        async def heavy(i: int) -> None:
            body = {
                "platform": "mastodon",
                "topic": {"hashtags": [p[0] for p in TOPICS[:3]], "keywords": KEYWORDS},
                "window_days": 30 + i,
                "pool": 20_000,
            }
            run.rankings.append((await client.post("/v1/rankings", json=body, headers=headers)).status_code)

        async def probe() -> None:
            while time.monotonic() < stop or len(run.rankings) < 12:
                for path in run.probes:
                    start = time.monotonic()
                    r = await client.get(path, headers=headers if path == "/v1/me" else None)
                    run.probes[path].append(time.monotonic() - start if r.status_code == 200 else float("inf"))
                run.rss.append(process.memory_info().rss / 2**20)
                await asyncio.sleep(0.2)

        async def burst() -> None:
            await asyncio.sleep(min(5.0, seconds / 4))
            await asyncio.gather(*(heavy(i) for i in range(12)))

        await asyncio.gather(probe(), burst(), *(flood() for _ in range(workers)))
    return run


def serve(database_url: str, limits: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SOROT_LOG_LEVEL": "WARNING", "SOROT_RATE_LIMITS": limits}
    proc = subprocess.Popen([sys.executable, "-m", "api", "serve", "--port", str(port)], env=env)
    url = f"http://127.0.0.1:{port}"
    wait_up(f"{url}/healthz", proc)
    return proc, url


def pct(values: list[float], q: float) -> str:
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.0f}" if ordered else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=32)
    args = parser.parse_args()
    rows = []
    with fresh_database() as database_url:
        key = asyncio.run(prepare(database_url, args.accounts))
        for name, limits in (("miss limit off", "redirect_miss=0/60"), ("as shipped", "")):
            proc, url = serve(database_url, limits)
            try:
                run = asyncio.run(attack(url, key, proc.pid, args.seconds, args.workers))
            finally:
                proc.send_signal(signal.SIGINT)
                proc.wait(60)
            rows.append(
                [
                    name,
                    run.misses,
                    f"{run.misses / args.seconds:.0f}",
                    run.limited,
                    " ".join(str(s) for s in sorted(set(run.rankings))) + f" (x{len(run.rankings)})",
                    *(f"{pct(v, 0.99)} / {pct(v, 1.0)}" for v in run.probes.values()),
                    f"{run.rss[0]:.0f} / {max(run.rss):.0f} / {run.rss[-1]:.0f}",
                ]
            )
    table(
        f"Abuse: {args.seconds:.0f} s of unknown /r/ slugs ({args.workers} clients) + 12 heavy rankings "
        f"({args.accounts:,} accounts, 50 keywords each)",
        [
            "scenario",
            "misses",
            "misses/s",
            "429s",
            "ranking statuses",
            "/healthz p99/max ms",
            "/readyz p99/max ms",
            "/v1/me p99/max ms",
            "RSS start/peak/end MB",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
