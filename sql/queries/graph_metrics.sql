-- name: find_run
-- A stored run of these inputs, marked as used now.
UPDATE graph_metric_runs SET used_at = now()
WHERE graph_key = $1 AND topic_key = $2
RETURNING id;

-- name: insert_run
INSERT INTO graph_metric_runs (graph_key, topic_key, engine, nodes, edges, seconds, iterations)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (graph_key, topic_key) DO NOTHING
RETURNING id;

-- name: drop_opted_out
-- A run's rows of accounts that are opted out (or erased) by now: none is kept.
DELETE FROM graph_metrics m USING accounts a
WHERE m.run_id = $1 AND a.id = m.account_id AND a.opted_out;

-- name: run_metrics
-- A run's rows as CSV for COPY: account_id, pagerank, topic_rank, in_degree, core_number.
SELECT account_id, pagerank, topic_rank, in_degree, core_number FROM graph_metrics WHERE run_id = $1;

-- name: prune_runs
-- Runs nobody read for a day: their graph has changed since.
DELETE FROM graph_metric_runs WHERE used_at < now() - interval '1 day';

