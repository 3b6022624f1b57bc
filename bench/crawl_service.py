"""Crawls through the service (`POST /v1/crawls` to `sorot serve`), simulator in another process.

(c) requests in flight per host: the same crawl of a simulated world without a rate limit, with
    SOROT_HOST_CONCURRENCY=1 (one request in flight), 4, 8 (the default) and 16; with no added latency
    and with 10 ms added to every answer (a server's own time plus a network round trip). CPU seconds
    of the `sorot serve` and simulator processes per request show which one bounds the rate.
(d) one shared rate budget: two crawls run by `sorot serve` and a second `sorot worker` process
    against one GoToSocial-like host (window from the first request, Reset rounded down to the
    second, a next link on every page, token required); requests and 429s per window.

    uv run python bench/crawl_service.py [--part c,d] [--accounts 6000] [--in-flight 1,4,8,16] [--latency 0,0.01]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from typing import Any

import asyncpg
import httpx
import psutil

from bench.common import fresh_database, simulator_process, sorot_server, table
from bench.crawl import most_followed
from discovery.simulator.serve import free_port
from sql import tenancy


async def admin_key(database_url: str) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        org = await tenancy.create_org(conn, "bench")
        return (await tenancy.create_key(conn, org.id, "admin")).secret
    finally:
        await conn.close()


def wait_crawls(api: httpx.Client, ids: list[str], timeout: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        crawls = [api.get(f"/v1/crawls/{i}").json() for i in ids]
        if all(c["status"] not in ("queued", "running") for c in crawls) or time.monotonic() > deadline:
            return crawls
        time.sleep(0.5)


def cpu_seconds(port: int, word: str) -> tuple[psutil.Process, float]:
    """The child process serving on ``port`` (``word``: its command) and the CPU seconds it has used."""
    for proc in psutil.Process().children(recursive=True):
        cmd = proc.cmdline()
        if word in cmd and str(port) in cmd:
            return proc, used(proc)
    raise LookupError(f"no {word} process on port {port}")


def used(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


def crawl_c(args: argparse.Namespace, seeds: list[str], sim: str, in_flight: int) -> dict[str, float]:
    os.environ.update(SOROT_ALLOW_PRIVATE_HOSTS="1", SOROT_HOST_CONCURRENCY=str(in_flight))
    with fresh_database() as db, sorot_server(db) as port:
        key = asyncio.run(admin_key(db))
        api = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {key}"})
        body = {
            "platform": "mastodon",
            "base_url": sim,
            "seeds": seeds,
            "max_accounts": args.max_accounts,
            "max_depth": 2,
            "max_followers": 200,
            "max_following": 50,
            "posts_per_account": 5,
        }
        serve, serve_cpu = cpu_seconds(port, "serve")
        simulator, sim_cpu = cpu_seconds(int(sim.rsplit(":", 1)[1]), "simulate")
        load = os.getloadavg()[0]
        started = time.perf_counter()
        crawl = api.post("/v1/crawls", json=body)
        assert crawl.status_code == 202, crawl.text
        (done,) = wait_crawls(api, [crawl.json()["id"]], 3600)
        seconds = time.perf_counter() - started
        assert done["status"] == "done", done
        c = done["counters"]
        return {
            "seconds": seconds,
            "requests": c["requests"],
            "expanded": c["accounts_expanded"],
            "follows": c["follows_new"],
            "serve_cpu": used(serve) - serve_cpu,
            "sim_cpu": used(simulator) - sim_cpu,
            "load": (load + os.getloadavg()[0]) / 2,
        }


def part_c(args: argparse.Namespace, seeds: list[str]) -> None:
    for latency in (float(x) for x in args.latency.split(",")):
        extra = ["--latency", str(latency)] if latency else []
        rows = []
        with simulator_process(args.accounts, args.seed, free_port(), *extra) as sim:
            base = None
            for in_flight in (int(x) for x in args.in_flight.split(",")):
                r = crawl_c(args, seeds, sim, in_flight)
                base = base or r["seconds"]
                ms = 1000 / r["requests"]
                rows.append(
                    [
                        in_flight,
                        f"{r['seconds']:.1f}",
                        int(r["requests"]),
                        f"{r['requests'] / r['seconds']:.0f}",
                        f"**{base / r['seconds']:.1f}x**",
                        f"{r['serve_cpu'] * ms:.2f} ms",
                        f"{r['sim_cpu'] * ms:.2f} ms",
                        int(r["expanded"]),
                        int(r["follows"]),
                        f"{r['load']:.1f}",
                    ]
                )
        table(
            f"(c) POST /v1/crawls, {args.accounts:,}-account world, max_accounts {args.max_accounts:,}, no rate limit, "
            + (f"{latency * 1000:g} ms added to every answer" if latency else "no added latency")
            + f" ({os.cpu_count()} cores)",
            [
                "requests in flight per host",
                "seconds",
                "requests",
                "requests/s",
                "faster than 1 in flight",
                "`sorot serve` CPU per request",
                "simulator CPU per request",
                "accounts expanded",
                "follows stored",
                "load average",
            ],
            rows,
        )


def part_d(args: argparse.Namespace, seeds: list[str]) -> None:
    limit, window, token = args.rate_limit, args.window, "bench-token"
    extra = ["--gotosocial", "--rate-limit", str(limit), "--window", str(window), "--token", token]
    with simulator_process(args.accounts, args.seed, free_port(), *extra) as sim:
        os.environ.update(SOROT_ALLOW_PRIVATE_HOSTS="1", SOROT_HOST_CONCURRENCY="8")
        with fresh_database() as db, sorot_server(db) as port:
            key = asyncio.run(admin_key(db))
            api = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {key}"})
            env = {**os.environ, "DATABASE_URL": db, "SOROT_LOG_LEVEL": "WARNING"}
            worker = subprocess.Popen([sys.executable, "-m", "api", "worker"], env=env, stdout=subprocess.DEVNULL)
            ids = []
            for pair in (seeds[:2], seeds[2:4]):
                body = {
                    "platform": "mastodon",
                    "base_url": sim,
                    "token": token,
                    "seeds": pair,
                    "max_accounts": 100_000,
                    "max_depth": 2,
                    "max_followers": 200,
                    "max_following": 50,
                    "posts_per_account": 5,
                }
                r = api.post("/v1/crawls", json=body)
                assert r.status_code == 202, r.text
                ids.append(r.json()["id"])
            time.sleep(args.seconds)
            for i in ids:
                api.delete(f"/v1/crawls/{i}")
            crawls = wait_crawls(api, ids, 60)
            worker.send_signal(signal.SIGINT)
            worker.wait(60)
            stats = httpx.get(sim + "/_sim/stats").json()
    windows = stats["windows"]
    by_window = {int(w): n for w, n in stats["by_window"].items()}
    limited = {int(w): n for w, n in stats["limited_by_window"].items()}
    rows = []
    for k, (start, end) in enumerate(windows):
        n = by_window.get(int(start), 0)
        full = 0 < k < len(windows) - 1
        rows.append(
            [k + 1, f"{end - start:.0f}", n, limited.get(int(start), 0), f"{n / limit:.0%}" if full else "(partial)"]
        )
    full_used = [r[2] / limit for r in rows[1:-1]]
    table(
        f"(d) two crawls, `sorot serve` + a second `sorot worker`, one GoToSocial-like host allowing {limit} requests "
        f"per {window:g} s: 429s after the first window {sum(r[3] for r in rows[1:])}, lowest full-window use "
        f"{min(full_used):.0%}, empty pages after a short page {stats['wasted_pages']} of {stats['requests']} "
        "requests; "
        f"requests the crawls had saved when cancelled {sum(c['counters']['requests'] for c in crawls)}",
        ["window", "seconds", "requests", "429s", "budget used"],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", default="c,d")
    parser.add_argument("--accounts", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-accounts", type=int, default=2000)
    parser.add_argument("--in-flight", default="1,4,8,16", help="(c): requests in flight per host to compare")
    parser.add_argument(
        "--latency", default="0,0.01", help="(c): seconds the simulator adds to every answer, one table each"
    )
    parser.add_argument("--rate-limit", type=int, default=100)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=75.0, help="how long (d) runs")
    args = parser.parse_args()
    seeds = most_followed(args.accounts, args.seed, 10)
    if "c" in args.part:
        part_c(args, seeds)
    if "d" in args.part:
        part_d(args, seeds)


if __name__ == "__main__":
    main()
