from __future__ import annotations

import httpx
import pytest

from tests.conftest import Tenant

pytestmark = pytest.mark.anyio


class TestProbes:
    async def test_healthz_and_readyz_answer_without_a_key(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["database"] == "ok"

    async def test_openapi_document_lists_operations(self, client: httpx.AsyncClient) -> None:
        doc = (await client.get("/schema/openapi.json")).json()
        ops = {op["operationId"] for path in doc["paths"].values() for op in path.values()}
        assert {"CreateApiKey", "ListApiKeys", "RevokeApiKey", "GetMe"} <= ops
        # Client generators name a model by its schema's title: two titles alike (two structs both called
        # Finding) made openapi-python-client drop the second and every schema using it.
        titles = [s.get("title", name) for name, s in doc["components"]["schemas"].items()]
        assert sorted(t for t in set(titles) if titles.count(t) > 1) == []


class TestAuthentication:
    async def test_missing_key_is_401_problem(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/v1/me")
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["type"].endswith("/unauthorized")

    async def test_invalid_key_is_401(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        r = await client.get("/v1/me", headers={"Authorization": "Bearer sk_not-a-real-key"})
        assert r.status_code == 401

    async def test_me_names_org_and_role(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        r = await client.get("/v1/me", headers=tenant.headers("analyst"))
        assert r.status_code == 200
        assert r.json()["org_name"] == "acme" and r.json()["role"] == "analyst"

    async def test_revoked_key_is_401(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        made = (await client.post("/v1/api-keys", json={"role": "manager"}, headers=tenant.headers())).json()
        auth = {"Authorization": f"Bearer {made['key']}"}
        assert (await client.get("/v1/me", headers=auth)).status_code == 200
        assert (await client.delete(f"/v1/api-keys/{made['id']}", headers=tenant.headers())).status_code == 200
        assert (await client.get("/v1/me", headers=auth)).status_code == 401


class TestKeys:
    async def test_created_secret_is_shown_once_and_stored_hashed(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: object
    ) -> None:
        made = (
            await client.post("/v1/api-keys", json={"role": "finance", "name": "ledger"}, headers=tenant.headers())
        ).json()
        assert made["key"].startswith("sk_") and len(made["key"]) >= 3 + 22
        listed = (await client.get("/v1/api-keys", headers=tenant.headers())).json()
        assert made["id"] in {k["id"] for k in listed}
        assert all("key" not in k and "secret_hash" not in k for k in listed)
        assert made["key"] not in str(listed)

    async def test_wrong_role_is_403(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        for role in ("manager", "analyst", "finance"):
            r = await client.get("/v1/api-keys", headers=tenant.headers(role))
            assert r.status_code == 403, role
            assert r.headers["content-type"].startswith("application/problem+json")

    async def test_other_org_cannot_see_or_revoke_keys(
        self, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
    ) -> None:
        mine = (await client.get("/v1/api-keys", headers=tenant.headers())).json()
        theirs = (await client.get("/v1/api-keys", headers=other_tenant.headers())).json()
        assert {k["id"] for k in mine}.isdisjoint({k["id"] for k in theirs})
        r = await client.delete(f"/v1/api-keys/{mine[0]['id']}", headers=other_tenant.headers())
        assert r.status_code == 404
        assert (await client.get("/v1/me", headers=tenant.headers())).status_code == 200


class TestBadInput:
    async def test_malformed_json_is_400_problem(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        r = await client.post(
            "/v1/api-keys", content=b"{bad", headers={**tenant.headers(), "content-type": "application/json"}
        )
        assert r.status_code == 400
        assert r.headers["content-type"].startswith("application/problem+json")

    async def test_unknown_role_names_the_field(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        r = await client.post("/v1/api-keys", json={"role": "owner"}, headers=tenant.headers())
        assert r.status_code == 400
        assert r.json()["errors"][0]["field"] == "role"

    async def test_unknown_route_is_404_problem(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/v1/nothing-here")
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("application/problem+json")

    async def test_bad_uuid_in_path_is_4xx(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        r = await client.delete("/v1/api-keys/not-a-uuid", headers=tenant.headers())
        assert 400 <= r.status_code < 500

    async def test_oversize_body_is_413(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        body = b'{"role": "admin", "name": "' + b"x" * (1024 * 1024 + 10) + b'"}'
        r = await client.post(
            "/v1/api-keys", content=body, headers={**tenant.headers(), "content-type": "application/json"}
        )
        assert r.status_code == 413

    async def test_request_id_is_echoed_or_made(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/healthz", headers={"X-Request-ID": "abc-123"})).headers["x-request-id"] == "abc-123"
        assert len((await client.get("/healthz")).headers["x-request-id"]) == 32
