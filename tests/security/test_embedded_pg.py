"""Embedded PostgreSQL survives a ``kill -9`` of the service: the next start recovers, and a clean
stop afterwards leaves no postgres process behind."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest

from discovery.simulator.serve import free_port
from sql.server import HANDLES, client_binary, drop_dead_handles, dump


def postgres_on(pgdata: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if proc.info["name"] == "postgres" and any(str(pgdata) in part for part in cmdline):
            found.append(proc)
    return found


def serve(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(SOROT_HOME=str(home), SOROT_PORT=str(port))
    proc = subprocess.Popen(
        [sys.executable, "-m", "api", "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise AssertionError(f"sorot serve exited with {proc.returncode}")
        time.sleep(0.3)
    proc.kill()
    raise AssertionError("sorot serve did not become ready")


class TestKillNine:
    def test_start_after_kill_9_then_clean_stop_leaves_no_postgres(self) -> None:
        # Not pytest's tmp_path: a folder of its own, like the session server's (tests/conftest.py).
        with tempfile.TemporaryDirectory(prefix="sorot-kill9-") as tmp:
            self.crash_and_recover(Path(tmp) / "home")

    def crash_and_recover(self, home: Path) -> None:
        pgdata = (home / "pgdata").resolve()
        first, _ = serve(home)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        # The crash leaves what used to wedge every later stop: an orphan postmaster, a dead handle.
        assert postgres_on(pgdata), "the postmaster outlives a kill -9 of the service"
        assert first.pid in json.loads((pgdata / HANDLES).read_text())

        second, url = serve(home)
        try:
            assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
            assert first.pid not in json.loads((pgdata / HANDLES).read_text())
        finally:
            second.send_signal(signal.SIGTERM)  # what a service manager sends for a clean stop
            # uvicorn shuts down (lifespan included), then re-raises the signal it caught.
            assert second.wait(60) in (0, -signal.SIGTERM)
        deadline = time.monotonic() + 20
        while postgres_on(pgdata) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert postgres_on(pgdata) == []


class TestDeadHandles:
    def test_only_exited_processes_are_dropped(self, tmp_path: Path) -> None:
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        (tmp_path / HANDLES).write_text(json.dumps([os.getpid(), dead.pid, os.getppid()]))
        assert drop_dead_handles(tmp_path) == [dead.pid]
        assert json.loads((tmp_path / HANDLES).read_text()) == [os.getpid(), os.getppid()]

    @pytest.mark.parametrize("content", ["", "not json", "{}"])
    def test_a_broken_list_is_not_fatal(self, tmp_path: Path, content: str) -> None:
        (tmp_path / HANDLES).write_text(content)
        assert drop_dead_handles(tmp_path) == []


class TestBackup:
    @pytest.mark.anyio
    async def test_backup_of_a_running_database_lists_its_data(
        self, conn: asyncpg.Connection, database_url: str, tmp_path: Path
    ) -> None:
        await conn.execute("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')")
        target = tmp_path / "sorot.dump"
        await asyncio.to_thread(dump, database_url, target)
        assert target.read_bytes()[:5] == b"PGDMP"
        restore = [client_binary("pg_restore"), "--list", str(target)]
        listing = (await asyncio.to_thread(subprocess.run, restore, capture_output=True, text=True, check=True)).stdout
        assert "TABLE DATA public kept" in listing
