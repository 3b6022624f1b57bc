"""Persisted graph snapshots: a platform's accounts and edges as Parquet files, caught up from the change log.

File contract (shared with the Spark engine; keep names, columns and types stable, bump FORMAT on a change)::

    $SOROT_SNAPSHOT_DIR/                      default $SOROT_HOME/snapshots (SOROT_HOME default ./.sorot)
      <database key>/                         one directory per database (see ``database_key``)
        <platform>/                           a symlink to the current version directory, swapped atomically
          accounts.parquet      id int64, shared bool, opted_out bool, has_avatar bool, empty_bio bool,
                                followers_count int64, following_count int64, posts_count int64,
                                created_epoch int64 (seconds; null when unknown), one row per account
          follows.parquet       follower_id int64, followee_id int64 (both ends on this platform)
          interactions.parquet  actor_id int64, post_id int64, author_id int64, kind string
                                (like, reply, repost, quote, mention), at timestamp[us, UTC] (the interaction's
                                time, else its post's; null when neither is known); posts not deleted only
          visibility.parquet    org_id string (uuid), account_id int64, hidden bool: the orgs that crawled an
                                account; an org sees shared accounts plus its own, minus the ones it hid
          manifest.json         {"format": 1, "platform", "database": {system, name, oid, instance},
                                 "watermark": {"seq", "running"}, "watermarks": {<table>: seq}, "built_at",
                                 "rows": {<table>: n}}

The watermark is the last ``graph_changes.seq`` the files include, plus the transactions that were still
running then (their changes may carry lower seqs): a refresh re-reads the current rows of every key changed
after it, so applying a change twice gives the same files. The files hold the whole platform; what one org may
see is cut in memory (``view``), so every org shares one copy on disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

FORMAT = 1
TABLES = ("accounts", "follows", "interactions", "visibility")
SCHEMAS: dict[str, dict[str, Any]] = {
    "accounts": {
        "id": pl.Int64,
        "shared": pl.Boolean,
        "opted_out": pl.Boolean,
        "has_avatar": pl.Boolean,
        "empty_bio": pl.Boolean,
        "followers_count": pl.Int64,
        "following_count": pl.Int64,
        "posts_count": pl.Int64,
        "created_epoch": pl.Int64,
    },
    "follows": {"follower_id": pl.Int64, "followee_id": pl.Int64},
    "interactions": {
        "actor_id": pl.Int64,
        "post_id": pl.Int64,
        "author_id": pl.Int64,
        "kind": pl.String,
        "at": pl.Datetime("us", "UTC"),
    },
    "visibility": {"org_id": pl.String, "account_id": pl.Int64, "hidden": pl.Boolean},
}
ENDS = {"follows": ("follower_id", "followee_id"), "interactions": ("actor_id", "author_id")}
KEYS = {
    "accounts": ["id"],
    "follows": ["follower_id", "followee_id"],
    "interactions": ["actor_id", "post_id", "kind"],
    "visibility": ["org_id", "account_id"],
}


@dataclass(frozen=True)
class Identity:
    """Which database a snapshot belongs to: its cluster, name, oid and the uuid of its graph_meta row."""

    system: str
    name: str
    oid: int
    instance: str

    def as_dict(self) -> dict[str, Any]:
        return {"system": self.system, "name": self.name, "oid": self.oid, "instance": self.instance}


@dataclass(frozen=True)
class Watermark:
    seq: int
    running: tuple[str, ...] = ()  # xids (text) of transactions in flight when the files were cut


@dataclass(frozen=True)
class Frames:
    """One platform's snapshot tables, with the watermark they are current to."""

    accounts: pl.DataFrame
    follows: pl.DataFrame
    interactions: pl.DataFrame
    visibility: pl.DataFrame
    watermark: Watermark

    def table(self, name: str) -> pl.DataFrame:
        frame: pl.DataFrame = getattr(self, name)
        return frame

    def rows(self) -> dict[str, int]:
        return {t: self.table(t).height for t in TABLES}


