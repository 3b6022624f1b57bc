"""Bots by user agent: crawlerdetect's maintained crawler list (from the CrawlerDetect project), plus the
fediverse and chat link-preview fetchers it may not name, plus empty agents.

crawlerdetect matches a browser's agent against its 1,400+ patterns with Python's ``re`` in 0.2-1.4 ms,
which was most of a redirect's time whenever the agent was not cached. The same patterns run here as one
RE2 automaton (linear time, about 2 us); the few RE2 cannot express (lookarounds) stay with ``re``.
The browser tokens the list excludes first (``Safari/537.36`` and so on) are removed with ``re`` as
crawlerdetect does, so the answer is crawlerdetect's (tests/unit/campaigns/test_bots.py compares them).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

import re2  # type: ignore[import-untyped]
from crawlerdetect.providers.crawlers import data as CRAWLERS
from crawlerdetect.providers.exclusions import data as EXCLUSIONS

# Link-preview fetchers of the fediverse and chat apps; each one fetches a link it saw posted, so none is a person.
PREVIEW_AGENTS = re.compile(
    r"mastodon/|pleroma|akkoma|gotosocial|misskey|bluesky|cardyb|whatsapp|telegrambot|skypeuripreview|"
    r"slack-imgproxy|discordbot|headlesschrome|phantomjs",
    re.IGNORECASE,
)
CACHE_SIZE = 16_384  # distinct agents remembered (a few MB)


def compile_any(patterns: Sequence[str]) -> Callable[[str], bool]:
    """Whether any pattern matches (case-insensitive): one RE2 automaton, ``re`` for what RE2 refuses."""
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    options.max_mem = 256 << 20  # room for the whole list's DFA, so it never falls back to the slower NFA
    fast, slow = [], []
    for pattern in patterns:
        try:
            re2.compile(pattern, options)
            fast.append(pattern)
        except re2.error:
            slow.append(pattern)
    automaton = re2.compile("|".join(f"(?:{p})" for p in fast), options) if fast else None
    rest = re.compile("|".join(f"(?:{p})" for p in slow), re.IGNORECASE) if slow else None

    def matches(text: str) -> bool:
        return bool((automaton is not None and automaton.search(text)) or (rest is not None and rest.search(text)))

    return matches


@functools.cache
def _crawler() -> Callable[[str], bool]:
    return compile_any(CRAWLERS)


_exclusions = re.compile(f"({'|'.join(EXCLUSIONS)})", re.IGNORECASE)


def is_crawler(agent: str) -> bool:
    """crawlerdetect's ``is_crawler``, faster."""
    rest = _exclusions.sub("", agent.strip())
    return bool(rest) and _crawler()(rest)


@functools.lru_cache(maxsize=CACHE_SIZE)
def is_bot(user_agent: str) -> bool:
    """A crawler, link preview or script by its user agent (an empty one too). Cached: agents repeat."""
    agent = user_agent.strip()
    return not agent or bool(PREVIEW_AGENTS.search(agent)) or is_crawler(agent)
