"""One batch from a source into stored mentions: match, resolve authors, detect language, score, store, alert.

The network and CPU work happens first; the writes (mentions, boosts, the source's cursor
and counters, alerts) happen in one transaction, so a monitor killed at any point resumes
from a cursor that matches exactly what was stored.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
import msgspec

from listening import alerts, lang, repository
from listening.models import Batch, Monitor, Seen, SourceJob
from listening.rules import Matcher, is_paid
from listening.sentiment import Scorer
from listening.sources.base import Source
from outbound import events


@dataclass
class Outcome:
    seen: int = 0
    matched: int = 0
    skipped: int = 0
    stored: int = 0
    boosts: int = 0
    alerts: int = 0
    gone: bool = False  # the source (or its monitor) was deleted


def _prepare(hits: list[tuple[Seen, list[tuple[str, str]]]], monitor: Monitor, scorer: Scorer) -> list[dict[str, Any]]:
    """Language and sentiment of matched posts (CPU work, run in a thread)."""
    languages = [lang.detect(s.text, s.language_tag) for s, _ in hits]
    keep = [i for i, code in enumerate(languages) if not monitor.languages or code in monitor.languages]
    scores = scorer.score([hits[i][0].text for i in keep], [languages[i] for i in keep])
    rows = []
    for i, sentiment in zip(keep, scores, strict=True):
        s, matched = hits[i]
        rows.append(
            {
                "uri": s.uri,
                "url": s.url,
                "author_id": s.author_id,
                "author_handle": s.author_handle,
                "followers": s.author_followers,
                "text": s.text,
                "language": languages[i],
                "hashtags": list(s.hashtags),
                "created_at": s.created_at,
                "likes": s.likes,
                "reposts": s.reposts,
                "replies": s.replies,
                "subjects": [name for name, _ in matched],
                "rules": [f"{name}: {rule}" for name, rule in matched],
                "sentiment": sentiment.label,
                "confidence": sentiment.confidence,
                "model_version": sentiment.model,
                "paid": is_paid(s.text, s.hashtags),
            }
        )
    return rows


async def ingest(
    pool: asyncpg.Pool,
    monitor: Monitor,
    matcher: Matcher,
    job: SourceJob,
    source: Source,
    scorer: Scorer,
    batch: Batch,
) -> Outcome:
    out = Outcome(seen=len(batch.seen))
    # a post can come twice in one batch (a stream and its catch-up, an inclusive `since`): keep its last sighting
    originals = list({s.uri: s for s in batch.seen if s.boost_of is None}.values())
    hits = [(s, m) for s in originals if (m := matcher.match(s.text, s.hashtags))]
    boosts = list({s.uri: s for s in batch.seen if s.boost_of is not None}.values())
    if boosts:
        async with pool.acquire() as conn:
            known = await repository.mention_ids(conn, monitor.id, job.platform, [b.boost_of or "" for b in boosts])
        wanted = known.keys() | {s.uri for s, _ in hits}
        boosts = [b for b in boosts if b.boost_of in wanted]
    resolved = await source.resolve([s for s, _ in hits] + boosts)
    by_uri = {s.uri: s for s in resolved}
    hits = [(by_uri.get(s.uri, s), m) for s, m in hits]
    out.skipped = sum(1 for s, _ in hits if s.opted_out)
    hits = [(s, m) for s, m in hits if not s.opted_out]
    boosts = [by_uri.get(b.uri, b) for b in boosts]
    rows = await asyncio.to_thread(_prepare, hits, monitor, scorer) if hits else []
    out.matched = len(rows)
    async with pool.acquire() as conn, conn.transaction():
        if not await repository.lock_source(conn, job.id):
            out.gone = True
            return out
        stored = await repository.upsert_mentions(conn, monitor.org_id, monitor.id, job.platform, rows)
        out.stored = sum(1 for r in stored if r["inserted"])
        if boosts:
            ids = {r["uri"]: r["id"] for r in stored}
            ids.update(await repository.mention_ids(conn, monitor.id, job.platform, [b.boost_of or "" for b in boosts]))
            records = [
                (ids[b.boost_of], b.uri, b.author_handle, 0 if b.opted_out else b.author_followers, b.created_at)
                for b in boosts
                if b.boost_of in ids
            ]
            out.boosts = await repository.insert_boosts(conn, records)
        await repository.save_progress(conn, job.id, batch.cursor, batch.backfill, out.seen, out.stored, out.skipped)
        subjects = {r["uri"]: r["subjects"] for r in rows}
        new = [r for r in stored if r["inserted"] and "brand" in subjects.get(r["uri"], [])]
        if new:
            out.alerts = await _alerts(conn, monitor, [r["created_at"] for r in new])
    return out


async def _alerts(conn: Any, monitor: Monitor, times: list[Any]) -> int:
    settings = monitor.alert
    span = timedelta(minutes=settings.window_minutes * (settings.baseline_windows + 1))
    lo, hi = min(times) - span, max(times)
    points = alerts.Points(await repository.alert_points(conn, monitor.id, lo, hi))
    cooldown = timedelta(minutes=settings.cooldown_minutes)
    earlier = await repository.alert_times(conn, monitor.id, min(times) - cooldown, hi + cooldown)
    raised = 0
    for spike in alerts.detect(points, times, settings, earlier):
        alert_id = await repository.insert_alert(conn, monitor.org_id, monitor.id, spike)
        if alert_id is None:
            continue
        posts = await repository.evidence(conn, monitor.org_id, spike.evidence)
        data = {
            "alert_id": str(alert_id),
            "monitor": {"id": str(monitor.id), "name": monitor.name},
            **msgspec.to_builtins(spike),
            "posts": msgspec.to_builtins(posts),
        }
        await events.emit(conn, monitor.org_id, "alert.raised", data)  # delivered once, if this commits
        await repository.mark_delivered(conn, alert_id)
        raised += 1
    return raised
