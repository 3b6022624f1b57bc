"""Listening's rules for the API, the CLI and jobs: monitors, mentions, analytics, alerts, scoring."""

from __future__ import annotations

import asyncio
import base64
from collections import Counter
from datetime import UTC, datetime, timedelta
from uuid import UUID

from listening import lang, repository
from listening.models import (
    AlertDetail,
    Analysis,
    AnalyzeIn,
    AnalyzeOut,
    Cooccurrence,
    MentionPage,
    Monitor,
    MonitorIn,
    ShareOfVoice,
    TermCount,
    TopPost,
    TopVoice,
    Voice,
    VolumePoint,
)
from listening.rules import Matcher, fold
from listening.screening import CreatorScreen, screen
from listening.sentiment import default_scorer
from listening.sentiment.normalise import words
from listening.sources.base import check_url
from sql import Conn
from sql.errors import ValidationError

MAX_ANALYZE = 1000
MAX_TEXT = 10_000
MAX_SOURCES = 20
MAX_SCREEN = 500
LANGUAGE = r"^[a-z]{2,3}$"
BUCKETS = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}
_STOPWORDS = """
the a an and or of to in on for is it this that with at be are was i you my me so not no yes
yang dan di ke dari ini itu untuk dengan tidak ada saya kamu aku kita sama juga sudah lagi banget sekali
ni tu nak tak dah je lah pun kat sangat dia mereka kami apa ya
"""
STOPWORDS = frozenset(_STOPWORDS.split())


def _check_url(url: str | None, field: str, allow_private: bool) -> None:
    if url is None:
        return
    if not url.startswith(("http://", "https://", "ws://", "wss://")) or len(url) > 2000:
        raise ValidationError(f"{field} must be an http(s) or ws(s) URL", field=field)
    check_url(url, allow_private)


def validate(data: MonitorIn, allow_private: bool) -> None:
    if not data.name.strip() or len(data.name) > 200:
        raise ValidationError("name must have 1 to 200 characters", field="name")
    Matcher(data.brand, data.competitors)  # raises on bad terms
    if len(data.competitors) > 20:
        raise ValidationError("at most 20 competitors", field="competitors")
    bad = [code for code in data.languages if not code.isalpha() or not 2 <= len(code) <= 3 or code != code.lower()]
    if bad:
        raise ValidationError(f"languages are ISO 639 codes such as 'id', 'ms', 'en'; got {bad}", field="languages")
    if len(data.sources) > MAX_SOURCES:
        raise ValidationError(f"at most {MAX_SOURCES} sources", field="sources")
    for s in data.sources:
        allowed = ("public", "hashtag", "search") if s.platform == "mastodon" else ("search", "jetstream")
        if s.kind not in allowed:
            raise ValidationError(f"{s.platform} sources are one of {allowed}, not {s.kind!r}", field="sources")
        if s.kind in ("hashtag", "search") and not s.query.strip():
            raise ValidationError(f"a {s.platform} {s.kind} source needs a query", field="sources")
        if s.kind == "jetstream" and not s.stream_url:
            raise ValidationError("a jetstream source needs stream_url (the Jetstream server)", field="sources")
        _check_url(s.base_url, "base_url", allow_private)
        _check_url(s.stream_url, "stream_url", allow_private)
    if any(not t.strip() or len(t) > 200 for t in data.flagged_terms) or len(data.flagged_terms) > 500:
        raise ValidationError("flagged_terms: up to 500 terms of 1 to 200 characters", field="flagged_terms")
    a = data.alert
    if not (
        1 <= a.window_minutes <= 1440
        and 2 <= a.baseline_windows <= 1000
        and a.threshold > 0
        and 1 <= a.min_baseline_windows <= a.baseline_windows
        and a.min_count >= 1
        and a.cooldown_minutes >= 0
    ):
        raise ValidationError("alert settings are out of range", field="alert")


async def create_monitor(conn: Conn, org_id: UUID, data: MonitorIn, allow_private: bool) -> Monitor:
    await asyncio.to_thread(validate, data, allow_private)
    return await repository.create_monitor(conn, org_id, data)


