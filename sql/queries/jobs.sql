-- name: enqueue
-- Jobs are keyed: enqueuing the same key twice keeps the first.
INSERT INTO jobs (kind, key, args, run_at) VALUES ($1, $2, $3::jsonb, $4)
ON CONFLICT (key) DO NOTHING
RETURNING id;

-- name: claim
-- The oldest due job no other worker holds; the row stays locked until this transaction ends.
SELECT id, kind, key, args::text AS args, attempts FROM jobs
WHERE status = 'queued' AND run_at <= now()
ORDER BY run_at, id
FOR UPDATE SKIP LOCKED
LIMIT 1;

-- name: complete
UPDATE jobs SET status = 'done', attempts = attempts + 1, finished_at = now(), last_error = NULL WHERE id = $1;

-- name: retry
UPDATE jobs SET attempts = attempts + 1, last_error = $2, run_at = now() + $3::interval,
    status = CASE WHEN attempts + 1 >= $4 THEN 'failed' ELSE 'queued' END,
    finished_at = CASE WHEN attempts + 1 >= $4 THEN now() END
WHERE id = $1;

-- name: counts
SELECT status, count(*) AS n FROM jobs GROUP BY status;

-- name: pending_due
SELECT count(*) FROM jobs WHERE status = 'queued' AND run_at <= now();

-- name: try_leader
-- A session lock naming the one process that runs a singleton loop; it goes with the connection.
SELECT pg_try_advisory_lock(hashtextextended('sorot-leader:' || $1, 0));

-- name: alive
SELECT 1;
