-- Graph metrics computed by the Spark engine (SOROT_GRAPH_ENGINE=spark), loaded back for the ranking.
-- A run is keyed by a digest of the snapshot's graph (accounts, follows, edge weights) and, for a topic
-- rank, of its restart vector: equal keys mean equal inputs, so a run is reused until the graph changes.
-- Opted-out accounts get no row (they are never candidates; the ranking reads them as 0).
CREATE TABLE graph_metric_runs (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    graph_key    text NOT NULL,
    topic_key    text NOT NULL DEFAULT '',  -- '' for the global metrics
    engine       text NOT NULL,
    nodes        bigint NOT NULL,
    edges        bigint NOT NULL,
    seconds      double precision NOT NULL,
    iterations   jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    used_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (graph_key, topic_key)
);

CREATE TABLE graph_metrics (
    run_id       uuid NOT NULL REFERENCES graph_metric_runs (id) ON DELETE CASCADE,
    account_id   bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    pagerank     double precision,
    topic_rank   double precision,
    in_degree    bigint,
    core_number  integer,
    PRIMARY KEY (run_id, account_id)
);
CREATE INDEX graph_metrics_account ON graph_metrics (account_id);

-- An account that opts out (or is erased, which keeps it as an opted-out handle) loses its stored metrics at once.
CREATE FUNCTION graph_metrics_forget_opted_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM graph_metrics WHERE account_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER graph_metrics_forget_opted_out
    AFTER UPDATE OF opted_out ON accounts
    FOR EACH ROW WHEN (NEW.opted_out AND NOT OLD.opted_out)
    EXECUTE FUNCTION graph_metrics_forget_opted_out();