@dataclass(frozen=True)
class Delta:
    """The current rows of every key changed since a watermark; ``present`` false: the key is gone."""

    accounts: pl.DataFrame
    follows: pl.DataFrame
    interactions: pl.DataFrame
    visibility: pl.DataFrame

    def table(self, name: str) -> pl.DataFrame:
        frame: pl.DataFrame = getattr(self, name)
        return frame

    def rows(self) -> int:
        return sum(self.table(t).height for t in TABLES)


def empty(name: str) -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMAS[name])


def conform(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """The contract's columns, in order and with its types."""
    return frame.select([pl.col(c).cast(t) for c, t in SCHEMAS[name].items()])


def apply(frames: Frames, delta: Delta, watermark: Watermark) -> Frames:
    """``frames`` with every changed key's row replaced by its current one (or dropped): a pure function.

    Edges are kept only when both ends are accounts of the platform, as a full read keeps them."""
    out: dict[str, pl.DataFrame] = {}
    for name in TABLES:
        base, changed = frames.table(name), delta.table(name)
        if changed.height == 0:
            out[name] = base
            continue
        keys = KEYS[name]
        changed = changed.unique(subset=keys, keep="last")
        kept = _without(base, changed.select(keys), keys)
        fresh = changed.filter(pl.col("present"))
        if name in ENDS:
            ids = out["accounts"]["id"].implode()
            fresh = fresh.filter(pl.all_horizontal(pl.col(c).is_in(ids) for c in ENDS[name]))
        fresh = conform(name, fresh)
        out[name] = pl.concat([kept, fresh], rechunk=False) if fresh.height else kept
    return Frames(**out, watermark=watermark)


def _without(base: pl.DataFrame, drop: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """``base`` without the rows whose key is in ``drop``."""
    limit = 2**31
    two_ids = len(keys) == 2 and base.schema[keys[0]] == base.schema[keys[1]] == pl.Int64
    if two_ids and max(_largest(base, keys), _largest(drop, keys)) < limit:
        # Two ids below 2^31 pack into one int64: a set lookup, ~5x faster than an anti join.
        packed = pl.col(keys[0]) * limit + pl.col(keys[1])
        return base.filter(~packed.is_in(drop.select(packed).to_series().implode()))
    return base.join(drop.unique(), on=keys, how="anti")


def _largest(frame: pl.DataFrame, columns: list[str]) -> int:
    value = frame.select(pl.max_horizontal(*columns).max()).item()
    return int(value) if value is not None else 0


def view(frames: Frames, org_id: str | None, since: datetime | None) -> tuple[pl.DataFrame, ...]:
    """What ``org_id`` may see (None: the shared public index alone): accounts, follows, interactions.

    An org sees shared accounts and the ones its crawls stored, minus the ones it hid; an edge is kept
    when both its ends are seen. Interactions are cut to those at or after ``since``.
    """
    accounts = frames.accounts
    if org_id is None:
        visible = accounts.filter(pl.col("shared"))
    else:
        own = frames.visibility.filter(pl.col("org_id") == org_id)
        hidden = own.filter(pl.col("hidden"))["account_id"]
        seen = own.filter(~pl.col("hidden"))["account_id"]
        visible = accounts.filter(
            (pl.col("shared") | pl.col("id").is_in(seen.implode())) & ~pl.col("id").is_in(hidden.implode())
        )
    interactions = frames.interactions
    if since is not None:
        interactions = interactions.filter(pl.col("at") >= since)
    if visible.height == accounts.height:  # everything seen: edges need no cut (the common single-tenant case)
        return visible, frames.follows, interactions
    ids = visible["id"].implode()
    follows = frames.follows.filter(pl.col("follower_id").is_in(ids) & pl.col("followee_id").is_in(ids))
    interactions = interactions.filter(pl.col("actor_id").is_in(ids) & pl.col("author_id").is_in(ids))
    return visible, follows, interactions


def database_key(identity: Identity) -> str:
    """A directory name for one database: readable, and unique per cluster, database and instance."""
    digest = hashlib.sha256(json.dumps(identity.as_dict(), sort_keys=True).encode()).hexdigest()[:16]
    return f"{re.sub(r'[^A-Za-z0-9_.-]', '_', identity.name)[:40]}-{digest}"


def platform_dir(root: Path, identity: Identity, platform: str) -> Path:
    return root / database_key(identity) / platform


def manifest(frames: Frames, identity: Identity, platform: str) -> dict[str, Any]:
    seq = frames.watermark.seq
    return {
        "format": FORMAT,
        "platform": platform,
        "database": identity.as_dict(),
        "watermark": {"seq": seq, "running": list(frames.watermark.running)},
        "watermarks": {t: seq for t in TABLES},  # one change log serves every table
        "built_at": datetime.now(UTC).isoformat(),
        "rows": frames.rows(),
    }


def write(root: Path, identity: Identity, platform: str, frames: Frames, reuse: dict[str, Path] | None = None) -> Path:
    """Write a new version directory, then point ``<platform>`` at it with one atomic rename; return the
    version directory. ``reuse``: files of tables that did not change, hard-linked instead of written."""
    target = platform_dir(root, identity, platform)
    target.parent.mkdir(parents=True, exist_ok=True)
    version = target.parent / f".{platform}-{frames.watermark.seq}-{uuid.uuid4().hex[:8]}"
    version.mkdir()
    try:
        for name in TABLES:
            _write_table(frames.table(name), version / f"{name}.parquet", (reuse or {}).get(name))
        (version / "manifest.json").write_text(json.dumps(manifest(frames, identity, platform), indent=1))
        link = target.parent / f".{platform}-link-{uuid.uuid4().hex[:8]}"
        link.symlink_to(version.name)
        previous = os.readlink(target) if target.is_symlink() else None
        if target.exists() and not target.is_symlink():
            shutil.rmtree(target)  # a plain directory (written by hand or an older layout)
        os.replace(link, target)
    except BaseException:
        shutil.rmtree(version, ignore_errors=True)
        raise
    if previous and previous != version.name:
        shutil.rmtree(target.parent / previous, ignore_errors=True)
    _sweep(target.parent, platform, keep=version.name)
    return version


STALE_SECONDS = 3600


def _sweep(parent: Path, platform: str, keep: str) -> None:
    """Versions and links left behind by a crash or by two processes swapping at once, an hour old."""
    now = time.time()
    for path in parent.glob(f".{platform}-*"):
        try:
            if path.name != keep and now - path.lstat().st_mtime > STALE_SECONDS:
                if path.is_symlink() or path.is_file():
                    path.unlink()
                else:
                    shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue


def _write_table(frame: pl.DataFrame, path: Path, reuse: Path | None) -> None:
    if reuse is not None:
        try:
            os.link(reuse, path)  # the same bytes: the previous version may be deleted, the link stays
            return
        except OSError:
            pass  # gone meanwhile (another process swapped versions), or another file system: write it
    # Uncompressed and without dictionaries for ids: ~2x faster to write than lz4 (and faster to read), at
    # ~16 bytes per edge on disk; strings keep their dictionaries.
    strings = [c for c, t in frame.schema.items() if t == pl.String]
    pq.write_table(frame.to_arrow(), path, compression="none", use_dictionary=strings, write_statistics=False)


def read_manifest(directory: Path, identity: Identity, platform: str) -> dict[str, Any] | None:
    """The manifest in ``directory`` if it is this database's, platform's and format's snapshot."""
    try:
        data: dict[str, Any] = json.loads((directory / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    if data.get("format") != FORMAT or data.get("database") != identity.as_dict() or data.get("platform") != platform:
        return None
    return data


def read(root: Path, identity: Identity, platform: str) -> tuple[Frames, Path] | None:
    """This database's snapshot of ``platform`` and its version directory, or None when none fits."""
    directory = platform_dir(root, identity, platform).resolve()  # one version, even if swapped meanwhile
    data = read_manifest(directory, identity, platform)
    if data is None:
        return None
    try:
        tables = {t: conform(t, pl.read_parquet(directory / f"{t}.parquet")) for t in TABLES}
    except (OSError, pl.exceptions.PolarsError):
        return None
    mark = data["watermark"]
    return Frames(**tables, watermark=Watermark(int(mark["seq"]), tuple(mark.get("running", ())))), directory
