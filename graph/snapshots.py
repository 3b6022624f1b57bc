"""Graph snapshots as requests get them: the platform's frames (on disk, caught up from the change log) cut
to what one org may see and built into sparse matrices, kept per (org, platform, window).

Per request the only query is the change log's freshness mark (an index lookup). When the log moved on,
the platform's frames take in only the changed keys and are written back to disk; a new process starts
from the files and reads only what changed since they were written.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from graph import repository as repo
from graph import store
from graph.build import Snapshot, build_snapshot
from sql import Conn

log = logging.getLogger(__name__)

DEFAULT_WINDOW_DAYS = 90
# A refresh reads changed keys one by one (index lookups); past this share of the graph's rows (and
# this many changes) one sequential read of every table is cheaper.
FULL_REBUILD_SHARE = 0.25
FULL_REBUILD_MIN = 100_000


@dataclass
class Timings:
    """Where the last ``get`` spent its time (seconds), for benchmarks and logs."""

    check: float = 0.0
    load: float = 0.0  # frames from disk or PostgreSQL, or the change log applied
    persist: float = 0.0
    build: float = 0.0  # the org's view and its sparse matrices
    source: str = ""  # memory, disk, full, incremental, private


class SnapshotCache:
    """Snapshots per org, platform and window, rebuilt when the stored graph changed; at most ``max_entries``
    kept (least recently used dropped), since each can take hundreds of MB. ``directory``: where the
    platform frames persist (None: memory only)."""

    def __init__(self, max_entries: int = 2, directory: Path | None = None) -> None:
        self._snapshots: dict[tuple[UUID | None, str, int], tuple[tuple[object, ...], Snapshot]] = {}
        self._frames: dict[str, store.Frames] = {}
        self._versions: dict[str, int] = {}
        self._on_disk: dict[str, tuple[store.Frames, Path]] = {}  # the frames last written or read, and where
        self._lock = asyncio.Lock()
        self.max_entries = max(1, max_entries)
        self.directory = directory
        self.timings = Timings()

    async def get(
        self, conn: Conn, platform: str, window_days: int = DEFAULT_WINDOW_DAYS, org_id: UUID | None = None
    ) -> Snapshot:
        """Only accounts ``org_id`` may see are in its graph (None: the shared public index alone).
        The graph of follows and of the interactions of the last ``window_days`` (whole UTC days)."""
        async with self._lock:
            self.timings = t = Timings()
            started = time.perf_counter()
            today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            current = self._frames.get(platform)
            mark = await repo.snapshot_mark(conn, current.watermark.running if current else ())
            t.check = time.perf_counter() - started
            if mark.own:
                # This transaction changed the graph and has not committed: its view is its own, never kept.
                frames = await self._private(conn, platform, current, mark)
                version: tuple[object, ...] = ("own", mark.me, mark.seq, today)
            else:
                frames = await self._current(conn, platform, current, mark)
                version = (self._versions[platform], today)
            key = (org_id, platform, window_days)
            cached = self._snapshots.pop(key, None)  # popped: re-inserted last, or freed before a rebuild
            if cached and cached[0] == version:
                self._snapshots[key] = cached
                t.source = t.source or "memory"
                return cached[1]
            del cached
            began = time.perf_counter()
            since = today - timedelta(days=window_days)
            snap = await asyncio.to_thread(_build, frames, platform, org_id, since)
            t.build = time.perf_counter() - began
            self._snapshots[key] = (version, snap)
            while len(self._snapshots) > self.max_entries:
                del self._snapshots[next(iter(self._snapshots))]
            return snap

    async def _current(self, conn: Conn, platform: str, current: store.Frames | None, mark: repo.Mark) -> store.Frames:
        """The platform's frames, caught up with every committed change up to ``mark``."""
        t = self.timings
        if current is None:
            began = time.perf_counter()
            identity, _ = await repo.snapshot_identity(conn)
            found = await asyncio.to_thread(store.read, self.directory, identity, platform) if self.directory else None
            if found is None:
                return await self._full(conn, platform)
            current, self._on_disk[platform] = found[0], found
            t.load, t.source = time.perf_counter() - began, "disk"
            self._keep(platform, current)
            if mark.seq == current.watermark.seq and not current.watermark.running:
                return current
        elif mark.seq == current.watermark.seq and not mark.finished:
            return current
        return await self._refresh(conn, platform, current, mark)

    async def _refresh(self, conn: Conn, platform: str, current: store.Frames, mark: repo.Mark) -> store.Frames:
        t = self.timings
        began = time.perf_counter()
        identity, pruned = await repo.snapshot_identity(conn)
        count, truncated = await repo.changes_since(conn, current.watermark)
        rows = max(sum(current.rows().values()), 1)
        if truncated or pruned > current.watermark.seq or mark.seq < current.watermark.seq:
            return await self._full(conn, platform)
        if count > max(FULL_REBUILD_SHARE * rows, FULL_REBUILD_MIN):
            return await self._full(conn, platform)
        delta = await repo.load_delta(conn, platform, current.watermark)
        watermark = store.Watermark(mark.seq, mark.running)
        if delta.rows() == 0:
            frames = replace(current, watermark=watermark)
            self._frames[platform] = frames  # same graph: snapshots built from it stay valid
            t.load, t.source = time.perf_counter() - began, t.source or "memory"
            return frames
        frames = await asyncio.to_thread(store.apply, current, delta, watermark)
        t.load, t.source = time.perf_counter() - began, "incremental"
        await self._persist(identity, platform, frames)
        self._keep(platform, frames)
        return frames

    async def _full(self, conn: Conn, platform: str) -> store.Frames:
        """Every table read again; the watermark is taken first, so nothing committed meanwhile is lost."""
        t = self.timings
        began = time.perf_counter()
        mark = await repo.snapshot_mark(conn, ())
        identity, _ = await repo.snapshot_identity(conn)
        tables = await repo.load_store(conn, platform)
        frames = store.Frames(**tables, watermark=store.Watermark(mark.seq, mark.running))
        t.load, t.source = time.perf_counter() - began, "full"
        await self._persist(identity, platform, frames)
        self._keep(platform, frames)
        return frames

    async def _private(self, conn: Conn, platform: str, current: store.Frames | None, mark: repo.Mark) -> store.Frames:
        """The frames as this (uncommitted) transaction sees them: the kept ones plus its own changes."""
        began = time.perf_counter()
        self.timings.source = "private"
        if current is None:
            tables = await repo.load_store(conn, platform)
            frames = store.Frames(**tables, watermark=store.Watermark(mark.seq, mark.running))
        else:
            wm = current.watermark
            since = store.Watermark(wm.seq, (*wm.running, *mark.running, *([mark.me] if mark.me else [])))
            delta = await repo.load_delta(conn, platform, since)
            frames = await asyncio.to_thread(store.apply, current, delta, since)
        self.timings.load = time.perf_counter() - began
        return frames

    async def _persist(self, identity: store.Identity, platform: str, frames: store.Frames) -> None:
        if self.directory is None:
            return
        began = time.perf_counter()
        reuse = {}
        if platform in self._on_disk:
            written, where = self._on_disk[platform]
            reuse = {t: where / f"{t}.parquet" for t in store.TABLES if frames.table(t) is written.table(t)}
        try:
            version = await asyncio.to_thread(store.write, self.directory, identity, platform, frames, reuse)
            self._on_disk[platform] = (frames, version)
        except OSError:
            # A read-only or full disk costs the next start a full read, not this request.
            log.exception("could not write the graph snapshot to %s", self.directory)
        self.timings.persist = time.perf_counter() - began

    def _keep(self, platform: str, frames: store.Frames) -> None:
        self._frames[platform] = frames
        self._versions[platform] = self._versions.get(platform, 0) + 1


def _build(frames: store.Frames, platform: str, org_id: UUID | None, since: datetime) -> Snapshot:
    accounts, follows, interactions = store.view(frames, str(org_id) if org_id else None, since)
    return build_snapshot(platform, datetime.now(UTC), accounts, follows, interactions)
