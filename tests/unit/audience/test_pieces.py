"""Gazetteer look-ups, share arithmetic and interest clusters."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audience.gazetteer import find, load, resolve
from audience.interests import cluster
from audience.places import place_of, server_country
from audience.shares import tally


class TestGazetteer:
    @pytest.mark.parametrize(
        ("text", "place"),
        [
            ("Based in Jakarta Selatan 🇮🇩", "ID:jakarta"),
            ("📍 Petaling Jaya", "MY:petalingjaya"),
            ("tinggal di Solo", "ID:surakarta"),
            ("coffee | based in KL", "MY:kualalumpur"),
            ("Kuala Lumpur, Malaysia", "MY:kualalumpur"),
            ("Orang Pulau Pinang", "MY-07"),
            ("Jawa Barat", "ID-JB"),
            ("Indonesia", "ID"),
            ("I ❤ Singapura", "SG"),
        ],
    )
    def test_finds_the_most_specific_place(self, text: str, place: str) -> None:
        found = find(load(), text)
        assert found is not None and found.id == place

    @pytest.mark.parametrize("text", ["hidup ini malang", "Solo traveller", "medan selera", "kl", "", "my life"])
    def test_common_words_are_not_places(self, text: str) -> None:
        assert find(load(), text) is None

    def test_location_field_is_read_more_loosely_than_a_bio(self) -> None:
        assert find(load(), "Malang") is None
        found = find(load(), "Malang", location_field=True)
        assert found is not None and found.region == "ID-JI"

    def test_resolve_by_id_or_name(self) -> None:
        g = load()
        assert resolve(g, "ID:jakarta") == resolve(g, "Jakarta") == g.places["ID:jakarta"]
        assert resolve(g, "my") == g.places["MY"]
        assert resolve(g, "Atlantis") is None

    def test_every_city_has_a_known_country_and_region(self) -> None:
        g = load()
        for place in g.places.values():
            if place.kind != "country":
                assert place.country in g.places, place
            if place.kind == "city" and place.country in {"ID", "MY"}:
                assert place.region in g.places, place


class TestPlaces:
    def test_location_field_wins_then_bio_then_server(self) -> None:
        g = load()
        assert place_of(g, "Bandung", "Tinggal di Jakarta", "x.test").place == g.places["ID:bandung"]
        guess = place_of(g, None, "Tinggal di Jakarta", "x.test")
        assert guess.place == g.places["ID:jakarta"] and guess.source == "bio"
        guess = place_of(g, None, "suka kopi", "mastodon.or.id")
        assert guess.place is None and guess.source == "server" and guess.server_country == "ID"
        assert server_country("mastodon.social") is None


class TestTally:
    def test_folds_small_groups_and_counts_unknown(self) -> None:
        labels = ["a"] * 50 + ["b"] * 30 + ["c"] * 2 + [None] * 18
        rows, other, unknown = tally(labels, 100, min_evidence=5)
        assert [(r.key, r.share) for r in rows] == [("a", 0.5), ("b", 0.3)]
        assert other.share == 0.02 and unknown.share == 0.18
        assert rows[0].low < 0.5 < rows[0].high

    def test_prior_only_adds_to_reported_groups(self) -> None:
        rows, _, unknown = tally(["ID"] * 10 + [None] * 10, 20, 5, extra={"ID": 2.5, "MY": 4.0})
        assert rows[0].followers == 12.5 and unknown.followers == 7.5
        assert [r.key for r in rows] == ["ID"]

    @settings(max_examples=50, deadline=None)
    @given(st.lists(st.sampled_from(["x", "y", "z", None]), min_size=1, max_size=200), st.integers(1, 10))
    def test_shares_other_and_unknown_sum_to_one(self, labels: list[str | None], min_evidence: int) -> None:
        rows, other, unknown = tally(labels, len(labels), min_evidence)
        assert sum(r.share for r in rows) + other.share + unknown.share == pytest.approx(1.0, abs=1e-5)
        for r in [*rows, other, unknown]:
            assert 0.0 <= r.low <= r.share <= r.high <= 1.0


class TestInterests:
    def test_tags_used_together_cluster_and_are_named_by_top_terms(self) -> None:
        rows = []
        for a in range(30):
            tags = ["kopi", "espresso", "latte"] if a < 15 else ["bola", "liga", "timnas"]
            rows += [(a, t) for t in tags]
        rows += [(99, "rare")]
        model = cluster(pl.DataFrame(rows, schema={"account_id": pl.Int64, "tag": pl.String}, orient="row"))
        assert model.cluster_of["kopi"] == model.cluster_of["latte"] != model.cluster_of["bola"]
        assert "rare" not in model.cluster_of  # used by fewer than MIN_TAG_ACCOUNTS accounts
        k = model.find("#Kopi")
        assert k is not None and set(model.terms[k]) == {"kopi", "espresso", "latte"}
        assert model.users[k] == 15
        assert model.clusters_of(frozenset({"liga", "rare"})) == {model.cluster_of["bola"]}
