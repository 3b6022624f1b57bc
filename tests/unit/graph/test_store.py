"""The snapshot store's pure parts: applying changes, what an org sees, and the files on disk."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from graph import store

ORG, OTHER = "00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002"
NOW = datetime(2026, 11, 28, tzinfo=UTC)
IDENTITY = store.Identity("7000", "sorot", 16384, "6f1c0c1e-0000-4000-8000-000000000000")


def frames(follows: list[tuple[int, int]], shared: list[bool] | None = None) -> store.Frames:
    ids = list(range(1, 6))
    accounts = pl.DataFrame({"id": ids, "shared": shared or [True] * 5, "opted_out": [False] * 5})
    return store.Frames(
        accounts=store.conform(
            "accounts",
            accounts.with_columns(
                pl.lit(None).alias(c) for c in store.SCHEMAS["accounts"] if c not in accounts.columns
            ),
        ),
        follows=store.conform("follows", pl.DataFrame(follows, schema=["follower_id", "followee_id"], orient="row")),
        interactions=store.empty("interactions"),
        visibility=store.empty("visibility"),
        watermark=store.Watermark(0),
    )


def follows_delta(rows: list[tuple[int, int, bool]]) -> store.Delta:
    changed = pl.DataFrame(rows, schema=["follower_id", "followee_id", "present"], orient="row")
    return store.Delta(
        accounts=store.empty("accounts").with_columns(present=pl.lit(True)).clear(),
        follows=changed,
        interactions=store.empty("interactions").with_columns(present=pl.lit(True)).clear(),
        visibility=store.empty("visibility").with_columns(present=pl.lit(True)).clear(),
    )


edge = st.tuples(st.integers(1, 5), st.integers(1, 5)).filter(lambda e: e[0] != e[1])


class TestApply:
    @settings(max_examples=60, deadline=None)
    @given(base=st.sets(edge), changes=st.lists(st.tuples(edge, st.booleans())))
    def test_equals_the_set_after_the_last_change_of_each_key(
        self, base: set[tuple[int, int]], changes: list[tuple[tuple[int, int], bool]]
    ) -> None:
        expected = set(base)
        for e, present in changes:
            (expected.add if present else expected.discard)(e)
        delta = follows_delta([(a, b, present) for (a, b), present in changes])
        once = store.apply(frames(sorted(base)), delta, store.Watermark(1))
        twice = store.apply(once, delta, store.Watermark(1))  # a change read twice changes nothing
        for result in (once, twice):
            assert set(result.follows.iter_rows()) == expected

    def test_edges_to_accounts_off_the_platform_are_not_kept(self) -> None:
        result = store.apply(frames([]), follows_delta([(1, 2, True), (1, 99, True)]), store.Watermark(1))
        assert list(result.follows.iter_rows()) == [(1, 2)]


class TestView:
    def test_an_org_sees_shared_and_its_own_minus_hidden(self) -> None:
        base = frames([(1, 2), (3, 2), (4, 5), (2, 1)], shared=[True, True, False, False, True])
        visibility = pl.DataFrame(
            {"org_id": [ORG, ORG, OTHER], "account_id": [3, 1, 4], "hidden": [False, True, False]}
        )
        base = store.Frames(base.accounts, base.follows, base.interactions, visibility, base.watermark)
        accounts, follows, _ = store.view(base, ORG, None)
        assert accounts["id"].to_list() == [2, 3, 5]
        assert list(follows.iter_rows()) == [(3, 2)]
        accounts, follows, _ = store.view(base, OTHER, None)
        assert accounts["id"].to_list() == [1, 2, 4, 5]
        assert sorted(follows.iter_rows()) == [(1, 2), (2, 1), (4, 5)]
        accounts, _, _ = store.view(base, None, None)
        assert accounts["id"].to_list() == [1, 2, 5]

    def test_interactions_before_the_window_are_left_out(self) -> None:
        base = frames([])
        inter = pl.DataFrame(
            {
                "actor_id": [1, 2, 3],
                "post_id": [9, 9, 9],
                "author_id": [5, 5, 5],
                "kind": ["like"] * 3,
                "at": [NOW, NOW - timedelta(days=100), None],
            }
        )
        base = store.Frames(
            base.accounts, base.follows, store.conform("interactions", inter), base.visibility, base.watermark
        )
        _, _, kept = store.view(base, None, NOW - timedelta(days=90))
        assert kept["actor_id"].to_list() == [1]


class TestFiles:
    def test_written_files_are_read_back_by_their_database_only(self, tmp_path: Path) -> None:
        base = frames([(1, 2), (2, 3)])
        version = store.write(tmp_path, IDENTITY, "mastodon", base)
        found = store.read(tmp_path, IDENTITY, "mastodon")
        assert found is not None and found[1] == version.resolve()
        assert set(found[0].follows.iter_rows()) == {(1, 2), (2, 3)}
        clone = store.Identity(IDENTITY.system, "sorot_copy", 16385, IDENTITY.instance)
        assert store.read(tmp_path, clone, "mastodon") is None
        assert store.read(tmp_path, IDENTITY, "bluesky") is None
        manifest = json.loads((store.platform_dir(tmp_path, IDENTITY, "mastodon") / "manifest.json").read_text())
        assert manifest["rows"]["follows"] == 2 and manifest["watermarks"]["follows"] == 0

    def test_a_new_version_replaces_the_old_one_and_reuses_unchanged_files(self, tmp_path: Path) -> None:
        first = store.write(tmp_path, IDENTITY, "mastodon", frames([(1, 2)]))
        newer = frames([(1, 2), (2, 3)])
        reuse = {"accounts": first / "accounts.parquet"}
        second = store.write(tmp_path, IDENTITY, "mastodon", newer, reuse)
        assert not first.exists() and (second / "accounts.parquet").stat().st_nlink == 1
        link = store.platform_dir(tmp_path, IDENTITY, "mastodon")
        assert link.is_symlink() and link.resolve() == second.resolve()
        found = store.read(tmp_path, IDENTITY, "mastodon")
        assert found is not None and found[0].follows.height == 2 and found[0].accounts.height == 5
        assert [p.name for p in link.parent.iterdir() if p.name.startswith(".")] == [second.name]
