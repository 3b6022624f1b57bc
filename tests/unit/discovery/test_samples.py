"""Every real sample the platforms produced parses, with the values a person reads in it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from discovery.platforms import bluesky, mastodon
from discovery.ratelimit import read_limits, retry_after
from tests.fixtures.samples import SAMPLES, cassette, jsonc_blocks, raw_headers, snapshots

ACCOUNT_LIST = re.compile(
    r"/api/v1/(accounts/\d+/(followers|following)|accounts/search|statuses/\d+/(favourited_by|reblogged_by))"
)
STATUS_LIST = re.compile(r"/api/v1/(accounts/\d+/statuses|timelines/tag/)")
ONE_ACCOUNT = re.compile(r"/api/v1/accounts/(\d+|verify_credentials)$")
ONE_STATUS = re.compile(r"/api/v1/statuses(/\d+(/(reblog|favourite|unreblog|unfavourite))?)?$")
# Endpoints the crawler never calls; their bodies are not ours to parse.
NOT_OURS = re.compile(r"/api/v2/instance|/(follow|unfollow)$|/api/v1/statuses/\d+$")


class TestMastodonCassettes:
    @pytest.mark.parametrize("path", sorted((SAMPLES / "mastodon").glob("*.yaml")), ids=lambda p: p.name)
    def test_every_response_parses(self, path: object) -> None:
        parsed = 0
        for ex in cassette(path):  # type: ignore[arg-type]
            uri = ex.uri.split("?")[0]
            if ex.status != 200 or (NOT_OURS.search(uri) and ex.method != "GET"):
                continue
            body = ex.json()
            if ACCOUNT_LIST.search(uri):
                accounts = [mastodon.parse_account(a) for a in body]
                assert all(a.external_id and a.handle for a in accounts)
            elif STATUS_LIST.search(uri):
                assert all(mastodon.parse_status(s).author.external_id for s in body)
            elif uri.endswith("/context"):
                mastodon.parse_context(body)
            elif ONE_ACCOUNT.search(uri):
                assert mastodon.parse_account(body).external_id == body["id"]
            elif ONE_STATUS.search(uri):
                assert mastodon.parse_status(body).external_id
            elif "/api/v2/search" in uri:
                [mastodon.parse_account(a) for a in body["accounts"]]
                [mastodon.parse_status(s) for s in body["statuses"]]
            elif NOT_OURS.search(uri):
                continue
            else:
                pytest.fail(f"no parser for {ex.method} {uri}")
            parsed += 1
            if "x-ratelimit-limit" in ex.headers:
                assert read_limits(ex.headers, datetime(2026, 8, 1, tzinfo=UTC).timestamp()) is not None
        assert parsed > 0

    def test_account_fields(self) -> None:
        ex = cassette(SAMPLES / "mastodon" / "test_account.yaml")[0]
        account = mastodon.parse_account(ex.json())
        assert account.handle == "mastodonpy_test"
        assert account.has_avatar is False  # avatars/original/missing.png is the default
        assert account.discoverable is None and account.opted_out is False

    def test_paging_follows_the_link_header(self) -> None:
        pages = [ex for ex in cassette(SAMPLES / "mastodon" / "test_fetch_next_previous.yaml") if "link" in ex.headers]
        assert pages
        nxt = mastodon.next_link(pages[0].headers["link"])
        assert nxt is not None and "max_id=" in nxt

    def test_hashtag_timeline_reads_tags(self) -> None:
        ex = next(e for e in cassette(SAMPLES / "mastodon" / "test_hashtag_tl.yaml") if "/timelines/tag/" in e.uri)
        posts = [mastodon.parse_status(s) for s in ex.json()]
        assert posts and all("hoot" in p.hashtags for p in posts)


class TestMastodonDocs:
    @pytest.mark.parametrize("path", sorted((SAMPLES / "mastodon").glob("*.jsonc")), ids=lambda p: p.name)
    def test_every_block_parses(self, path: object) -> None:
        for block in jsonc_blocks(path):  # type: ignore[arg-type]
            if isinstance(block, dict) and set(block) == {"error"}:
                continue
            if isinstance(block, list):
                for item in block:
                    (mastodon.parse_status if "account" in item else mastodon.parse_account)(item)
            elif "descendants" in block:
                mastodon.parse_context(block)
            else:
                assert mastodon.parse_account(block).external_id

    def test_documented_account(self) -> None:
        account = mastodon.parse_account(jsonc_blocks(SAMPLES / "mastodon" / "accounts_get.jsonc")[0])
        assert (account.handle, account.followers_count, account.has_avatar) == ("Gargron", 318699, True)
        assert account.bio.startswith("Developer of Mastodon")


class TestGoToSocial:
    def load(self, name: str) -> object:
        return json.loads((SAMPLES / "gotosocial" / f"{name}.json").read_text())

    def test_lookup_and_lists(self) -> None:
        zork = mastodon.parse_account(self.load("lookup"))  # type: ignore[arg-type]
        assert (zork.handle, zork.followers_count, zork.bio) == ("the_mighty_zork", 2, "hey yo this is my profile!")
        followers = [mastodon.parse_account(a) for a in self.load("followers")]  # type: ignore[attr-defined]
        assert followers[0].handle == "1happyturtle" and followers[0].opted_out  # discoverable: false
        for name in ("favourited_by", "reblogged_by"):
            assert [mastodon.parse_account(a) for a in self.load(name)]  # type: ignore[attr-defined]

    def test_statuses_context_and_tag(self) -> None:
        statuses = [mastodon.parse_status(s) for s in self.load("statuses")]  # type: ignore[attr-defined]
        assert statuses and statuses[0].author.handle == "the_mighty_zork"
        assert mastodon.parse_context(self.load("context"))  # type: ignore[arg-type]
        assert all("welcome" in mastodon.parse_status(s).hashtags for s in self.load("tag"))  # type: ignore[attr-defined]

    def test_link_headers_page(self) -> None:
        for name in ("followers", "statuses", "tag"):
            nxt = mastodon.next_link(raw_headers(SAMPLES / "gotosocial" / f"{name}.headers").get("link"))
            assert nxt and "max_id=" in nxt, name

    def test_real_429_without_retry_after_waits_until_reset(self) -> None:
        headers = raw_headers(SAMPLES / "gotosocial" / "429.headers")
        assert "retry-after" not in headers
        date = datetime(2026, 11, 22, 1, 42, 41, tzinfo=UTC).timestamp()
        limits = read_limits(headers, date)
        assert limits is not None and limits[:2] == (300, 0)
        wait = retry_after(headers, date)
        assert wait == pytest.approx(294, abs=1)  # Reset 01:47:35 minus Date 01:42:41


class TestBluesky:
    @pytest.mark.parametrize("path", sorted((SAMPLES / "bluesky").glob("*.snap")), ids=lambda p: p.name)
    def test_every_snapshot_parses(self, path: object) -> None:
        count = 0
        for _name, value in snapshots(path):  # type: ignore[arg-type]
            for profile in self._profiles(value):
                parsed = bluesky.parse_profile(profile)
                assert parsed.external_id.startswith("user(") and parsed.handle
                count += 1
        assert count > 0

    @staticmethod
    def _profiles(value: object) -> list[dict[str, object]]:
        if isinstance(value, list):
            return [v for v in value if isinstance(v, dict) and "did" in v]
        assert isinstance(value, dict)
        if "likes" in value:
            return [like["actor"] for like in value["likes"]]
        for key in ("followers", "follows", "profiles", "actors"):
            if key in value:
                return [*value[key], *([value["subject"]] if "subject" in value else [])]
        return [value] if "did" in value and "handle" in value else []

    def test_profile_counts_and_labels(self) -> None:
        profiles = dict(snapshots(SAMPLES / "bluesky" / "profile.test.ts.snap"))[
            "pds profile views > fetches multiple profiles 1"
        ]
        alice = bluesky.parse_profile(profiles[0])
        assert (alice.handle, alice.followers_count, alice.following_count, alice.posts_count) == (
            "alice.test",
            2,
            3,
            4,
        )
        assert "self-label-a" in alice.labels and alice.has_avatar

    def test_followers_page(self) -> None:
        page = dict(snapshots(SAMPLES / "bluesky" / "follows.test.ts.snap"))["pds follow views > fetches followers 1"]
        handles = [bluesky.parse_profile(p).handle for p in page["followers"]]
        assert handles[:3] == ["eve.test", "dan.test", "bob.test"]

    def test_opt_out_label(self) -> None:
        profile = bluesky.parse_profile(
            {"did": "did:plc:x", "handle": "x.test", "labels": [{"val": "!no-unauthenticated"}]}
        )
        assert profile.opted_out
