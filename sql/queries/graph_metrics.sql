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

-- name: create_staging
CREATE TEMP TABLE IF NOT EXISTS tmp_graph_metrics (
    account_id bigint, pagerank double precision, topic_rank double precision, in_degree bigint, core_number integer
) ON COMMIT DROP;

-- name: insert_metrics
-- Staged rows into a run; accounts that are gone or opted out are left out.
INSERT INTO graph_metrics (run_id, account_id, pagerank, topic_rank, in_degree, core_number)
SELECT $1, t.account_id, t.pagerank, t.topic_rank, t.in_degree, t.core_number
FROM tmp_graph_metrics t JOIN accounts a ON a.id = t.account_id AND NOT a.opted_out;

-- name: run_metrics
-- A run's rows as CSV for COPY: account_id, pagerank, topic_rank, in_degree, core_number.
SELECT account_id, pagerank, topic_rank, in_degree, core_number FROM graph_metrics WHERE run_id = $1;

-- name: prune_runs
-- Runs nobody read for a day: their graph has changed since.
DELETE FROM graph_metric_runs WHERE used_at < now() - interval '1 day';

-- name: clear_staging
TRUNCATE tmp_graph_metrics;
