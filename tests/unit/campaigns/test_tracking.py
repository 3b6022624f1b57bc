from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from campaigns.attribution import CreatorRef, JourneyClick, attribute
from campaigns.bots import is_bot
from campaigns.tracking import destination, destination_prefix


class TestDestination:
    def test_keeps_the_shops_parameters_and_fragment_and_replaces_ours(self) -> None:
        cid = uuid.uuid4()
        prefix = destination_prefix(
            "https://shop.example/p?x=1&utm_source=old&sorot_cid=stale#reviews", "bluesky", "winter", "abc123"
        )
        url = urlsplit(destination(prefix, cid, "reviews"))
        params = parse_qs(url.query)
        assert params == {
            "x": ["1"],
            "utm_source": ["bluesky"],
            "utm_medium": ["influencer"],
            "utm_campaign": ["winter"],
            "utm_content": ["abc123"],
            "sorot_cid": [str(cid)],
        }
        assert url.fragment == "reviews" and url.netloc == "shop.example"


class TestBots:
    @pytest.mark.parametrize(
        "agent",
        [
            "facebookexternalhit/1.1",
            "Twitterbot/1.0",
            "Slackbot-LinkExpanding 1.0",
            "Mozilla/5.0 (compatible; Discordbot/2.0)",
            "TelegramBot (like TwitterBot)",
            "WhatsApp/2.23",
            "Googlebot/2.1",
            "curl/8.4.0",
            "",
        ],
    )
    def test_preview_and_crawler_agents(self, agent: str) -> None:
        assert is_bot(agent)

    def test_a_browser_is_not_a_bot(self) -> None:
        assert not is_bot("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Safari/604.1")


NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
A = CreatorRef(uuid.uuid4(), uuid.uuid4(), 30)
B = CreatorRef(A.campaign_id, uuid.uuid4(), 30)


def click(ref: CreatorRef, days_before: float) -> JourneyClick:
    return JourneyClick(uuid.uuid4(), NOW - timedelta(days=days_before), ref)


class TestAttribution:
    def test_promo_code_wins_over_a_click(self) -> None:
        c = click(B, 1)
        credits, reason = attribute(NOW, ["Code-A"], c.click_id, None, {"code-a": A}, {}, [c])
        assert {(x.creator_id, x.method, x.share) for x in credits} == {(A.creator_id, "promo_code", Decimal(1))}
        assert "Code-A" in reason

    def test_models_split_a_journey(self) -> None:
        first, middle, last = click(A, 10), click(B, 5), click(B, 1)
        credits, _ = attribute(NOW, [], last.click_id, None, {}, {}, [first, middle, last])
        by = {(x.model, x.creator_id): x.share for x in credits}
        assert by[("last_click", B.creator_id)] == 1 and by[("first_click", A.creator_id)] == 1
        assert by[("linear", A.creator_id)] == Decimal("0.333333")
        assert by[("linear", B.creator_id)] == Decimal("0.666667")

    def test_a_click_outside_the_window_gets_nothing_and_says_why(self) -> None:
        old = click(A, 31)
        credits, reason = attribute(NOW, [], old.click_id, None, {}, {}, [old])
        assert credits == [] and "outside the 30-day window" in reason

    def test_ref_in_the_landing_url(self) -> None:
        credits, _ = attribute(NOW, [], None, "slug-a", {}, {"slug-a": A}, [])
        assert {x.method for x in credits} == {"ref"} and len(credits) == 3
