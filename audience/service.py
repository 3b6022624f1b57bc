"""Audience segments, saved segments, audience filters for rankings, and lookalikes, as the API asks."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING
from uuid import UUID

import numpy as np
import scipy.sparse as sp

from audience import filters, targets
from audience import lookalikes as look
from audience import repository as repo
from audience.gazetteer import load
from audience.interests import InterestModel, cluster
from audience.matching import criterion
from audience.models import (
    AudienceFilter,
    AudienceSegments,
    Lookalike,
    Lookalikes,
    Segment,
    SegmentRequest,
    TargetAudience,
)
from audience.profiles import EMPTY, Attributes, attributes_of
from audience.report import interest_breakdown, language_breakdown, place_breakdown
from graph import repository as graph_repo
from graph.authenticity import follower_sample, suspicion
from graph.build import Snapshot
from sql import Conn
from sql.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from graph.service import SnapshotCache

SEGMENT_SAMPLE = 3000
MAX_CACHED_ATTRIBUTES = 500_000
LOAD_CHUNK = 5000
MAX_LOOKALIKES = 100


async def _account(
    conn: Conn, cache: SnapshotCache, account_id: int, org_id: UUID | None
) -> tuple[dict[str, object], Snapshot, int]:
    """The account and the org's graph (only what the org may see; None: the shared public index)."""
    info = (await graph_repo.handles(conn, org_id, [account_id])).get(account_id)
    if info is None:
        raise NotFoundError(f"account {account_id} not found")
    snap = await cache.get(conn, str(info["platform"]), org_id=org_id)
    i = int(snap.index([account_id])[0])
    if i < 0:
        raise NotFoundError(f"account {account_id} is not in the {info['platform']} graph yet")
    return info, snap, i


async def attributes(conn: Conn, snap: Snapshot, account_ids: list[int]) -> dict[int, Attributes]:
    """Each account's attributes, read once per snapshot and kept with it."""
    known: dict[int, Attributes] = snap.cache.setdefault("audience_attributes", {})
    if len(known) + len(account_ids) > MAX_CACHED_ATTRIBUTES:
        known.clear()  # a bound on memory: ~300 bytes an account
    missing = [a for a in account_ids if a not in known]
    for start in range(0, len(missing), LOAD_CHUNK):
        chunk = missing[start : start + LOAD_CHUNK]
        rows = await repo.account_texts(conn, chunk)
        found = await asyncio.to_thread(attributes_of, rows)
        known.update({a: found.get(a, EMPTY) for a in chunk})
    return {a: known[a] for a in account_ids}


async def interest_model(conn: Conn, snap: Snapshot) -> InterestModel:
    """Interest clusters, computed once per snapshot."""
    if "interest_model" not in snap.cache:
        usage = await repo.hashtag_usage(conn, snap.platform)
        snap.cache["interest_model"] = await asyncio.to_thread(cluster, usage)
    model: InterestModel = snap.cache["interest_model"]
    return model


def credible_followers(snap: Snapshot, i: int) -> tuple[np.ndarray, int]:
    """An account's followers that are not suspect (dense), and how many suspects were left out."""
    followers = snap.followers_of(i)
    suspect = suspicion(snap).suspect[followers]
    return followers[~suspect], int(suspect.sum())


async def segments(conn: Conn, cache: SnapshotCache, account_id: int, org_id: UUID | None = None) -> AudienceSegments:
    info, snap, i = await _account(conn, cache, account_id, org_id)
    credible, excluded = credible_followers(snap, i)
    head = (account_id, str(info["handle"]), int(snap.followers_of(i).size))
    return await _describe(conn, snap, head, credible, excluded, seed=int(snap.ids[i]))


async def target_segments(
    conn: Conn, cache: SnapshotCache, org_id: UUID | None, req: TargetAudience
) -> AudienceSegments:
    """The same breakdown for a target audience: seeds' followers, listed accounts and/or a segment."""
    if req.platform not in ("mastodon", "bluesky"):
        raise ValidationError("unknown platform: use mastodon or bluesky", field="platform")
    if not (req.seed_accounts or req.accounts or req.segment):
        raise ValidationError("give seed_accounts, accounts or a segment", field="seed_accounts")
    snap = await cache.get(conn, req.platform, org_id=org_id)
    members = np.zeros(snap.n, dtype=bool)
    for s in await _seed_ids(conn, snap, org_id, req.seed_accounts):
        members[snap.followers_of(int(s))] = True
    members[await _seed_ids(conn, snap, org_id, req.accounts)] = True
    if req.segment is not None:
        members |= await segment_target(conn, snap, org_id, req.segment)
    suspect = suspicion(snap).suspect
    everyone = np.flatnonzero(members)
    credible = everyone[~suspect[everyone]]
    head = (None, "", int(everyone.size))
    return await _describe(conn, snap, head, credible, int(everyone.size - credible.size), seed=0)


async def _describe(
    conn: Conn,
    snap: Snapshot,
    head: tuple[int | None, str, int],
    credible: np.ndarray,
    excluded: int,
    seed: int,
) -> AudienceSegments:
    sample = follower_sample(credible, SEGMENT_SAMPLE, seed=seed)
    attrs = list((await attributes(conn, snap, snap.ids[sample].tolist())).values())
    model = await interest_model(conn, snap)
    method = (
        f"all {credible.size} credible followers"
        if sample.size == credible.size
        else f"deterministic random sample of {sample.size} of {credible.size} credible followers"
    )
    return AudienceSegments(
        account_id=head[0],
        handle=head[1],
        platform=snap.platform,
        followers_stored=head[2],
        suspect_excluded=excluded,
        credible_followers=int(credible.size),
        sample_size=int(sample.size),
        method=method,
        languages=language_breakdown(attrs),
        places=place_breakdown(attrs, load()),
        interests=interest_breakdown(attrs, model),
    )


