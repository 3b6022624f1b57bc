"""Interest clusters: the hashtags accounts post, clustered once per snapshot by who uses them together.

Tags used by at least ``MIN_TAG_ACCOUNTS`` accounts (the ``MAX_TAGS`` most used) are nodes; two tags are
linked by the cosine of their user sets; Louvain finds the clusters; each is named by its most used tags.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import polars as pl
import scipy.sparse as sp

MIN_TAG_ACCOUNTS = 3
MAX_TAGS = 3000
MIN_CO_USERS = 2
MIN_COSINE = 0.05
NAME_TERMS = 3


@dataclass(frozen=True)
class InterestModel:
    cluster_of: dict[str, int]  # hashtag -> cluster
    terms: list[list[str]]  # per cluster, its tags by number of users
    users: list[int]  # per cluster, accounts that used any of its tags

    def name(self, k: int) -> str:
        return " · ".join(self.terms[k][:NAME_TERMS])

    def clusters_of(self, tags: frozenset[str]) -> frozenset[int]:
        return frozenset(self.cluster_of[t] for t in tags if t in self.cluster_of)

    def find(self, term: str) -> int | None:
        """The cluster holding a hashtag (with or without #), or whose name is given."""
        key = term.lower().lstrip("#")
        if key in self.cluster_of:
            return self.cluster_of[key]
        return next((k for k in range(len(self.terms)) if self.name(k) == term), None)


def cluster(usage: pl.DataFrame) -> InterestModel:
    """``usage``: one row per (account_id, tag) an account used."""
    if usage.height == 0:
        return InterestModel({}, [], [])
    counts = usage.group_by("tag").len().filter(pl.col("len") >= MIN_TAG_ACCOUNTS)
    counts = counts.sort(["len", "tag"], descending=[True, False]).head(MAX_TAGS)
    tags = counts["tag"].to_list()
    index = {t: k for k, t in enumerate(tags)}
    kept = usage.filter(pl.col("tag").is_in(tags))
    accounts, acc_idx = np.unique(kept["account_id"].to_numpy(), return_inverse=True)
    tag_idx = np.array([index[t] for t in kept["tag"].to_list()], dtype=np.int64)
    h = sp.csr_array((np.ones(tag_idx.size, dtype=np.float32), (acc_idx, tag_idx)), shape=(accounts.size, len(tags)))
    co = sp.coo_array(sp.triu(h.T @ h, k=1))
    users = counts["len"].to_numpy().astype(float)
    cosine = co.data / np.sqrt(users[co.row] * users[co.col])
    keep = (co.data >= MIN_CO_USERS) & (cosine >= MIN_COSINE)
    g = nx.Graph()
    g.add_nodes_from(range(len(tags)))
    g.add_weighted_edges_from(zip(co.row[keep].tolist(), co.col[keep].tolist(), cosine[keep].tolist(), strict=True))
    groups = nx.community.louvain_communities(g, weight="weight", seed=0)
    ordered = sorted((sorted(c) for c in groups), key=lambda c: c[0])  # tags are by users: biggest first
    cluster_of: dict[str, int] = {}
    terms: list[list[str]] = []
    members: list[int] = []
    for k, group in enumerate(ordered):
        terms.append([tags[t] for t in group])
        cluster_of.update({tags[t]: k for t in group})
        members.append(int((h[:, group].sum(axis=1) > 0).sum()))
    return InterestModel(cluster_of, terms, members)
