"""One typed settings object, read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import msgspec

TRUE = {"1", "true", "yes", "on"}


class Settings(msgspec.Struct, frozen=True):
    database_url: str | None = None
    home: Path = Path(".sorot")
    host: str = "127.0.0.1"
    port: int = 8000
    allow_private_hosts: bool = False
    # Hosts whose token-less crawls feed the shared public index every org sees (none by default).
    shared_hosts: frozenset[str] = frozenset()
    log_level: str = "INFO"
    pool_min: int = 2
    pool_max: int = 10
    # Abuse limits and bounded resources (README, "Rate limits" and "Operations").
    rate_limits: str = ""  # e.g. "heavy=20/60,crawl=10/60": over api.ratelimit.DEFAULT_LIMITS
    statement_timeout: float = 30.0  # seconds, every API query
    heavy_statement_timeout: float = 120.0  # seconds, rankings, overlap, audience, shortlists, reports
    graph_concurrency: int = 2  # heavy graph requests at once; the others wait in line
    graph_queue_timeout: float = 60.0  # seconds a heavy request waits for its turn before a 503
    link_cache_size: int = 20_000  # /r/ slugs remembered (hits and misses)
    snapshot_cache_size: int = 2  # graph snapshots kept in memory
    snapshot_dir: Path | None = None  # persisted graph snapshots (graph/store.py); None: $SOROT_HOME/snapshots
    # Reverse proxies whose X-Forwarded-For / Forwarded headers name the visitor (addresses or CIDRs).
    trusted_proxies: str = ""
    # How far a click may follow its order and still credit it: store clocks and ours differ.
    clock_skew_seconds: int = 300
    # How old an FX rate may be and still convert a day's amounts (weekday-only feeds skip weekends).
    fx_max_age_days: int = 7
    host_concurrency: int = 8  # crawl requests in flight per host from this process, within its rate budget

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            home=Path(env.get("SOROT_HOME", ".sorot")),
            host=env.get("SOROT_HOST", "127.0.0.1"),
            port=int(env.get("SOROT_PORT", "8000")),
            allow_private_hosts=env.get("SOROT_ALLOW_PRIVATE_HOSTS", "").lower() in TRUE,
            shared_hosts=frozenset(
                h.strip().lower() for h in env.get("SOROT_SHARED_HOSTS", "").split(",") if h.strip()
            ),
            log_level=env.get("SOROT_LOG_LEVEL", "INFO").upper(),
            pool_min=int(env.get("SOROT_POOL_MIN", "2")),
            pool_max=int(env.get("SOROT_POOL_MAX", "10")),
            rate_limits=env.get("SOROT_RATE_LIMITS", ""),
            statement_timeout=float(env.get("SOROT_STATEMENT_TIMEOUT", "30")),
            heavy_statement_timeout=float(env.get("SOROT_HEAVY_STATEMENT_TIMEOUT", "120")),
            graph_concurrency=int(env.get("SOROT_GRAPH_CONCURRENCY", "2")),
            graph_queue_timeout=float(env.get("SOROT_GRAPH_QUEUE_TIMEOUT", "60")),
            link_cache_size=int(env.get("SOROT_LINK_CACHE_SIZE", "20000")),
            snapshot_cache_size=int(env.get("SOROT_SNAPSHOT_CACHE_SIZE", "2")),
            snapshot_dir=Path(env["SOROT_SNAPSHOT_DIR"]) if env.get("SOROT_SNAPSHOT_DIR") else None,
            trusted_proxies=env.get("SOROT_TRUSTED_PROXIES", ""),
            clock_skew_seconds=int(env.get("SOROT_CLOCK_SKEW_SECONDS", "300")),
            fx_max_age_days=int(env.get("SOROT_FX_MAX_AGE_DAYS", "7")),
            host_concurrency=max(1, int(env.get("SOROT_HOST_CONCURRENCY", "8"))),
        )

    @property
    def snapshots(self) -> Path:
        """Where graph snapshots persist: SOROT_SNAPSHOT_DIR, else $SOROT_HOME/snapshots."""
        return self.snapshot_dir or self.home / "snapshots"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"
