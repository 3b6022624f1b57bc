"""The web app in a real headless Chromium (Debian's, driven by Playwright) against a live ``sorot serve``.

Covers: login with the credentials ``serve`` prints, demo data on request, discover -> shortlist ->
campaign -> report, finance export, a share link (and its 410 after revocation), keyboard-only use,
no request leaving the host, and an axe-core accessibility check (vendored, run in the page).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from sql.server import with_database
from tests.conftest import TEMPLATE, _admin

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).parent / "vendor" / "axe-core-4.10.2" / "axe.min.js"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# .ci/run installs Chromium and sets SOROT_REQUIRE_BROWSER, so CI fails rather than skips without it.
if not Path(CHROMIUM).exists() and os.environ.get("SOROT_REQUIRE_BROWSER"):
    raise RuntimeError(f"Chromium not found at {CHROMIUM}")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed (.ci/run installs it)")


class Live:
    def __init__(self, url: str, key: str, email: str, password: str) -> None:
        self.url, self.key, self.email, self.password = url, key, email, password

    def api(self, path: str, **params: str) -> httpx.Response:
        return httpx.get(self.url + path, params=params, headers={"Authorization": f"Bearer {self.key}"}, timeout=30)


@pytest.fixture
def fresh_database_url(server_url: str, template_url: str) -> Iterator[str]:
    """A migrated, empty database (the async ``database_url`` fixture cannot serve a sync test)."""
    name = f"sorot_b_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(server_url, f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
    yield with_database(server_url, name)
    asyncio.run(_admin(server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def live(fresh_database_url: str, tmp_path: Path) -> Iterator[Live]:
    """``sorot serve`` on a fresh database in its own process; what it prints is how a user logs in."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": fresh_database_url, "SOROT_PORT": str(port), "SOROT_HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "api", "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        seen.append(line)
        if "Web app:" in line or proc.poll() is not None:
            break
    text = "".join(seen)
    key = re.search(r"Admin API key \(shown once, keep it\): (sk_\S+)", text)
    login = re.search(r"Web login: (\S+) / (\S+)", text)
    url = re.search(r"Web app: (http://\S+)/login", text)
    assert key and login and url, text
    try:
        yield Live(url.group(1), key.group(1), login.group(1), login.group(2))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def offline_context(browser: Any, live: Live, **options: Any) -> tuple[Any, list[str]]:
    """A browser context where any request to another host is blocked and recorded."""
    context = browser.new_context(**options)
    outside: list[str] = []
    local = urlsplit(live.url).netloc

    def route(r: Any) -> None:
        if urlsplit(r.request.url).netloc == local or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    return context, outside


