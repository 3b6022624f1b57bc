"""Token buckets: per key on expensive routes, per client IP on /r/ misses and webhook failures."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import msgspec
import pytest
from litestar import Litestar

from api.app import create_app
from api.ratelimit import RateLimiter, parse_limits
from api.settings import Settings
from tests.conftest import Tenant, make_tenant

pytestmark = pytest.mark.anyio
RANKING = {"platform": "mastodon", "topic": {"hashtags": ["coffee"]}}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TestTokenBucket:
    def test_burst_then_wait_then_refill(self) -> None:
        clock = FakeClock()
        limiter = RateLimiter({"heavy": (3, 60.0)}, clock=clock)
        assert [limiter.take("heavy", "k") for _ in range(3)] == [0, 0, 0]
        assert limiter.take("heavy", "k") == 20  # one token every 20 s
        assert limiter.take("heavy", "k2") == 0  # another caller has its own bucket
        clock.now += 20
        assert limiter.take("heavy", "k") == 0
        assert limiter.take("heavy", "k") > 0

    def test_wait_does_not_take(self) -> None:
        limiter = RateLimiter({"redirect_miss": (1, 60.0)}, clock=FakeClock())
        assert limiter.wait("redirect_miss", "ip") == 0 and limiter.wait("redirect_miss", "ip") == 0
        assert limiter.take("redirect_miss", "ip") == 0 and limiter.wait("redirect_miss", "ip") == 60

    def test_buckets_are_bounded(self) -> None:
        limiter = RateLimiter({"heavy": (1, 60.0)}, max_buckets=100, clock=FakeClock())
        for i in range(10_000):
            limiter.take("heavy", str(i))
        assert len(limiter) == 100

    def test_a_burst_of_zero_turns_a_class_off(self) -> None:
        limiter = RateLimiter(parse_limits("heavy=0/60"), clock=FakeClock())
        assert all(limiter.take("heavy", "k") == 0 for _ in range(1000))

    @pytest.mark.parametrize("text", ["nope=1/60", "heavy=x/60", "heavy"])
    def test_bad_settings_are_refused(self, text: str) -> None:
        with pytest.raises(ValueError, match="SOROT_RATE_LIMITS"):
            parse_limits(text)


@asynccontextmanager
async def limited_app(settings: Settings, limits: str) -> AsyncIterator[Litestar]:
    app = create_app(msgspec.structs.replace(settings, rate_limits=limits))
    async with app.lifespan():
        yield app


def client_from(app: Litestar, ip: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 40000)), base_url="http://sorot.test")


class TestPerKey:
    async def test_rankings_past_the_burst_get_429_with_retry_after(self, settings: Settings, conn: object) -> None:
        async with limited_app(settings, "heavy=2/60") as app, client_from(app, "10.0.0.1") as client:
            async with app.state.pool.acquire() as c:
                a, b = await make_tenant(c), await make_tenant(c)
            for _ in range(2):
                assert (await client.post("/v1/rankings", json=RANKING, headers=a.headers())).status_code != 429
            r = await client.post("/v1/rankings", json=RANKING, headers=a.headers())
            assert r.status_code == 429 and r.headers["content-type"].startswith("application/problem+json")
            assert 1 <= int(r.headers["retry-after"]) <= 30 and r.json()["retry_after"] == int(r.headers["retry-after"])
            # Another key, and a cheap route of the same key, are not held back.
            assert (await client.post("/v1/rankings", json=RANKING, headers=b.headers())).status_code != 429
            assert (await client.get("/v1/me", headers=a.headers())).status_code == 200

    async def test_reports_and_crawls_have_their_own_buckets(self, settings: Settings, conn: object) -> None:
        async with limited_app(settings, "report=1/60,crawl=1/60") as app, client_from(app, "10.0.0.2") as client:
            async with app.state.pool.acquire() as c:
                t: Tenant = await make_tenant(c)
            missing = f"/v1/campaigns/{uuid.uuid4()}/report"
            assert (await client.get(missing, headers=t.headers())).status_code == 404
            assert (await client.get(missing, headers=t.headers())).status_code == 429
            crawl = {"platform": "mastodon", "base_url": "http://127.0.0.1:9", "seeds": ["a"]}
            first = await client.post("/v1/crawls", json=crawl, headers=t.headers())
            assert first.status_code != 429
            assert (await client.post("/v1/crawls", json=crawl, headers=t.headers())).status_code == 429


class TestPerIp:
    async def test_redirect_misses_are_limited_per_ip(self, settings: Settings, conn: object) -> None:
        async with (
            limited_app(settings, "redirect_miss=3/60") as app,
            client_from(app, "203.0.113.5") as flood,
            client_from(app, "203.0.113.6") as other,
        ):
            codes = [(await flood.get(f"/r/nope{i}")).status_code for i in range(5)]
            assert codes == [404, 404, 404, 429, 429]
            assert (await other.get("/r/nope")).status_code == 404

    async def test_webhook_signature_failures_are_limited_per_ip(self, settings: Settings, conn: object) -> None:
        async with limited_app(settings, "webhook_fail=2/60") as app:
            async with app.state.pool.acquire() as c:
                t = await make_tenant(c)
            async with client_from(app, "198.51.100.7") as attacker, client_from(app, "198.51.100.8") as store:
                made = await store.post(
                    "/v1/integrations", json={"source": "shopify", "secret": "s3cret-long"}, headers=t.headers()
                )
                path = made.json()["webhook_path"]
                bad = {"X-Shopify-Hmac-Sha256": "x"}
                codes = [(await attacker.post(path, content=b"{}", headers=bad)).status_code for _ in range(4)]
                assert codes == [401, 401, 429, 429]
                assert (await store.post(path, content=b"{}", headers=bad)).status_code == 401
