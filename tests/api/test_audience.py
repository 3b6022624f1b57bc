"""Audience segments and lookalikes through the API, on planted worlds of known make-up."""

from __future__ import annotations

from collections import Counter

import asyncpg
import httpx
import pytest

from bench.audience_world import community_world, language_world, store
from tests.conftest import Tenant

pytestmark = pytest.mark.anyio

MIXES = [
    ({"id": 0.6, "ms": 0.3, "en": 0.1}, {"ID:jakarta": 0.5, "ID:bandung": 0.2, "MY:kualalumpur": 0.2, None: 0.1}),
    ({"ms": 0.7, "id": 0.2, "en": 0.1}, {"MY:kualalumpur": 0.5, "MY:johorbahru": 0.3, "ID:jakarta": 0.1, None: 0.1}),
    ({"en": 0.5, "id": 0.25, "ms": 0.25}, {"GB:london": 0.4, "SG:singapore": 0.3, "ID:surabaya": 0.2, None: 0.1}),
]


def truth(labels: list[str | None]) -> dict[str, float]:
    counts = Counter(labels)
    return {str(k): v / len(labels) for k, v in counts.items()}


def by_key(breakdown: dict[str, object]) -> dict[str, dict[str, float]]:
    rows = {r["key"]: r for r in breakdown["shares"]}  # type: ignore[attr-defined]
    rows["unknown"] = breakdown["unknown"]  # type: ignore[assignment]
    return rows  # type: ignore[return-value]


