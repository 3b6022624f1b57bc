"""Store a whole simulated world as if it had been crawled completely.

Each account and post goes through the platform's own renderer and parser and the
crawler's bulk writer, so the stored rows are exactly what a full crawl stores; it
just skips the HTTP round trips (tests of ranking and the demo need whole worlds fast).
"""

from __future__ import annotations

from uuid import UUID

from discovery.models import Profile
from discovery.platforms import mastodon
from discovery.simulator import render
from discovery.simulator.world import LIKE, REPLY, REPOST, World
from discovery.store import PUBLIC, Batch, Scope, Written, write_accounts, write_batch
from sql import Conn

KINDS = {LIKE: "like", REPOST: "repost", REPLY: "reply"}


async def load_world(
    conn: Conn, world: World, host: str, posts_per_account: int = 20, chunk: int = 500, org_id: UUID | None = None
) -> Written:
    """Without ``org_id`` the world is stored as shared public data (every org sees it)."""
    scope = PUBLIC if org_id is None else Scope(org_id)
    base = f"http://{host}"
    profiles = [mastodon.parse_account(render.mastodon_account(world, i, base)) for i in range(world.n)]
    total = Written()
    for start in range(0, world.n, chunk):
        batch = Batch()
        for a in range(start, min(start + chunk, world.n)):
            _account(world, a, profiles, batch, base, posts_per_account)
        stored = await write_accounts(conn, "mastodon", host, batch, scope)
        async with conn.transaction():
            written = await write_batch(conn, batch, stored)
        total.add(written)
    return total


def _account(world: World, a: int, profiles: list[Profile], batch: Batch, base: str, posts: int) -> None:
    if not batch.see(profiles[a]):
        return
    for f in world.followers.row(a):
        batch.follow(profiles[int(f)], profiles[a])
    for p in world.posts_of.row(a)[:posts]:
        post = mastodon.parse_status(render.mastodon_status(world, int(p), base))
        if not batch.post(post):
            continue
        for kind, csr in world.engaged.items():
            for actor in csr.row(int(p)):
                batch.interact(profiles[int(actor)], post, KINDS[kind], None)  # type: ignore[arg-type]
