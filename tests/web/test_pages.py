"""The web app through real HTTP requests: login, sessions, CSRF, throttling, figures equal to the API's."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx
import pytest
from litestar import Litestar

from tests.conftest import Tenant
from tests.web.helpers import PASSWORD, campaign_with_order, csrf_of, login, make_user

pytestmark = pytest.mark.anyio


def cell(html: str, section: str, column: str) -> str:
    """The text of a table cell marked data-col=column in the part of the page after ``section``."""
    part = html[html.index(section) :]
    found = re.search(rf'<td data-col="{column}">([^<]*)</td>', part)
    assert found is not None, f"no {column} cell"
    return found.group(1).strip()


class TestLogin:
    async def test_pages_need_a_session_and_login_opens_one(
        self, client: httpx.AsyncClient, conn: asyncpg.Connection, tenant: Tenant
    ) -> None:
        email = await make_user(conn, tenant)
        r = await client.get("/app/campaigns")
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/app/campaigns")
        r = await login(client, email)
        assert r.status_code == 303 and r.headers["location"] == "/app"
        assert "httponly" in r.headers["set-cookie"].lower() and "samesite=lax" in r.headers["set-cookie"].lower()
        page = await client.get("/app/campaigns")
        assert page.status_code == 200 and email in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]

    async def test_wrong_password_is_refused_and_repeated_failures_are_throttled(
        self, client: httpx.AsyncClient, conn: asyncpg.Connection, tenant: Tenant
    ) -> None:
        email = await make_user(conn, tenant)
        for _ in range(5):
            assert (await login(client, email, "wrong password!")).status_code == 401
        # Even the right password waits now: the email is locked for the window.
        assert (await login(client, email)).status_code == 429
        assert (await client.get("/app/campaigns")).status_code == 303

    async def test_login_without_the_form_token_is_refused(
        self, client: httpx.AsyncClient, conn: asyncpg.Connection, tenant: Tenant
    ) -> None:
        email = await make_user(conn, tenant)
        r = await client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": "forged"})
        assert r.status_code == 403 and "sorot_session" not in r.headers.get("set-cookie", "")

    async def test_logout_everywhere_ends_every_session(
        self, app: Litestar, conn: asyncpg.Connection, tenant: Tenant
    ) -> None:
        email = await make_user(conn, tenant)
        transport = httpx.ASGITransport(app=app)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://sorot.test") as laptop,
            httpx.AsyncClient(transport=transport, base_url="http://sorot.test") as phone,
        ):
            await login(laptop, email)
            await login(phone, email)
            page = await laptop.get("/app/campaigns")
            r = await laptop.post("/logout", data={"csrf_token": "nope", "everywhere": "1"})
            assert r.status_code == 403  # a form from elsewhere cannot log anyone out
            await laptop.post("/logout", data={"csrf_token": csrf_of(page.text), "everywhere": "1"})
            assert (await phone.get("/app/campaigns")).status_code == 303
            assert (await laptop.get("/app/campaigns")).status_code == 303

    async def test_an_invitation_makes_one_user_with_its_role(
        self, client: httpx.AsyncClient, app: Litestar, conn: asyncpg.Connection, tenant: Tenant
    ) -> None:
        await login(client, await make_user(conn, tenant))
        people = await client.get("/app/people")
        r = await client.post(
            "/app/people/invite",
            data={"csrf_token": csrf_of(people.text), "email": "fin@example.com", "role": "finance"},
        )
        link = re.search(r"<code>http://sorot\.test(/invite/[^<]+)</code>", r.text)
        assert link is not None
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sorot.test") as newcomer:
            form = await newcomer.get(link.group(1))
            r = await newcomer.post(link.group(1), data={"csrf_token": csrf_of(form.text), "password": PASSWORD})
            assert r.status_code == 303
            assert "fin@example.com (finance" in (await newcomer.get("/app/campaigns")).text
            again = await newcomer.post(link.group(1), data={"csrf_token": csrf_of(form.text), "password": PASSWORD})
            assert again.status_code == 404
        # A finance user may not manage people.
        async with httpx.AsyncClient(transport=transport, base_url="http://sorot.test") as fin:
            await login(fin, "fin@example.com")
            assert (await fin.get("/app/people")).status_code == 403


class TestCampaignPages:
    async def test_every_figure_on_the_campaign_and_finance_pages_equals_the_api(
        self, client: httpx.AsyncClient, conn: asyncpg.Connection, tenant: Tenant
    ) -> None:
        campaign = await campaign_with_order(client, tenant, conn)
        api = (await client.get(f"/v1/campaigns/{campaign['id']}/report", headers=tenant.headers())).json()
        await login(client, await make_user(conn, tenant, "finance"))
        page = (await client.get(f"/app/campaigns/{campaign['id']}")).text
        for field in ("net_revenue", "cost", "roi", "clicks"):
            value = r'<span class="label">[^<]*</span>\s*<span class="value">([^<]*)'
            shown = re.search(rf'data-kpi="{field}">\s*' + value, page)
            assert shown is not None and shown.group(1) == str(api["total"][field])
        assert api["total"]["net_revenue"] == "100.00" and api["total"]["cost"] == "40.00"
        for column in ("net_revenue", "cost", "roi", "conversions", "handle"):
            assert cell(page, "<tbody>", column) == str(api["creators"][0][column])
        assert '<svg xmlns="http://www.w3.org/2000/svg"' in page
        finance = (await client.get(f"/app/campaigns/{campaign['id']}/finance")).text
        assert "Complete: every figure is in EUR" in finance
        listed = (
            await client.get("/v1/conversions", params={"campaign_id": campaign["id"]}, headers=tenant.headers())
        ).json()["items"]
        assert f'<td data-col="order_id">{listed[0]["order_id"]}</td>' in finance
        assert f'<td data-col="amount">{listed[0]["amount"]} EUR</td>' in finance
        assert listed[0]["credits"][0]["reason"] in finance
        for column in ("net_revenue", "roi", "cost"):
            assert cell(finance, "<tfoot>", column) == str(api["total"][column])
        csv_page = await client.get(f"/app/campaigns/{campaign['id']}/report.csv")
        csv_api = await client.get(
            f"/v1/campaigns/{campaign['id']}/report", params={"format": "csv"}, headers=tenant.headers()
        )
        assert csv_page.status_code == 200 and csv_page.text == csv_api.text

    async def test_missing_fx_rate_shows_incomplete(
        self, client: httpx.AsyncClient, conn: asyncpg.Connection, tenant: Tenant
    ) -> None:
        campaign = await campaign_with_order(client, tenant, conn)
        await login(client, await make_user(conn, tenant))
        finance = await client.get(f"/app/campaigns/{campaign['id']}/finance", params={"currency": "IDR"})
        assert finance.status_code == 200 and "Incomplete" in finance.text

    async def test_another_orgs_campaign_is_not_found(
        self, client: httpx.AsyncClient, conn: asyncpg.Connection, tenant: Tenant, other_tenant: Tenant
    ) -> None:
        campaign = await campaign_with_order(client, tenant, conn)
        await login(client, await make_user(conn, other_tenant))
        assert (await client.get(f"/app/campaigns/{campaign['id']}")).status_code == 404
        assert (await client.get(f"/app/campaigns/{campaign['id']}/report.csv")).status_code == 404


class TestShareLinks:
    async def test_share_link_reads_without_login_hides_costs_and_answers_410_when_revoked(
        self, client: httpx.AsyncClient, app: Litestar, conn: asyncpg.Connection, tenant: Tenant
    ) -> None:
        campaign = await campaign_with_order(client, tenant, conn)
        made = await client.post(
            f"/v1/campaigns/{campaign['id']}/share-links", headers=tenant.headers("finance"), json={"days": 7}
        )
        assert made.status_code == 201
        link = made.json()
        path = link["url"].removeprefix("http://sorot.test")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sorot.test") as anyone:
            shared = await anyone.get(path)
            assert shared.status_code == 200
            assert cell(shared.text, "<tfoot>", "net_revenue") == "100.00"
            assert 'data-col="cost"' not in shared.text and 'data-col="roi"' not in shared.text
            revoked = await client.delete(
                f"/v1/campaigns/{campaign['id']}/share-links/{link['id']}", headers=tenant.headers("finance")
            )
            assert revoked.status_code == 204
            assert (await anyone.get(path)).status_code == 410
            assert (await anyone.get("/share/not-a-token")).status_code == 404

    async def test_share_with_costs_shows_them(
        self, client: httpx.AsyncClient, conn: asyncpg.Connection, tenant: Tenant
    ) -> None:
        campaign = await campaign_with_order(client, tenant, conn)
        await login(client, await make_user(conn, tenant))
        page = await client.get(f"/app/campaigns/{campaign['id']}")
        made = await client.post(
            f"/app/campaigns/{campaign['id']}/share",
            data={"csrf_token": csrf_of(page.text), "include_costs": "on", "days": "3"},
        )
        url = re.search(r'<code id="share-url">http://sorot\.test(/share/[^<]+)</code>', made.text)
        assert url is not None
        shared = (await client.get(url.group(1))).text
        assert Decimal(cell(shared, "<tfoot>", "cost")) == Decimal("40.00")


class TestUserCommand:
    async def test_sorot_user_create_makes_a_login(self, database_url: str, tmp_path: Path) -> None:
        env = {**os.environ, "DATABASE_URL": database_url, "SOROT_HOME": str(tmp_path)}

        async def sorot(*args: str) -> subprocess.CompletedProcess[str]:
            command = [sys.executable, "-m", "api", *args]
            return await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True, text=True)

        assert (await sorot("org", "create", "default")).returncode == 0
        made = await sorot("user", "create", "boss@brand.example", "--role", "finance")
        assert made.returncode == 0, made.stderr
        assert re.search(r"password: (\S+)", made.stdout) and "boss@brand.example (finance)" in made.stdout
        again = await sorot("user", "create", "BOSS@brand.example")
        assert again.returncode == 2 and "already exists" in again.stderr
        short = await sorot("user", "create", "x@brand.example", "--password", "short")
        assert short.returncode == 2 and "password must be" in short.stderr


class TestOperationsOnPages:
    async def test_deliverables_posts_and_payouts_show_the_apis_figures(
        self, client: httpx.AsyncClient, conn: asyncpg.Connection, tenant: Tenant
    ) -> None:
        campaign = await campaign_with_order(client, tenant, conn)
        h = tenant.headers()
        creator = (await client.get(f"/v1/campaigns/{campaign['id']}/creators", headers=h)).json()[0]
        due = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        made = await client.post(
            f"/v1/campaigns/{campaign['id']}/deliverables",
            headers=h,
            json={"creator_id": creator["id"], "kind": "video", "due_at": due, "platform": "tiktok"},
        )
        assert made.status_code == 201, made.text
        post = await client.post(
            f"/v1/campaigns/{campaign['id']}/content",
            headers=h,
            json={"creator_id": creator["id"], "url": "https://www.tiktok.com/@kopi/video/1", "platform": "tiktok"},
        )
        assert post.status_code == 201, post.text
        snap = await client.post(
            f"/v1/campaigns/{campaign['id']}/content/{post.json()['id']}/snapshots",
            headers=h,
            json={"views": 12345, "likes": 678, "comments": 9},
        )
        assert snap.status_code == 201, snap.text
        adjust = await client.post(
            f"/v1/campaigns/{campaign['id']}/creators/{creator['id']}/adjustments",
            headers=h,
            json={"amount": "12.50", "reason": "travel"},
        )
        assert adjust.status_code == 201, adjust.text
        await login(client, await make_user(conn, tenant))
        page = (await client.get(f"/app/campaigns/{campaign['id']}")).text
        assert "(overdue)" in page and '<td data-col="status">planned</td>' in page
        assert re.search(r"<td>12345</td>\s*<td>678</td>\s*<td>9</td>\s*<td>reported</td>", page)
        assert "none of the disclosure markers: #ad" in page  # the post has no caption, so no disclosure
        balances = (await client.get("/v1/payouts/balances", params={"campaign_id": campaign["id"]}, headers=h)).json()
        assert Decimal(balances[0]["balance"]) == Decimal("12.50")
        finance = (await client.get(f"/app/campaigns/{campaign['id']}/finance")).text
        assert f'<td data-col="balance">{balances[0]["balance"]}</td>' in finance