def _cursor(value: str | None) -> tuple[datetime, int] | None:
    if value is None:
        return None
    try:
        at, _, ident = base64.urlsafe_b64decode(value.encode()).decode().partition("|")
        return datetime.fromisoformat(at), int(ident)
    except (ValueError, UnicodeDecodeError) as e:
        raise ValidationError("cursor must be a value of next_cursor", field="cursor") from e


async def mentions(
    conn: Conn,
    org_id: UUID,
    monitor_id: UUID,
    *,
    subject: str | None = None,
    sentiment: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> MentionPage:
    await repository.get_monitor(conn, org_id, monitor_id)
    items = await repository.list_mentions(
        conn,
        org_id,
        monitor_id,
        subject=subject,
        sentiment=sentiment,
        since=since,
        until=until,
        after=_cursor(cursor),
        limit=limit + 1,
    )
    nxt = None
    if len(items) > limit:
        items = items[:limit]
        last = items[-1]
        nxt = base64.urlsafe_b64encode(f"{last.created_at.isoformat()}|{last.id}".encode()).decode()
    return MentionPage(items, nxt)


async def volume(
    conn: Conn, org_id: UUID, monitor_id: UUID, bucket: str, since: datetime | None, until: datetime | None
) -> list[VolumePoint]:
    if bucket not in BUCKETS:
        raise ValidationError(f"bucket is one of {sorted(BUCKETS)}", field="bucket")
    await repository.get_monitor(conn, org_id, monitor_id)
    return await repository.volume(conn, org_id, monitor_id, BUCKETS[bucket], since, until)


async def share_of_voice(
    conn: Conn, org_id: UUID, monitor_id: UUID, since: datetime | None, until: datetime | None
) -> ShareOfVoice:
    monitor = await repository.get_monitor(conn, org_id, monitor_id)
    found = {v.subject: v for v in await repository.share_of_voice(conn, org_id, monitor_id, since, until)}
    names = ["brand"] + [c.name for c in monitor.competitors]
    totals = [sum(getattr(v, k) for v in found.values()) for k in ("mentions", "engagement", "reach")]
    rows = []
    for name in names:
        v = found.get(name)
        values = (v.mentions, v.engagement, v.reach) if v else (0, 0, 0)
        shares = [round(x / t, 6) if t else 0.0 for x, t in zip(values, totals, strict=True)]
        rows.append(
            Voice(
                subject=name,
                mentions=values[0],
                engagement=values[1],
                reach=values[2],
                positive=v.positive if v else 0,
                neutral=v.neutral if v else 0,
                negative=v.negative if v else 0,
                share_mentions=shares[0],
                share_engagement=shares[1],
                share_reach=shares[2],
            )
        )
    return ShareOfVoice(rows, totals[0])


async def _subject(conn: Conn, org_id: UUID, monitor_id: UUID, subject: str) -> str:
    monitor = await repository.get_monitor(conn, org_id, monitor_id)
    if subject != "brand" and subject not in {c.name for c in monitor.competitors}:
        raise ValidationError(f"subject is 'brand' or a competitor's name, not {subject!r}", field="subject")
    return subject


async def top_voices(conn: Conn, org_id: UUID, monitor_id: UUID, subject: str, limit: int) -> list[TopVoice]:
    return await repository.top_voices(
        conn, org_id, monitor_id, await _subject(conn, org_id, monitor_id, subject), limit
    )


async def top_posts(conn: Conn, org_id: UUID, monitor_id: UUID, subject: str, limit: int) -> list[TopPost]:
    return await repository.top_posts(
        conn, org_id, monitor_id, await _subject(conn, org_id, monitor_id, subject), limit
    )


def term_counts(texts: list[str], exclude: set[str], limit: int) -> list[TermCount]:
    """Words mentioned alongside the subject: in how many mentions each appears (stopwords and the
    subject's own terms left out)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(
            {
                w
                for w in words(text)
                if len(w) > 2 and not w.isdigit() and w not in STOPWORDS and w not in exclude and not w.startswith("x")
            }
        )
    return [TermCount(term, n) for term, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]


async def cooccurrence(conn: Conn, org_id: UUID, monitor_id: UUID, subject: str, limit: int) -> Cooccurrence:
    monitor = await repository.get_monitor(conn, org_id, monitor_id)
    await _subject(conn, org_id, monitor_id, subject)
    own = {fold(w) for t in [monitor.brand, *monitor.competitors] for term in t.any + t.all for w in words(term)}
    hashtags = await repository.cooccurring_hashtags(conn, org_id, monitor_id, subject, limit)
    texts = await repository.mention_texts(conn, org_id, monitor_id, subject, 5000)
    terms = await asyncio.to_thread(term_counts, texts, own, limit)
    return Cooccurrence(hashtags, terms)


async def alert_detail(conn: Conn, org_id: UUID, monitor_id: UUID, limit: int) -> list[AlertDetail]:
    await repository.get_monitor(conn, org_id, monitor_id)
    found = await repository.list_alerts(conn, org_id, monitor_id, limit)
    return [AlertDetail(a, await repository.evidence(conn, org_id, a.evidence)) for a in found]


def analyze(data: AnalyzeIn) -> AnalyzeOut:
    """Language and sentiment of up to 1,000 texts, in order (CPU work: call it in a thread)."""
    if not 1 <= len(data.texts) <= MAX_ANALYZE:
        raise ValidationError(f"texts must hold 1 to {MAX_ANALYZE} strings", field="texts")
    if any(len(t) > MAX_TEXT for t in data.texts):
        raise ValidationError(f"each text must have at most {MAX_TEXT} characters", field="texts")
    tags = data.languages if data.languages is not None else [None] * len(data.texts)
    if len(tags) != len(data.texts):
        raise ValidationError("languages, when given, must have one entry per text", field="languages")
    languages = [lang.detect(t, tag) for t, tag in zip(data.texts, tags, strict=True)]
    scorer = default_scorer()
    scores = scorer.score(data.texts, languages)
    return AnalyzeOut(
        [Analysis(code, s.label, s.confidence, s.model) for code, s in zip(languages, scores, strict=True)],
        scorer.versions,
    )


async def screening(
    conn: Conn, org_id: UUID, monitor_id: UUID, account_ids: list[int], days: int
) -> list[CreatorScreen]:
    """Each creator's posts of the last ``days`` days that name a competitor (paid or organic) or a flagged term."""
    if not 1 <= len(account_ids) <= MAX_SCREEN:
        raise ValidationError(f"give 1 to {MAX_SCREEN} account_id values", field="account_id")
    if not 1 <= days <= 3650:
        raise ValidationError("days must be between 1 and 3650", field="days")
    monitor = await repository.get_monitor(conn, org_id, monitor_id)
    since = datetime.now(UTC) - timedelta(days=days)
    posts = await repository.creator_posts(conn, account_ids, since)
    return await asyncio.to_thread(screen, posts, monitor, account_ids)


def model_versions() -> dict[str, str]:
    return default_scorer().versions


async def rescore(conn: Conn, org_id: UUID, monitor_id: UUID | None, batch: int = 1000) -> int:
    """Score every stored mention again with the current models; returns how many were scored."""
    if monitor_id is not None:
        await repository.get_monitor(conn, org_id, monitor_id)
    scorer = await asyncio.to_thread(default_scorer)
    after, done = 0, 0
    while True:
        rows = await repository.mentions_for_rescore(conn, org_id, monitor_id, after, batch)
        if not rows:
            return done
        scores = await asyncio.to_thread(scorer.score, [r["text"] for r in rows], [r["language"] for r in rows])
        await repository.update_sentiment(
            conn, [(r["id"], s.label, s.confidence, s.model) for r, s in zip(rows, scores, strict=True)]
        )
        after, done = rows[-1]["id"], done + len(rows)


async def set_active(conn: Conn, org_id: UUID, monitor_id: UUID, active: bool) -> Monitor:
    await repository.set_active(conn, org_id, monitor_id, active)
    return await repository.get_monitor(conn, org_id, monitor_id)


async def get_monitor(conn: Conn, org_id: UUID, monitor_id: UUID) -> Monitor:
    return await repository.get_monitor(conn, org_id, monitor_id)


async def list_monitors(conn: Conn, org_id: UUID) -> list[Monitor]:
    return await repository.list_monitors(conn, org_id)


async def delete_monitor(conn: Conn, org_id: UUID, monitor_id: UUID) -> None:
    await repository.delete_monitor(conn, org_id, monitor_id)
