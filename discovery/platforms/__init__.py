"""Platform connectors, one module each, all following ``base.Connector``."""

from __future__ import annotations

from discovery.fetcher import Fetcher
from discovery.models import Platform
from discovery.platforms.base import Connector
from discovery.platforms.bluesky import BlueskyConnector
from discovery.platforms.mastodon import MastodonConnector


def make_connector(platform: Platform, base_url: str, fetcher: Fetcher) -> Connector:
    if platform == "mastodon":
        return MastodonConnector(base_url, fetcher)
    return BlueskyConnector(base_url, fetcher)
