"""Paging against recorded GoToSocial and Mastodon responses: a short page ends a listing."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from discovery.fetcher import Counters, Fetcher
from discovery.models import Profile
from discovery.platforms import mastodon
from discovery.platforms.mastodon import MastodonConnector
from tests.fixtures.samples import SAMPLES, cassette, raw_headers

pytestmark = pytest.mark.anyio


class Replay:
    """Answers each recorded GET by path and max_id; anything past what was recorded is an empty page
    (what GoToSocial and Mastodon answer past the end of a listing)."""

    def __init__(self) -> None:
        self.pages: dict[tuple[str, str | None], tuple[str, dict[str, str]]] = {}
        self.asked: list[tuple[str, int]] = []  # (path, items answered)

    def add(self, url: str, body: str, headers: dict[str, str]) -> None:
        parts = urlsplit(url)
        self.pages[(parts.path, parse_qs(parts.query).get("max_id", [None])[0])] = (body, headers)

    def add_gotosocial(self, name: str) -> None:
        headers = raw_headers(SAMPLES / "gotosocial" / f"{name}.headers")
        path = urlsplit(mastodon.next_link(headers["link"]) or "").path
        self.add("http://localhost:8080" + path, (SAMPLES / "gotosocial" / f"{name}.json").read_text(), headers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        max_id = parse_qs(request.url.query.decode()).get("max_id", [None])[0]
        body, headers = self.pages.get((request.url.path, max_id), ("[]", {}))
        self.asked.append((request.url.path, len(json.loads(body))))
        link = {"link": headers["link"]} if "link" in headers else {}
        return httpx.Response(200, text=body, headers={"content-type": "application/json", **link})


def connector(replay: Replay, base: str) -> MastodonConnector:
    client = httpx.AsyncClient(transport=httpx.MockTransport(replay))
    return MastodonConnector(base, Fetcher(client, Counters()))


async def test_gotosocial_sends_a_next_link_on_a_short_page_which_is_not_followed() -> None:
    replay = Replay()
    for name in ("tag", "followers", "statuses"):
        replay.add_gotosocial(name)
    gts = connector(replay, "http://localhost:8080")
    tag = await gts.hashtag("welcome", 200)
    followers = [p async for page in gts.followers(Profile("01F8MH1H7YV1Z7D2C8K2730QBF", "zork"), 1000) for p in page]
    statuses = await gts.posts(Profile("01F8MH1H7YV1Z7D2C8K2730QBF", "zork"), 20, None)
    assert len(tag) == 1 and len(followers) == 1 and len(statuses.posts) == 3
    assert [n for _, n in replay.asked] == [1, 1, 3]  # one request per listing, no empty page
    assert statuses.covers_from is not None  # the listing was read to its end


async def test_mastodon_full_pages_are_followed_and_a_short_one_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    replay = Replay()
    for ex in cassette(SAMPLES / "mastodon" / "test_fetch_next_previous.yaml"):
        if ex.method == "GET" and "/statuses" in ex.uri and "min_id" not in ex.uri:
            replay.add(ex.uri, ex.body, ex.headers)
    for ex in cassette(SAMPLES / "mastodon" / "test_hashtag_tl.yaml"):
        if "/timelines/tag/" in ex.uri:
            replay.add(ex.uri, ex.body, ex.headers)
    monkeypatch.setattr(mastodon, "STATUS_PAGE", 5)  # the recording asked for pages of 5
    server = connector(replay, "http://localhost:3000")
    listing = await server.posts(Profile("117020565966271181", "test"), 100, None)
    assert len(listing.posts) == 10
    assert [n for _, n in replay.asked] == [5, 5, 0]  # two full pages, then the empty one that ends it
    replay.asked.clear()
    assert len(await server.hashtag("hoot", 200)) == 1
    assert [n for _, n in replay.asked] == [1]  # Mastodon too sends a next link on a short page


async def test_a_server_that_caps_pages_lower_is_learnt_once() -> None:
    accounts = json.loads((SAMPLES / "gotosocial" / "followers.json").read_text())
    replay = Replay()
    base = "http://capped.test/api/v1/accounts/1/followers"

    def page(max_id: str | None, n: int, nxt: str | None) -> None:
        body = json.dumps([{**accounts[0], "id": f"{max_id or 0}-{k}"} for k in range(n)])
        replay.add(base + (f"?max_id={max_id}" if max_id else ""), body, {"link": f'<{base}?max_id={nxt}>; rel="next"'})

    page(None, 40, "a")  # asked for 80, got 40: the end, or a cap of 40?
    page("a", 40, "b")
    page("b", 7, "c")
    server = connector(replay, "http://capped.test")
    fans = [p async for pg in server.followers(Profile("1", "x"), 1000) for p in pg]
    assert len(fans) == 87
    assert [n for _, n in replay.asked] == [40, 40, 7]
