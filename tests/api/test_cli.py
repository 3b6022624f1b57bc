"""The ``sorot`` command as a user runs it: real processes, real sockets."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

KEY = re.compile(r"sk_[A-Za-z0-9_-]+")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sorot(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "api", *args], env=env, capture_output=True, text=True, timeout=60)


class Server:
    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "api", "serve", "--port", str(self.port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line and self.proc.poll() is not None:
                break
            self.lines.append(line)
            if "serving on" in line:
                return
        raise AssertionError("server did not start:\n" + "".join(self.lines))

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGINT)
        rest, _ = self.proc.communicate(timeout=30)
        return "".join(self.lines) + rest


def env_with(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(extra)
    return env


class TestServeEmbedded:
    def test_first_start_prints_a_key_that_works_after_restart(self, tmp_path: Path) -> None:
        env = env_with(SOROT_HOME=str(tmp_path / "home"))
        first = Server(env)
        try:
            assert httpx.get(first.url + "/healthz").status_code == 200
            assert httpx.get(first.url + "/readyz").status_code == 200
            keys = KEY.findall("".join(first.lines))
            assert len(keys) == 1, first.lines
            me = httpx.get(first.url + "/v1/me", headers={"Authorization": f"Bearer {keys[0]}"})
            assert me.json()["org_name"] == "default"
        finally:
            first.stop()
        assert first.proc.returncode == 0
        assert not (tmp_path / "home" / "pgdata" / "postmaster.pid").exists(), "postgres left running"

        second = Server(env)
        try:
            assert not KEY.findall("".join(second.lines)), "a second admin key was made on restart"
            me = httpx.get(second.url + "/v1/me", headers={"Authorization": f"Bearer {keys[0]}"})
            assert me.status_code == 200
        finally:
            second.stop()


class TestAdminCommands:
    @pytest.mark.anyio
    async def test_org_and_key_create_against_database_url(self, database_url: str, tmp_path: Path) -> None:
        env = env_with(DATABASE_URL=database_url, SOROT_HOME=str(tmp_path))
        made = sorot("org", "create", "initech", env=env)
        assert made.returncode == 0, made.stderr
        org_id = re.search(r"org id:\s+(\S+)", made.stdout)
        assert org_id and KEY.search(made.stdout)
        key = sorot("key", "create", "--org", org_id.group(1), "--role", "analyst", env=env)
        assert key.returncode == 0, key.stderr
        server = Server(env)
        try:
            secret = KEY.findall(key.stdout)[0]
            me = httpx.get(server.url + "/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()  # noqa: ASYNC210
            assert me["org_name"] == "initech" and me["role"] == "analyst"
        finally:
            server.stop()

    @pytest.mark.anyio
    async def test_duplicate_org_is_a_clear_error(self, database_url: str, tmp_path: Path) -> None:
        env = env_with(DATABASE_URL=database_url, SOROT_HOME=str(tmp_path))
        assert sorot("org", "create", "dup", env=env).returncode == 0
        again = sorot("org", "create", "dup", env=env)
        assert again.returncode == 2 and "already exists" in again.stderr

    def test_help_lists_every_command(self) -> None:
        out = sorot("--help", env=env_with()).stdout
        for command in ("serve", "migrate", "org", "key"):
            assert re.search(rf"^\s+{command}\s+\S", out, re.MULTILINE), command
