"""`sorot demo --once` as a newcomer runs it: a real process, its own simulator, tables on stdout."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from discovery.simulator.serve import free_port


@pytest.mark.anyio
async def test_demo_prints_a_shortlist_and_a_report(database_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "SOROT_HOME": str(tmp_path), "COLUMNS": "200"}
    done = subprocess.run(  # noqa: ASYNC221 - the demo is the system under test
        [sys.executable, "-m", "api", "demo", "--once", "--accounts", "800", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    out = done.stdout
    assert "Shortlist for a $1,500 budget" in out and "ROI report" in out and "TOTAL" in out
    assert "API docs: http://" in out
    brands = re.findall(r"@(\w+)", out.split("target audience: the followers of ", 1)[1].splitlines()[0])
    shortlisted = out.split("Shortlist for a $1,500 budget", 1)[1].split("ROI report", 1)[0]
    assert len(brands) == 3 and not any(re.search(rf"\b{b}\b", shortlisted) for b in brands), shortlisted
