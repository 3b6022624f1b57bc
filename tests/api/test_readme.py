"""The README's curl walkthrough, run as written against a live `sorot serve` and `sorot simulate`.

Only HTTP: both are separate processes on 127.0.0.1. The block after ``<!-- walkthrough -->`` is
read line by line: ``curl`` commands are parsed (shell quoting included) and sent with httpx;
``NAME='...'`` and the ``openssl dgst -hmac`` idiom set variables; ``# save:``, ``# wait:`` and
``# expect:`` comments read the last JSON answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from discovery.simulator.serve import free_port

README = Path(__file__).resolve().parents[2] / "README.md"
SIGN = re.compile(r"""^(\w+)=\$\(printf '%s' "\$(\w+)" \| openssl dgst -sha256 -hmac "([^"]+)" -binary \| base64\)$""")


def walkthrough() -> list[str]:
    text = README.read_text().split("<!-- walkthrough -->", 1)[1]
    block = text.split("```sh\n", 1)[1].split("\n```", 1)[0]
    return block.replace("\\\n", " ").splitlines()


def expand(line: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), m.group(0)), line)


def path(value: Any, expr: str) -> Any:
    for part in re.findall(r"\.(\w+)|\[(\d+)\]", expr):
        value = value[part[0]] if part[0] else value[int(part[1])]
    return value


def curl(line: str, env: dict[str, str]) -> httpx.Response:
    # Split as the shell does, then expand: a variable's value is never re-parsed for quotes.
    args = [expand(a, env) for a in shlex.split(line)[1:]]
    method, headers, data, url = "GET", {}, None, None
    it = iter(args)
    for a in it:
        if a == "-X":
            method = next(it)
        elif a == "-H":
            k, _, v = next(it).partition(":")
            headers[k.strip()] = v.strip()
        elif a == "-d":
            data = next(it)
            method = "POST" if method == "GET" else method
        elif a == "-A":
            headers["User-Agent"] = next(it)
        elif a in ("-o", "-w"):
            next(it)
        elif a.startswith("-"):
            continue
        else:
            url = a
    assert url, line
    return httpx.request(method, url, headers=headers, content=data, timeout=60)


class Process:
    def __init__(self, argv: list[str], env: dict[str, str], ready: str) -> None:
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.lines: list[str] = []
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            self.lines.append(line)
            if ready in line:
                return
            if not line and self.proc.poll() is not None:
                break
        raise AssertionError("did not start: " + "".join(self.lines))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


@pytest.fixture
def services(database_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {**os.environ, "DATABASE_URL": database_url, "SOROT_HOME": str(tmp_path), "SOROT_ALLOW_PRIVATE_HOSTS": "1"}
    sim_port, port = free_port(), free_port()
    sim = Process(
        [sys.executable, "-m", "api", "simulate", "--accounts", "2000", "--port", str(sim_port)],
        env,
        "simulator serving",
    )
    try:
        server = Process([sys.executable, "-m", "api", "serve", "--port", str(port)], env, "serving on")
        try:
            key = re.search(r"sk_[\w-]+", "".join(server.lines))
            assert key, server.lines
            yield {"SOROT": f"http://127.0.0.1:{port}", "KEY": key.group(0), "SIM": f"http://127.0.0.1:{sim_port}"}
        finally:
            server.stop()
    finally:
        sim.stop()


@pytest.mark.anyio
async def test_the_walkthrough_runs_as_written(services: dict[str, str]) -> None:
    env = dict(services)
    last: httpx.Response | None = None
    last_line = ""
    ran = 0
    for raw in walkthrough():
        line = raw.strip()
        if line.startswith("curl "):
            last, last_line = curl(line, env), line
            assert last.status_code < 400, f"{line}\n{last.status_code} {last.text}"
            ran += 1
        elif m := SIGN.match(line):
            mac = hmac.new(m.group(3).encode(), env[m.group(2)].encode(), hashlib.sha256).digest()
            env[m.group(1)] = base64.b64encode(mac).decode()
        elif m := re.match(r"^(\w+)='(.*)'$", line):
            env[m.group(1)] = m.group(2)
        elif line.startswith("# save:"):
            assert last is not None
            for name, expr in re.findall(r"(\w+)=(\S+)", line):
                env[name] = str(path(last.json(), expr))
        elif line.startswith(("# wait:", "# expect:")):
            expr, want = line.split(":", 1)[1].split("==")
            deadline = time.monotonic() + (180 if line.startswith("# wait:") else 0)
            while str(path(last.json(), expr.strip())) != want.strip() and time.monotonic() < deadline:  # type: ignore[union-attr]
                time.sleep(0.5)  # noqa: ASYNC251
                last = curl(last_line, env)
            assert str(path(last.json(), expr.strip())) == want.strip(), f"{line}: {last.text[:500]}"  # type: ignore[union-attr]
    assert ran == sum(line.strip().startswith("curl ") for line in walkthrough()) >= 14
    report = json.loads(last.text)  # type: ignore[union-attr]
    assert report["creators"][0]["promo_code"] == "ROAST10" and report["total"]["clicks"] == 1
    assert env["BRAND"] not in (env["TOP1"], env["TOP2"], env["PICK"])  # the brand's own account is never a pick