async def content_matrix(conn: Conn, snap: Snapshot) -> sp.csr_array:
    if "lookalike_content" not in snap.cache:
        counts = await repo.hashtag_counts(conn, snap.platform)
        snap.cache["lookalike_content"] = await asyncio.to_thread(look.content_matrix, snap, counts)
    matrix: sp.csr_array = snap.cache["lookalike_content"]
    return matrix


async def lookalikes(
    conn: Conn, cache: SnapshotCache, account_id: int, mode: str, limit: int, org_id: UUID | None = None
) -> Lookalikes:
    if mode not in look.MODES:
        raise ValidationError(f"mode must be one of {', '.join(look.MODES)}", field="mode")
    if not 1 <= limit <= MAX_LOOKALIKES:
        raise ValidationError(f"limit must be between 1 and {MAX_LOOKALIKES}", field="limit")
    info, snap, i = await _account(conn, cache, account_id, org_id)
    content = await content_matrix(conn, snap)
    scored, considered = await asyncio.to_thread(look.score, snap, i, mode, content, limit)
    ids = snap.ids[scored.candidates].tolist()
    names = await graph_repo.handles(conn, org_id, ids)
    seed_size = int(look.audience_matrix(snap).sizes[i])
    rows = [
        Lookalike(
            rank=k + 1,
            account_id=a,
            handle=str(names.get(a, {}).get("handle", "")),
            similarity=round(float(scored.similarity[k]), 6),
            audience_similarity=round(float(scored.jaccard[k]), 6),
            content_similarity=round(float(scored.content[k]), 6),
            audience=int(scored.audience[k]),
            shared_audience=int(scored.shared[k]),
            shared_share=round(float(scored.shared[k] / scored.audience[k]), 6) if scored.audience[k] else 0.0,
            new_reach=int(scored.audience[k] - scored.shared[k]),
        )
        for k, a in enumerate(ids)
    ]
    return Lookalikes(
        account_id=account_id,
        handle=str(info["handle"]),
        mode=mode,
        method="exact: credible followers in common counted by a sparse product over every candidate",
        seed_audience=seed_size,
        candidates=considered,
        lookalikes=rows,
    )


async def create_segment(conn: Conn, org_id: UUID, req: SegmentRequest) -> Segment:
    validate_segment(req)
    return await repo.create_segment(conn, org_id, req.name.strip(), req.platform, req.definition)


def validate_segment(req: SegmentRequest) -> None:
    if req.platform not in ("mastodon", "bluesky"):
        raise ValidationError("unknown platform: use mastodon or bluesky", field="platform")
    if not req.name.strip() or len(req.name) > 200:
        raise ValidationError("name must be 1 to 200 characters", field="name")
    d = req.definition
    if not (d.languages or d.places or d.interests or d.seed_accounts):
        raise ValidationError("a segment needs languages, places, interests or seed accounts", field="definition")
    empty = InterestModel({}, [], [])
    for kind in ("languages", "places", "interests"):
        for key in getattr(d, kind):
            criterion(kind, key, empty, f"definition.{kind}")


async def filter_candidates(conn: Conn, snap: Snapshot, candidates: np.ndarray, f: AudienceFilter) -> np.ndarray:
    """Which ranking candidates' audiences satisfy the filter (a mask over ``candidates``)."""
    model = await interest_model(conn, snap)
    rules = filters.constraints(f, model)
    samples = filters.samples(snap, candidates)
    wanted = np.unique(np.concatenate(samples)) if samples else np.zeros(0, dtype=np.int64)
    found = await attributes(conn, snap, snap.ids[wanted].tolist())
    keep = [
        filters.passes([found[int(a)] for a in snap.ids[sample]], rules, model) and sample.size > 0
        for sample in samples
    ]
    return np.array(keep, dtype=bool)


async def segment_target(conn: Conn, snap: Snapshot, org_id: UUID | None, segment_id: UUID) -> np.ndarray:
    """A saved segment's members in the snapshot, as a mask: credible accounts matching its attributes,
    among its seeds' followers when it has seeds, else among the accounts with something to read."""
    if org_id is None:
        raise ValidationError("segments belong to an org: call with an API key", field="target.segment")
    segment = await repo.get_segment(conn, org_id, segment_id)
    if segment.platform != snap.platform:
        raise ValidationError(f"segment {segment_id} is for {segment.platform}", field="target.segment")
    model = await interest_model(conn, snap)
    rules = targets.criteria(segment.definition, model)
    suspect = suspicion(snap).suspect
    if segment.definition.seed_accounts:
        seeds = await _seed_ids(conn, snap, org_id, segment.definition.seed_accounts)
        pool = np.unique(np.concatenate([snap.followers_of(int(s)) for s in seeds] or [np.zeros(0, np.int64)]))
    else:
        found = snap.index(await repo.text_accounts(conn, snap.platform, targets.MAX_TARGET_SCAN))
        pool = found[found >= 0]
    pool = pool[~suspect[pool]]
    attrs = await attributes(conn, snap, snap.ids[pool].tolist())
    ordered = [attrs[int(a)] for a in snap.ids[pool]]
    return await asyncio.to_thread(targets.mask, snap.n, pool, ordered, rules, model)


async def _seed_ids(conn: Conn, snap: Snapshot, org_id: UUID | None, refs: list[int | str]) -> np.ndarray:
    ids = [r for r in refs if isinstance(r, int)]
    names = [r for r in refs if isinstance(r, str)]
    if names:
        ids += list((await graph_repo.resolve(conn, org_id, snap.platform, names)).values())
    dense = snap.index(ids)
    return dense[dense >= 0]
