"""The served OpenAPI document describes the API as it behaves; the docs UI needs no CDN; probes."""

from __future__ import annotations

import re
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar

from api.ratelimit import ROUTE_CLASSES
from tests.conftest import Tenant

pytestmark = pytest.mark.anyio
METHODS = ("get", "post", "put", "patch", "delete")
PUBLIC = ("/healthz", "/readyz", "/v1/webhooks/{source}/{integration_id}")


async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    r = await client.get("/schema/openapi.json")
    assert r.status_code == 200
    return r.json()  # type: ignore[no-any-return]


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(p, m, op) for p, item in doc["paths"].items() for m, op in item.items() if m in METHODS]


class TestDocument:
    async def test_every_error_answer_is_the_problem_shape(self, client: httpx.AsyncClient) -> None:
        doc = await document(client)
        assert doc["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status", "detail"]
        for path, method, op in operations(doc):
            errors = {s: r for s, r in op["responses"].items() if s.startswith(("4", "5"))}
            assert "400" in errors, (path, method)
            for status, answer in errors.items():
                assert answer["content"] == {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                }, (path, method, status)

    async def test_statuses_per_route(self, client: httpx.AsyncClient) -> None:
        doc = await document(client)
        for path, method, op in operations(doc):
            codes = set(op["responses"])
            if path in PUBLIC:
                assert op["security"] == [] and "403" not in codes, path
            else:
                assert "security" not in op or op["security"], path
                assert "401" in codes, (path, method)
            if path != "/healthz":
                assert "503" in codes, (path, method)
            if "{" in path or method in ("post", "patch"):
                assert {"404", "422"} <= codes, (path, method)
            if method in ("post", "patch"):
                assert {"413", "415"} <= codes, (path, method)
            if op.get("operationId") in ROUTE_CLASSES:
                assert op["responses"]["429"]["headers"]["Retry-After"]["required"] is True
        assert "403" in doc["paths"]["/v1/api-keys"]["post"]["responses"]
        assert "403" not in doc["paths"]["/v1/me"]["get"]["responses"]

    async def test_request_shapes_are_exact(self, client: httpx.AsyncClient) -> None:
        schemas = (await document(client))["components"]["schemas"]
        assert schemas["CampaignIn"]["additionalProperties"] is False
        budget = schemas["CampaignIn"]["properties"]["budget"]
        pattern = budget["anyOf"][0]["pattern"]
        assert budget["default"] == "0"
        for good in ("0", "12.50", "-3", "123456789012345.1234567890"):
            assert re.match(pattern, good), good
        for bad in ("NaN", "Infinity", "1e5", " 1", "", "1.", ".5"):
            assert not re.match(pattern, bad), bad
        # Nullable decimals stay nullable.
        assert {"type": "null"} in schemas["CampaignPatch"]["properties"]["budget"]["anyOf"]
        keywords = schemas["Topic"]["properties"]["keywords"]
        assert keywords["maxItems"] == 50
        assert (keywords["items"]["minLength"], keywords["items"]["maxLength"]) == (1, 100)

    async def test_parameters_are_typed_and_bounded(self, client: httpx.AsyncClient) -> None:
        doc = await document(client)
        before = next(p for p in doc["paths"]["/v1/campaigns"]["get"]["parameters"] if p["name"] == "before")
        assert {"type": "string", "format": "date-time"} in before["schema"]["oneOf"]
        account = doc["paths"]["/v1/accounts/{account_id}"]["get"]["parameters"][0]["schema"]
        assert (account["minimum"], account["maximum"]) == (-(2**63), 2**63 - 1)

    async def test_csv_answers_are_documented(self, client: httpx.AsyncClient) -> None:
        doc = await document(client)
        assert "text/csv" in doc["paths"]["/v1/rankings"]["post"]["responses"]["200"]["content"]


class TestDocsUi:
    async def test_docs_load_no_remote_asset(self, client: httpx.AsyncClient) -> None:
        for path in ("/schema", "/schema/swagger"):
            page = (await client.get(path)).text
            sources = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page)
            assert sources and all(s.startswith("/schema/assets/") for s in sources), sources
            for source in sources:
                asset = await client.get(source)
                assert asset.status_code == 200 and len(asset.content) > 500, source

    async def test_vendored_assets_carry_their_licence(self, client: httpx.AsyncClient) -> None:
        assert "Apache License" in (await client.get("/schema/assets/LICENSE")).text
        assert "5.35.0" in (await client.get("/schema/assets/VENDORED.md")).text


class TestProbes:
    async def test_health_and_readiness_need_no_key(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        assert (await client.get("/readyz")).json() == {"status": "ok", "database": "ok"}

    async def test_an_unreachable_database_is_a_503_everywhere(
        self, app: Litestar, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        working = app.state.pool
        # Port 9 on loopback refuses connections: a database that is down.
        app.state.pool = await asyncpg.create_pool("postgresql://sorot@127.0.0.1:9/x", min_size=0, max_size=1)
        try:
            for path, headers in (("/readyz", {}), ("/v1/me", tenant.headers())):
                r = await client.get(path, headers=headers)
                assert r.status_code == 503, r.text
                assert r.headers["content-type"].startswith("application/problem+json")
                assert int(r.headers["retry-after"]) > 0
            assert (await client.get("/healthz")).status_code == 200
        finally:
            await app.state.pool.close()
            app.state.pool = working
