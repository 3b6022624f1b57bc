-- name: create
INSERT INTO crawls (org_id, platform, base_url, host, token, seeds, hashtags, max_accounts, max_depth, max_followers,
                    max_following, posts_per_account, since, fresh_for, shared)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
RETURNING *;

-- name: get
SELECT * FROM crawls WHERE org_id = $1 AND id = $2;

-- name: get_any
-- For workers, which serve every org.
SELECT * FROM crawls WHERE id = $1;

-- name: list
SELECT * FROM crawls WHERE org_id = $1 AND ($2::timestamptz IS NULL OR created_at < $2)
ORDER BY created_at DESC LIMIT $3;

-- name: active
SELECT id FROM crawls WHERE status IN ('queued', 'running') ORDER BY created_at;

-- name: cancel
UPDATE crawls SET status = 'cancelled', finished_at = coalesce(finished_at, now())
WHERE org_id = $1 AND id = $2 AND status IN ('queued', 'running')
RETURNING *;

-- name: start
UPDATE crawls SET status = 'running', started_at = coalesce(started_at, now())
WHERE id = $1 AND status IN ('queued', 'running')
RETURNING status;

-- name: resume
UPDATE crawls SET status = 'queued', error = NULL, finished_at = NULL
WHERE id = $1 AND status IN ('stopped', 'cancelled', 'failed');

-- name: stop
UPDATE crawls SET status = 'stopped' WHERE id = $1 AND status IN ('queued', 'running');

-- name: release_mine
UPDATE crawl_frontier SET state = 'pending', taken_by = NULL
WHERE crawl_id = $1 AND state = 'taken' AND taken_by = pg_backend_pid();

-- name: finish
-- Returns the crawl's org only when this call ended it, so crawl.finished is emitted once.
UPDATE crawls SET status = $2, error = $3, finished_at = now() WHERE id = $1 AND status IN ('queued', 'running')
RETURNING org_id;

-- name: add_counters
UPDATE crawls SET
    accounts_expanded = accounts_expanded + $2, accounts_fresh = accounts_fresh + $3,
    accounts_seen = accounts_seen + $4, accounts = accounts + $5, accounts_updated = accounts_updated + $6,
    accounts_opted_out = accounts_opted_out + $7,
    follows = follows + $8, follows_known = follows_known + $9, follows_ended = follows_ended + $10,
    posts = posts + $11, posts_updated = posts_updated + $12, posts_deleted = posts_deleted + $13,
    interactions = interactions + $14, interactions_ended = interactions_ended + $15,
    requests = requests + $16, retries = retries + $17, errors = errors + $18, rate_limit_waits = rate_limit_waits + $19,
    wait_seconds = wait_seconds + $20
WHERE id = $1;

-- name: seed_frontier
INSERT INTO crawl_frontier (crawl_id, kind, ref, depth)
SELECT $1, kind, ref, 0 FROM unnest($2::text[], $3::text[]) AS t(kind, ref)
ON CONFLICT DO NOTHING;

-- name: claim
-- The next items of a crawl, breadth first. An item taken by a backend that no longer
-- exists (its worker was killed) is claimed again.
WITH next AS (
    SELECT f.crawl_id, f.kind, f.ref FROM crawl_frontier f
    WHERE f.crawl_id = $1
      AND (f.state = 'pending'
           OR (f.state = 'taken' AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = f.taken_by)))
      AND EXISTS (SELECT 1 FROM crawls c WHERE c.id = $1 AND c.status = 'running')
    ORDER BY f.depth, f.seq
    LIMIT $2
    FOR UPDATE OF f SKIP LOCKED
)
UPDATE crawl_frontier f SET state = 'taken', taken_by = pg_backend_pid(), attempts = f.attempts + 1
FROM next WHERE f.crawl_id = next.crawl_id AND f.kind = next.kind AND f.ref = next.ref
RETURNING f.kind, f.ref, f.depth, f.attempts;

-- name: outstanding
SELECT count(*) FILTER (WHERE state = 'pending') AS pending, count(*) FILTER (WHERE state = 'taken') AS taken
FROM crawl_frontier WHERE crawl_id = $1;

-- name: complete_item
UPDATE crawl_frontier SET state = $4, error = $5, taken_by = NULL
WHERE crawl_id = $1 AND kind = $2 AND ref = $3;

-- name: mark_account_seen
-- A seed, once resolved, is also known by its id so it is not expanded twice.
INSERT INTO crawl_frontier (crawl_id, kind, ref, depth, state) VALUES ($1, 'account', $2, $3, 'done')
ON CONFLICT (crawl_id, kind, ref) DO UPDATE SET state = 'done', taken_by = NULL;

-- name: enqueue_accounts
-- Admit new accounts in the order given, while the crawl's max_accounts budget lasts.
WITH budget AS (
    SELECT greatest(max_accounts - enqueued, 0) AS left_ FROM crawls WHERE id = $1 FOR UPDATE
), fresh AS (
    SELECT t.ref, t.o FROM unnest($2::text[]) WITH ORDINALITY AS t(ref, o)
    WHERE NOT EXISTS (SELECT 1 FROM crawl_frontier f WHERE f.crawl_id = $1 AND f.kind = 'account' AND f.ref = t.ref)
    ORDER BY t.o
    LIMIT (SELECT left_ FROM budget)
), ins AS (
    INSERT INTO crawl_frontier (crawl_id, kind, ref, depth)
    SELECT $1, 'account', ref, $3 FROM fresh ORDER BY o
    ON CONFLICT DO NOTHING
    RETURNING 1
)
UPDATE crawls SET enqueued = enqueued + (SELECT count(*) FROM ins) WHERE id = $1;

-- name: count_seeds
UPDATE crawls SET enqueued = enqueued + $2 WHERE id = $1;

-- name: expanded_accounts
SELECT ref FROM crawl_frontier WHERE crawl_id = $1 AND kind = 'account' AND state = 'done';

-- name: release_item
-- Give an item back to the frontier after a transient failure.
UPDATE crawl_frontier SET state = 'pending', taken_by = NULL WHERE crawl_id = $1 AND kind = $2 AND ref = $3;

-- name: status
SELECT status FROM crawls WHERE id = $1;

-- name: progress
SELECT c.*,
       (SELECT count(*) FROM crawl_frontier f WHERE f.crawl_id = c.id AND f.state IN ('done', 'failed')) AS items_done,
       (SELECT count(*) FROM crawl_frontier f WHERE f.crawl_id = c.id) AS items_known
FROM crawls c WHERE c.id = $1;

-- name: org_by_name
SELECT id FROM orgs WHERE name = $1;

-- name: budget_lock
-- A host's shared rate budget, locked for the few statements of one reservation or answer.
SELECT lim, remaining, reset_at, known_reset, window_secs, hold_until, next_slot, leases, rounded_reset
FROM host_budgets WHERE host = $1 FOR UPDATE;

-- name: budget_create
INSERT INTO host_budgets (host) VALUES ($1) ON CONFLICT DO NOTHING;

-- name: budget_save
UPDATE host_budgets SET lim = $2, remaining = $3, reset_at = $4, known_reset = $5, window_secs = $6,
    hold_until = $7, next_slot = $8, leases = $9, rounded_reset = $10, updated_at = now()
WHERE host = $1;