def log_in(page: Any, live: Live) -> None:
    page.goto(live.url + "/login")
    page.get_by_label("Email").fill(live.email)
    page.get_by_label("Password").fill(live.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/app/campaigns$"))


def kpi(page: Any, name: str) -> str:
    return str(page.locator(f'[data-kpi="{name}"] .value').inner_text()).strip()


class TestBrowser:
    def test_login_demo_discover_shortlist_campaign_finance_and_share(self, live: Live, browser: Any) -> None:
        context, outside = offline_context(browser, live, accept_downloads=True)
        page = context.new_page()
        started = time.monotonic()
        log_in(page, live)
        page.get_by_role("button", name=re.compile("Load demo data")).click()
        page.wait_for_url(re.compile(r".*/app/campaigns/[0-9a-f-]{36}$"), timeout=120_000)
        assert page.locator("figure svg[role=img]").count() == 1
        reached_chart = time.monotonic() - started
        assert reached_chart < 60, f"the ROI chart took {reached_chart:.0f} s"
        campaign_id = page.url.rsplit("/", 1)[1]
        api = live.api(f"/v1/campaigns/{campaign_id}/report").json()
        for name in ("net_revenue", "cost", "roi", "clicks", "conversions", "reach"):
            assert kpi(page, name) == str(api["total"][name]), name
        page.get_by_role("link", name="Conversions", exact=True).click()
        assert "Conversions per day" in str(page.locator("#chart-title").text_content())

        # Discover -> shortlist -> campaign.
        page.get_by_role("link", name="Discover").click()
        page.get_by_label("Topic hashtags (comma-separated)").fill("coffee")
        page.get_by_role("button", name="Rank").click()
        page.wait_for_selector("text=Ranked creators")
        first_reach = page.locator('td[data-col="expected_reach"]').first.inner_text()
        assert float(first_reach) > 0
        page.get_by_role("link", name="Build a shortlist from this ranking").click()
        page.get_by_label("Budget").fill("3000")
        page.get_by_role("button", name="Build shortlist").click()
        page.wait_for_url(re.compile(r".*/app/shortlists/[0-9a-f-]{36}$"))
        picks = page.locator('td[data-col="marginal_reach"]').count()
        assert picks >= 1
        page.get_by_label("Campaign name").fill("Kopi Nusantara")
        page.get_by_label("Currency").fill("IDR")
        page.get_by_label("Shop page the tagged links lead to").fill("https://toko.example/kopi")
        page.get_by_role("button", name="Create campaign").click()
        page.wait_for_url(re.compile(r".*/app/campaigns/[0-9a-f-]{36}$"))
        assert page.locator('tbody td[data-col="handle"]').count() == picks

        # Finance: the demo campaign in USD, exported as CSV equal to the API's.
        page.goto(f"{live.url}/app/campaigns/{campaign_id}/finance?currency=USD")
        status = page.locator("#fx-status").inner_text()
        api_usd = live.api(f"/v1/campaigns/{campaign_id}/report", currency="USD").json()
        assert ("Complete" in status) == api_usd["complete"]
        with page.expect_download() as download:
            page.get_by_role("link", name="CSV").click()
        exported = Path(download.value.path()).read_bytes()
        start, end = api_usd["start"], api_usd["end"]
        api_csv = live.api(
            f"/v1/campaigns/{campaign_id}/report", currency="USD", format="csv", **{"from": start, "to": end}
        )
        assert exported == api_csv.content

        # A share link, read without login, then revoked.
        page.goto(f"{live.url}/app/campaigns/{campaign_id}")
        page.get_by_role("button", name="Create a read-only share link").click()
        shared_url = page.locator("#share-url").inner_text()
        stranger, stranger_outside = offline_context(browser, live)
        anon = stranger.new_page()
        assert anon.goto(shared_url).status == 200
        assert anon.locator("tfoot td[data-col='net_revenue']").inner_text() == api["total"]["net_revenue"]
        assert anon.locator("td[data-col='cost']").count() == 0
        page.get_by_role("link", name="Back to the campaign").click()
        page.get_by_role("button", name="Revoke").first.click()
        assert anon.goto(shared_url).status == 410
        assert outside == [] and stranger_outside == []

    def test_keyboard_only_and_accessibility(self, live: Live, browser: Any) -> None:
        context, outside = offline_context(browser, live)
        page = context.new_page()
        page.goto(live.url + "/login")
        # The email field has focus on arrival (autofocus); wait for it before typing.
        page.wait_for_function("() => document.activeElement && document.activeElement.id === 'email'")
        page.keyboard.type(live.email)
        page.keyboard.press("Tab")
        page.keyboard.type(live.password)
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/app/campaigns$"))
        assert tab_to(page, "Load demo data")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/app/campaigns/[0-9a-f-]{36}$"), timeout=120_000)
        assert tab_to(page, "Finance view")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/finance$"))
        assert tab_to(page, "Discover")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/app/discover$"))
        assert outside == []

        checker = browser.new_context(bypass_csp=True)  # only so the test can inject axe-core
        audit = checker.new_page()
        audit.goto(live.url + "/login")
        assert_accessible(audit, "/login")
        audit.get_by_label("Email").fill(live.email)
        audit.get_by_label("Password").fill(live.password)
        audit.get_by_role("button", name="Log in").click()
        audit.wait_for_url(re.compile(r".*/app/campaigns$"))
        campaign = audit.get_by_role("link", name=re.compile("demo")).first.get_attribute("href")
        pages = ["/app/campaigns", campaign, f"{campaign}/finance", "/app/discover?hashtags=coffee"]
        pages += ["/app/shortlists", "/app/listening", "/app/people"]
        for path in pages:
            audit.goto(live.url + str(path))
            assert_accessible(audit, str(path))
        audit.goto(live.url + "/app/discover?hashtags=coffee")
        audit.locator('td a[href^="/app/accounts/"]').first.click()
        assert_accessible(audit, audit.url)


def assert_accessible(page: Any, label: str) -> None:
    """axe-core (vendored) finds no serious or critical violation on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [
        (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], f"{label}: {serious}"


def tab_to(page: Any, text: str, limit: int = 60) -> bool:
    """Press Tab until the focused element's text contains ``text``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement ? document.activeElement.innerText || '' : ''")
        if text in focused:
            return True
    return False
