"""One rate budget per host, from the server's own rate-limit headers: the pure part.

Mastodon-API servers send ``X-RateLimit-Limit/Remaining/Reset`` (Reset an ISO 8601
time; GoToSocial rounds it down to the second); Bluesky sends ``RateLimit-Limit/
Remaining/Reset`` (Reset in Unix seconds). ``reserve`` spreads the requests still
allowed evenly over what is left of the window, counting reservations in flight;
``observe`` folds in each answer. A 429 or ``Remaining: 0`` holds the host until the
Reset plus a margin that covers a Reset rounded to the second. ``discovery.budget``
keeps this state in PostgreSQL so every crawl, worker and process shares it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from discovery.text import parse_time

# Seconds beyond which the server's Date header is trusted over our clock (a loaded client reads answers
# late, and Date is to the second: small differences are not skew).
CLOCK_SKEW_TOLERANCE = 10.0
SPREAD = 0.8  # share of the rest of a window its remaining requests are spread over
MIN_WINDOW = 0.25  # seconds: shorter steps between Reset times are noise, not a window
SAME_RESET = 0.01  # seconds: two Reset times closer than this name the same window


HeaderMap = Mapping[str, str]  # an answer's headers, looked up by lower-case name


def read_limits(headers: HeaderMap, now: float) -> tuple[int, int, float] | None:
    """(limit, remaining, reset as a time.time() value) from either header family."""
    for prefix in ("x-ratelimit-", "ratelimit-"):
        limit, remaining, reset = (headers.get(prefix + k) for k in ("limit", "remaining", "reset"))
        if limit and remaining and reset:
            try:
                lim, rem = int(limit.split(";")[0]), int(remaining)
            except ValueError:
                return None
            at = _reset_time(reset, now)
            if at is None:
                return None
            return lim, rem, _correct_skew(at, headers.get("date"), now)
    return None


def _reset_time(value: str, now: float) -> float | None:
    if value.isdigit():
        seconds = int(value)
        return float(seconds) if seconds > 1_000_000_000 else now + seconds  # epoch, or delta-seconds
    when = parse_time(value)
    return when.timestamp() if when else None


def _correct_skew(reset: float, date: str | None, now: float) -> float:
    if not date:
        return reset
    try:
        server_now = parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError):
        return reset
    skew = now - server_now
    return reset + skew if abs(skew) > CLOCK_SKEW_TOLERANCE else reset


def retry_after(headers: HeaderMap, now: float) -> float | None:
    value = headers.get("retry-after")
    if value and value.strip().isdigit():
        return float(value)
    limits = read_limits(headers, now)
    return max(0.0, limits[2] - now) if limits else None


ROUNDED_MARGIN = 1.05  # seconds after a Reset given to the second: the real one may be up to 1 s later
MARGIN = 0.05  # seconds after a precise Reset
LEASE_SECONDS = 60.0  # a reservation whose answer never came (its process died) stops counting after this
DEFAULT_HOLD = 5.0  # after a 429 that says nothing about when to come back


@dataclass
class BudgetState:
    """A host's budget as every process sees it. Times are Unix seconds."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: float = 0.0
    known_reset: float | None = None
    window: float | None = None
    hold_until: float = 0.0
    next_slot: float = 0.0
    leases: list[float] = field(default_factory=list)
    rounded: bool = False

    @property
    def margin(self) -> float:
        return ROUNDED_MARGIN if self.rounded else MARGIN


@dataclass(frozen=True)
class Decision:
    """``send_at`` (reserved; ``lease`` names the reservation), or come back at ``recheck_at``."""

    send_at: float | None
    recheck_at: float = 0.0
    lease: float | None = None
    unlimited: bool = False


def _live(state: BudgetState, now: float) -> None:
    state.leases = [t for t in state.leases if t > now]


def reserve(state: BudgetState, now: float) -> Decision:
    """Reserve one request if the budget allows it now (possibly for a slot a little later)."""
    _live(state, now)
    if now < state.hold_until:
        return Decision(None, state.hold_until)
    if state.limit is None:
        return Decision(now, unlimited=True)
    end = state.reset_at + state.margin
    if now >= end:
        # A new window began; until its first answer, assume it is as long as the last one.
        state.remaining = max(0, state.limit - len(state.leases))
        w = state.window
        state.reset_at = max(state.reset_at + w, now + w) if w else now + 1.0
        end = state.reset_at + state.margin
    remaining = state.limit - len(state.leases) if state.remaining is None else state.remaining
    if remaining <= 0:
        state.remaining = 0
        state.hold_until = max(state.hold_until, end)
        return Decision(None, state.hold_until)
    # Spread over the first part of what is left of the window, so a slow moment near its end (a busy
    # client, a slow database) does not leave budget unused.
    gap = SPREAD * max(0.0, state.reset_at - now) / (remaining + 1)
    start = max(now, state.next_slot)
    state.next_slot = start + gap
    state.remaining = remaining - 1
    lease = now + LEASE_SECONDS
    state.leases.append(lease)
    return Decision(start, lease=lease)


def observe(
    state: BudgetState,
    now: float,
    limits: tuple[int, int, float] | None,
    *,
    rounded: bool,
    limited: bool,
    retry: float | None,
    lease: float | None,
) -> None:
    """Fold one answer into the budget (``limited``: it was a 429; ``retry``: its Retry-After)."""
    if lease is not None and lease in state.leases:
        state.leases.remove(lease)
    _live(state, now)
    if limits is not None:
        limit, remaining, reset = limits
        # A Reset to the second may be cut down (GoToSocial) or exact (an aligned window): only a host
        # that never sent a fraction is held the extra second.
        state.rounded = rounded if state.limit is None else state.rounded and rounded
        state.limit = limit
        same = SAME_RESET
        # Requests reserved after this one and not answered yet may not be counted by the server: assume
        # they are not. Those reserved before it were sent before it, so the server counted them.
        newer = sum(1 for t in state.leases if lease is None or t > lease)
        server_view = max(0, remaining - newer)
        if state.known_reset is None or reset > state.known_reset + same:
            step = reset - state.known_reset if state.known_reset is not None else 0.0
            if step >= MIN_WINDOW:
                state.window = step if state.window is None else min(state.window, step)
            state.known_reset = reset
            state.reset_at = reset
            state.remaining = server_view
        elif reset >= state.known_reset - same and reset + state.margin > now:
            state.reset_at = max(state.reset_at, reset)
            state.remaining = server_view if state.remaining is None else min(state.remaining, server_view)
        if remaining == 0:
            state.hold_until = max(state.hold_until, reset + state.margin)
    if limited:
        if retry is not None:
            until = now + retry + (ROUNDED_MARGIN if float(retry).is_integer() else MARGIN)
        elif limits is not None:
            until = limits[2] + state.margin
        else:
            until = now + DEFAULT_HOLD
        state.hold_until = max(state.hold_until, until, now + MARGIN)
        state.remaining = 0


def rounded_reset(headers: HeaderMap) -> bool:
    """Whether the Reset header is given to the whole second (GoToSocial, RateLimit-Reset seconds)."""
    for name in ("x-ratelimit-reset", "ratelimit-reset"):
        value = headers.get(name)
        if value:
            when = parse_time(value)
            return when is None or when.microsecond == 0
    return False


def retry_after_seconds(headers: HeaderMap) -> float | None:
    value = headers.get("retry-after")
    return float(value) if value and value.strip().isdigit() else None
