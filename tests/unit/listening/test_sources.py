"""Listening's parsers on real samples (tests/fixtures/samples) and on the documented stream formats."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from listening.sources.bluesky import parse_post, post_url
from listening.sources.jetstream import parse_event
from listening.sources.mastodon import parse_status, sse_events
from tests.fixtures.samples import SAMPLES, cassette, jsonc_blocks

pytestmark = pytest.mark.anyio


class TestMastodon:
    def test_gotosocial_hashtag_timeline(self) -> None:
        [status] = json.loads((SAMPLES / "gotosocial" / "tag.json").read_text())
        [seen] = parse_status(status)
        assert seen.uri == status["id"] and seen.language_tag == "en"
        assert seen.text and "<" not in seen.text
        assert seen.author_handle == status["account"]["acct"]
        assert not seen.opted_out

    def test_documented_tag_timeline_blocks(self) -> None:
        for block in jsonc_blocks(SAMPLES / "mastodon" / "timelines_tag.jsonc"):
            for status in block if isinstance(block, list) else [block]:
                for seen in parse_status(status):
                    assert seen.platform == "mastodon" and seen.created_at is not None

    def test_real_search_answer(self) -> None:
        exchanges = [e for e in cassette(SAMPLES / "mastodon" / "test_search.yaml") if "type=statuses" in e.uri]
        statuses = exchanges[0].json()["statuses"]
        assert all(parse_status(s) for s in statuses)

    def test_boost_gives_the_original_then_the_boost(self) -> None:
        [status] = json.loads((SAMPLES / "gotosocial" / "tag.json").read_text())
        boost = {**status, "id": "999", "content": "", "reblog": status}
        original, amplification = parse_status(boost)
        assert original.uri == status["id"] and original.boost_of is None
        assert amplification.uri == "999" and amplification.boost_of == status["id"]

    @pytest.mark.parametrize(
        "account",
        [{"discoverable": False}, {"indexable": False}, {"note": "<p>no bots please #NoBot</p>"}, {"noindex": True}],
    )
    def test_opt_outs(self, account: dict[str, object]) -> None:
        [status] = json.loads((SAMPLES / "gotosocial" / "tag.json").read_text())
        [seen] = parse_status({**status, "account": {**status["account"], **account}})
        assert seen.opted_out

    async def test_server_sent_events(self) -> None:
        async def lines() -> AsyncIterator[str]:
            for line in [
                ":)",
                "",
                "event: update",
                'data: {"id": "1"}',
                "",
                ":thump",
                "",
                "event: delete",
                "data: 1",
                "",
            ]:
                yield line

        assert [e async for e in sse_events(lines())] == [("update", '{"id": "1"}'), ("delete", "1")]


class TestBluesky:
    def test_search_post_view(self) -> None:
        view = {
            "uri": "at://did:plc:abc/app.bsky.feed.post/3kx",
            "cid": "bafy",
            "author": {"did": "did:plc:abc", "handle": "alice.bsky.social", "labels": []},
            "record": {
                "$type": "app.bsky.feed.post",
                "text": "Kopi enak #kopi",
                "createdAt": "2024-05-01T10:00:00Z",
                "langs": ["id"],
                "facets": [
                    {
                        "index": {"byteStart": 10, "byteEnd": 15},
                        "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "Kopi"}],
                    }
                ],
            },
            "likeCount": 2,
            "repostCount": 1,
            "replyCount": 0,
            "indexedAt": "2024-05-01T10:00:01Z",
        }
        seen = parse_post(view)
        assert seen is not None
        assert (seen.language_tag, seen.hashtags, seen.likes, seen.reposts) == ("id", ("kopi",), 2, 1)
        assert seen.url == "https://bsky.app/profile/alice.bsky.social/post/3kx"
        labelled = parse_post({**view, "author": {**view["author"], "labels": [{"val": "!no-unauthenticated"}]}})
        assert labelled is not None and labelled.opted_out

    def test_jetstream_post_and_repost(self) -> None:
        post = {
            "did": "did:plc:abc",
            "time_us": 1725911162329308,
            "kind": "commit",
            "commit": {
                "rev": "x",
                "operation": "create",
                "collection": "app.bsky.feed.post",
                "rkey": "3l3",
                "record": {
                    "$type": "app.bsky.feed.post",
                    "text": "hi",
                    "langs": ["en"],
                    "createdAt": "2024-09-09T19:46:02.102Z",
                },
                "cid": "bafy",
            },
        }
        seen = parse_event(post)
        assert seen is not None and seen.uri == "at://did:plc:abc/app.bsky.feed.post/3l3" and not seen.author_known
        repost = {
            **post,
            "commit": {
                **post["commit"],
                "collection": "app.bsky.feed.repost",
                "rkey": "9",
                "record": {"subject": {"uri": seen.uri, "cid": "bafy"}, "createdAt": "2024-09-09T19:47:00Z"},
            },
        }
        boosted = parse_event(repost)
        assert boosted is not None and boosted.boost_of == seen.uri
        assert parse_event({**post, "kind": "identity"}) is None
        assert parse_event({**post, "commit": {**post["commit"], "operation": "delete"}}) is None

    def test_post_url(self) -> None:
        assert post_url("at://did:plc:x/app.bsky.feed.post/abc", "x.test") == "https://bsky.app/profile/x.test/post/abc"