class TestSegments:
    @pytest.mark.parametrize("seed", [1, 2, 3])
    async def test_shares_match_the_planted_mix_and_intervals_cover_it(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection, seed: int
    ) -> None:
        world = language_world(seed, MIXES, followers=300)
        ids = await store(conn, world)
        for c in world.creators:
            r = await client.get(f"/v1/accounts/{ids[c]}/segments", headers=tenant.headers("analyst"))
            assert r.status_code == 200, r.text
            seg = r.json()
            assert seg["suspect_excluded"] == world.suspects[c]
            assert seg["credible_followers"] == seg["sample_size"] == 300
            langs = by_key(seg["languages"])
            for lang, share in truth(world.languages[c]).items():
                key = "unknown" if lang == "None" else lang
                got = langs[key]
                assert abs(got["share"] - share) <= 0.03, (lang, got, share)
                assert got["low"] <= share <= got["high"], (lang, got, share)
            cities = by_key(seg["places"]["cities"])
            for place, share in truth(world.places[c]).items():
                key = "unknown" if place == "None" else place
                assert abs(cities[key]["share"] - share) <= 0.03, (place, cities[key], share)
                assert cities[key]["low"] <= share <= cities[key]["high"]
            countries = by_key(seg["places"]["countries"])
            my = sum(s for p, s in truth(world.places[c]).items() if p.startswith("MY:"))
            assert abs(countries.get("MY", {"share": 0.0})["share"] - my) <= 0.03

    async def test_suspects_never_count(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection
    ) -> None:
        # All-Indonesian audience from Jakarta, plus many English-writing mass followers from London.
        world = language_world(7, [({"id": 1.0}, {"ID:jakarta": 1.0})], followers=60, suspects=200)
        ids = await store(conn, world)
        seg = (await client.get(f"/v1/accounts/{ids[world.creators[0]]}/segments", headers=tenant.headers())).json()
        assert seg["suspect_excluded"] == 200
        assert [r["key"] for r in seg["languages"]["shares"]] == ["id"]
        assert "en" not in {r["key"] for r in seg["languages"]["shares"]}
        assert [r["key"] for r in seg["places"]["cities"]["shares"]] == ["ID:jakarta"]
        assert seg["places"]["cities"]["other"]["followers"] == 0

    async def test_small_places_are_not_reported(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection
    ) -> None:
        # 2 of 100 followers in Singapore: below the minimum evidence count, folded into "other".
        world = language_world(8, [({"id": 1.0}, {"ID:jakarta": 0.98, "SG:singapore": 0.02})], followers=100)
        ids = await store(conn, world)
        seg = (await client.get(f"/v1/accounts/{ids[world.creators[0]]}/segments", headers=tenant.headers())).json()
        singapore = world.places[world.creators[0]].count("SG:singapore")
        assert 0 < singapore < seg["places"]["min_evidence"]
        assert "SG:singapore" not in {r["key"] for r in seg["places"]["cities"]["shares"]}
        assert seg["places"]["cities"]["other"]["followers"] == singapore

    async def test_target_audience_of_seed_accounts(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection
    ) -> None:
        world = language_world(9, MIXES[:2], followers=150, suspects=10)
        ids = await store(conn, world)
        seeds = [ids[c] for c in world.creators]
        body = {"platform": "mastodon", "seed_accounts": seeds}
        r = await client.post("/v1/audience/segments", json=body, headers=tenant.headers("analyst"))
        assert r.status_code == 200, r.text
        seg = r.json()
        assert seg["account_id"] is None and seg["suspect_excluded"] == 20 and seg["credible_followers"] == 300
        labels = world.languages[world.creators[0]] + world.languages[world.creators[1]]
        langs = by_key(seg["languages"])
        for lang, share in truth(labels).items():
            assert abs(langs["unknown" if lang == "None" else lang]["share"] - share) <= 0.03
        r = await client.post("/v1/audience/segments", json={"platform": "mastodon"}, headers=tenant.headers())
        assert r.status_code == 422

    async def test_unknown_account_is_404(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        r = await client.get("/v1/accounts/999999/segments", headers=tenant.headers())
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("application/problem+json")


def precision_at_10(rows: list[dict[str, object]], relevant: set[int]) -> float:
    return sum(int(r["account_id"]) in relevant for r in rows[:10]) / 10  # type: ignore[call-overload]


class TestLookalikes:
    async def test_precision_and_complementary_reach(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection
    ) -> None:
        world = community_world(5)
        ids = await store(conn, world)
        topic_of = {ids[c]: world.group[c][0] for c in world.creators}
        group_of = {ids[c]: world.group[c] for c in world.creators}
        followers: dict[int, set[int]] = {}
        for a, b in world.follows:
            followers.setdefault(ids[b], set()).add(ids[a])
        precision: dict[str, list[float]] = {"audience": [], "content": []}
        extra_reach = []
        for c in world.creators[::7]:
            seed = ids[c]
            same_topic = {a for a, t in topic_of.items() if t == topic_of[seed] and a != seed}
            answers = {}
            for mode in ("audience", "content", "complementary"):
                r = await client.get(f"/v1/accounts/{seed}/lookalikes?mode={mode}&limit=10", headers=tenant.headers())
                assert r.status_code == 200, r.text
                answers[mode] = r.json()["lookalikes"]
                assert len(answers[mode]) == 10
            for mode in precision:
                precision[mode].append(precision_at_10(answers[mode], same_topic))

            def new_reach(rows: list[dict[str, object]], seed: int = seed) -> int:
                reached = set().union(*(followers[int(r["account_id"])] for r in rows))  # type: ignore[call-overload]
                return len(reached - followers[seed])

            extra_reach.append((new_reach(answers["complementary"]), new_reach(answers["audience"])))
            first = answers["audience"][0]
            assert group_of[first["account_id"]] == group_of[seed]
            assert first["shared_audience"] == len(followers[seed] & followers[first["account_id"]])
            assert first["new_reach"] == first["audience"] - first["shared_audience"]
        assert min(precision["audience"]) >= 0.8, precision
        assert min(precision["content"]) >= 0.8, precision
        assert all(comp > aud for comp, aud in extra_reach), extra_reach

    async def test_bad_mode_is_422(self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection) -> None:
        world = community_world(6, topics=1, creators_per_group=3, followers_per_group=20)
        ids = await store(conn, world)
        r = await client.get(f"/v1/accounts/{ids[0]}/lookalikes?mode=vibes", headers=tenant.headers())
        assert r.status_code == 422
        assert r.json()["field"] == "mode"


FILTER_MIXES = [
    ({"id": 0.7, "ms": 0.2, "en": 0.1}, {"ID:jakarta": 0.7, "MY:kualalumpur": 0.2, None: 0.1}),
    ({"ms": 0.75, "id": 0.15, "en": 0.1}, {"MY:kualalumpur": 0.6, "MY:johorbahru": 0.3, None: 0.1}),
    ({"en": 0.7, "id": 0.15, "ms": 0.15}, {"GB:london": 0.6, "SG:singapore": 0.3, None: 0.1}),
    ({"id": 0.5, "ms": 0.45, "en": 0.05}, {"ID:jakarta": 0.3, "MY:kualalumpur": 0.6, None: 0.1}),
    ({"id": 0.2, "en": 0.8}, {"ID:bandung": 0.65, "GB:london": 0.25, None: 0.1}),
]


class TestAudienceFilteredRanking:
    @pytest.fixture
    async def planted(self, conn: asyncpg.Connection) -> tuple[object, list[int]]:
        world = language_world(21, FILTER_MIXES, followers=200, suspects=30)
        return world, await store(conn, world)

    @pytest.mark.parametrize(
        ("audience", "expected"),
        [
            ({"languages": {"id": {"min": 0.35}}}, {0, 3}),
            ({"languages": {"id": {"min": 0.35}, "ms": {"min": 0.3}}}, {3}),
            ({"places": {"MY": {"min": 0.5}}}, {1, 3}),
            ({"places": {"Kuala Lumpur": {"min": 0.5}}, "languages": {"ms": {"min": 0.6}}}, {1}),
            ({"languages": {"en": {"max": 0.12}}}, {0, 1, 3}),
            ({"places": {"ID-JB": {"min": 0.5}}}, {4}),
        ],
    )
    async def test_returns_exactly_the_creators_that_satisfy_it(
        self,
        client: httpx.AsyncClient,
        tenant: Tenant,
        planted: tuple[object, list[int]],
        audience: dict[str, object],
        expected: set[int],
    ) -> None:
        world, ids = planted
        body = {"platform": "mastodon", "topic": {"hashtags": ["kopi"]}, "audience": audience, "limit": 50}
        r = await client.post("/v1/rankings", json=body, headers=tenant.headers("analyst"))
        assert r.status_code == 200, r.text
        got = {c["account_id"] for c in r.json()["creators"]}
        assert got == {ids[world.creators[k]] for k in expected}  # type: ignore[attr-defined]
        assert r.json()["excluded"]["audience_filter"] == len(FILTER_MIXES) - len(expected)

    @pytest.mark.parametrize(
        "audience",
        [
            {"languages": {"id": {"min": 1.5}}},
            {"languages": {"indonesian!": {"min": 0.5}}},
            {"places": {"Atlantis": {"min": 0.1}}},
            {"languages": {"id": {}}},
            {"places": {"MY": {"min": 0.6, "max": 0.2}}},
            {},
            {"colours": {"red": {"min": 0.1}}},
        ],
    )
    async def test_bad_filters_are_422(
        self, client: httpx.AsyncClient, tenant: Tenant, planted: tuple[object, list[int]], audience: dict[str, object]
    ) -> None:
        body = {"platform": "mastodon", "topic": {"hashtags": ["kopi"]}, "audience": audience}
        r = await client.post("/v1/rankings", json=body, headers=tenant.headers("analyst"))
        # An unknown key fails decoding (400); known keys with bad values fail validation (422).
        assert r.status_code == (400 if "colours" in audience else 422), r.text


class TestSegmentsAsTargets:
    async def test_segment_target_is_its_members_and_ranks_their_creator_first(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection, other_tenant: Tenant
    ) -> None:
        world = language_world(22, FILTER_MIXES, followers=200, suspects=30)
        ids = await store(conn, world)
        definition = {"languages": ["ms"], "places": ["MY"]}
        r = await client.post(
            "/v1/segments",
            json={"name": "Malay speakers in Malaysia", "platform": "mastodon", "definition": definition},
            headers=tenant.headers("manager"),
        )
        assert r.status_code == 201, r.text
        segment = r.json()
        members = sum(
            lang == "ms" and (place or "").startswith("MY:")
            for c in world.creators
            for lang, place in zip(world.languages[c], world.places[c], strict=True)
        )
        body = {"platform": "mastodon", "topic": {"hashtags": ["kopi"]}, "target": {"segment": segment["id"]}}
        r = await client.post("/v1/rankings", json=body, headers=tenant.headers("analyst"))
        assert r.status_code == 200, r.text
        ranking = r.json()
        assert abs(ranking["target_size"] - members) <= 0.03 * members, (ranking["target_size"], members)
        assert ranking["creators"][0]["account_id"] == ids[world.creators[1]]
        # Another org cannot use (or see) the segment.
        r = await client.post("/v1/rankings", json=body, headers=other_tenant.headers("analyst"))
        assert r.status_code == 404
        r = await client.get(f"/v1/segments/{segment['id']}", headers=other_tenant.headers())
        assert r.status_code == 404

    async def test_crud(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        make = {
            "name": "Jakarta coffee",
            "platform": "mastodon",
            "definition": {"places": ["Jakarta"], "interests": ["kopi"]},
        }
        r = await client.post("/v1/segments", json=make, headers=tenant.headers("manager"))
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        assert (await client.post("/v1/segments", json=make, headers=tenant.headers("manager"))).status_code == 409
        listed = (await client.get("/v1/segments", headers=tenant.headers("analyst"))).json()
        assert [s["id"] for s in listed] == [sid]
        assert listed[0]["definition"]["places"] == ["Jakarta"]
        bad = {**make, "name": "x", "definition": {"places": ["Atlantis"]}}
        assert (await client.post("/v1/segments", json=bad, headers=tenant.headers("manager"))).status_code == 422
        empty = {**make, "name": "y", "definition": {}}
        assert (await client.post("/v1/segments", json=empty, headers=tenant.headers("manager"))).status_code == 422
        assert (await client.delete(f"/v1/segments/{sid}", headers=tenant.headers("analyst"))).status_code == 403
        assert (await client.delete(f"/v1/segments/{sid}", headers=tenant.headers("manager"))).status_code == 204
        assert (await client.get(f"/v1/segments/{sid}", headers=tenant.headers())).status_code == 404
