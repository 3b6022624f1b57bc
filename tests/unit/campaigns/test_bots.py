"""``campaigns.bots`` answers exactly as crawlerdetect does, only faster (RE2 for the patterns it can run)."""

from __future__ import annotations

import re

import pytest
from crawlerdetect import CrawlerDetect
from crawlerdetect.providers.crawlers import data as CRAWLERS

from campaigns.bots import compile_any, is_bot, is_crawler

BROWSERS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.6312.{n} Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{n} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0 Mobile "
    "Safari/537.36 Instagram 312.0.0.{n} Android",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{v}.1 Safari",
]
# Crawler names from the list itself (the plain ones), dressed as crawlers present themselves.
PLAIN = [p for p in CRAWLERS if re.fullmatch(r"[A-Za-z0-9 _-]{3,}", p)]
AGENTS = (
    [b.format(v=100 + n % 30, n=n) for b in BROWSERS for n in range(40)]
    + [f"Mozilla/5.0 (compatible; {name}/2.1; +https://example.com/bot)" for name in PLAIN[::3]]
    + [f"{name.lower()}/1.0" for name in PLAIN[1::7]]
    + [
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
        "Mozilla/5.0 (Linux; Android 12) YandexSearch/22.1 Mobile Safari/537.36",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "python-requests/2.32.0",
        "curl/8.4.0",
        "Mozilla/5.0 v17",
        "   ",
    ]
)


class TestSameAsCrawlerdetect:
    def test_every_agent_gets_crawlerdetects_answer(self) -> None:
        reference = CrawlerDetect()
        differ = [a for a in AGENTS if is_crawler(a) != reference.is_crawler(a)]
        assert differ == []
        assert sum(map(is_crawler, AGENTS)) > len(PLAIN) // 3  # the corpus has crawlers and browsers
        assert not any(is_crawler(b.format(v=120, n=1)) for b in BROWSERS)

    def test_patterns_re2_cannot_run_still_match(self) -> None:
        matches = compile_any([r"Yandex(?!Search)", "Googlebot"])
        assert matches("YandexBot/3.0") and matches("x googlebot y")
        assert not matches("YandexSearch/22.1")

    @pytest.mark.parametrize("agent", ["", "Mastodon/4.3.0 (http.rb/5.2; +https://social.example/)", "WhatsApp/2.23"])
    def test_previews_and_empty_agents_are_bots(self, agent: str) -> None:
        assert is_bot(agent)
