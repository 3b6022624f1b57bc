-- Persisted graph snapshots (graph/store.py): this database's identity and a change log that lets a
-- snapshot on disk catch up with what changed since it was written, instead of re-reading every edge.

-- One row. ``instance`` is copied by CREATE DATABASE ... TEMPLATE, so a snapshot's identity also
-- names the database's oid and the cluster's system identifier (graph.snapshot_identity).
CREATE TABLE graph_meta (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    instance        uuid NOT NULL DEFAULT gen_random_uuid(),
    pruned_through  bigint NOT NULL DEFAULT 0  -- changes up to this seq were deleted from the log
);
INSERT INTO graph_meta DEFAULT VALUES;

-- What changed, by key only: a refresh re-reads the current rows of the keys it finds here, so a
-- change read twice (or out of order) gives the same snapshot.
--   tbl 'a' accounts (a = id), 'f' follows (a = follower_id, b = followee_id, kind '+' started / '-' ended),
--   'i' interactions (a = actor_id, b = post_id, kind), 'p' posts whose deleted_at or created_at
--   changed (a = id), 'v' account_visibility (a = account_id, org_id), 'T' a table was truncated.
CREATE TABLE graph_changes (
    seq      bigserial PRIMARY KEY,
    xid      xid8 NOT NULL DEFAULT pg_current_xact_id(),
    tbl      "char" NOT NULL,
    a        bigint,
    b        bigint,
    kind     text,
    org_id   uuid,
    at       timestamptz NOT NULL DEFAULT now()
);
-- Changes of transactions that were still running when a snapshot was taken are found by xid.
CREATE INDEX graph_changes_xid ON graph_changes (xid);

CREATE FUNCTION graph_log_follows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- kind '+': the follow exists from then on, '-': it ended. Changes of one key are serialised by its
    -- row lock, so the last seq of a key tells its state without reading follows.
    IF TG_OP = 'INSERT' THEN
        INSERT INTO graph_changes (tbl, a, b, kind) SELECT 'f', follower_id, followee_id, '+' FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO graph_changes (tbl, a, b, kind) SELECT 'f', follower_id, followee_id, '-' FROM old_rows;
    ELSE  -- crawls update seen_at only; a changed key is the old key's end and the new key's start
        INSERT INTO graph_changes (tbl, a, b, kind)
        SELECT 'f', follower_id, followee_id, '-' FROM (
            SELECT follower_id, followee_id FROM old_rows EXCEPT SELECT follower_id, followee_id FROM new_rows
        ) ended
        UNION ALL
        SELECT 'f', follower_id, followee_id, '+' FROM (
            SELECT follower_id, followee_id FROM new_rows EXCEPT SELECT follower_id, followee_id FROM old_rows
        ) started;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION graph_log_interactions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO graph_changes (tbl, a, b, kind) SELECT 'i', actor_id, post_id, kind FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO graph_changes (tbl, a, b, kind) SELECT 'i', actor_id, post_id, kind FROM old_rows;
    ELSE  -- re-seen rows update seen_at only: those are not changes of the graph
        INSERT INTO graph_changes (tbl, a, b, kind)
        SELECT 'i', n.actor_id, n.post_id, n.kind FROM new_rows n
        JOIN old_rows o ON o.post_id = n.post_id AND o.actor_id = n.actor_id AND o.kind = n.kind
        WHERE (n.at, n.author_id) IS DISTINCT FROM (o.at, o.author_id)
        UNION ALL
        SELECT 'i', actor_id, post_id, kind FROM (
            (SELECT actor_id, post_id, kind FROM new_rows EXCEPT SELECT actor_id, post_id, kind FROM old_rows)
            UNION
            (SELECT actor_id, post_id, kind FROM old_rows EXCEPT SELECT actor_id, post_id, kind FROM new_rows)
        ) moved;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION graph_log_posts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO graph_changes (tbl, a)
    SELECT 'p', n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE (n.deleted_at IS NULL, n.created_at) IS DISTINCT FROM (o.deleted_at IS NULL, o.created_at);
    RETURN NULL;
END $$;

CREATE FUNCTION graph_log_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO graph_changes (tbl, a) SELECT 'a', id FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO graph_changes (tbl, a) SELECT 'a', id FROM old_rows;
    ELSE  -- only the columns a snapshot holds
        INSERT INTO graph_changes (tbl, a)
        SELECT 'a', n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE (n.platform, n.shared, n.opted_out, n.has_avatar, coalesce(btrim(n.bio), '') = '', n.followers_count,
               n.following_count, n.posts_count, n.created_at)
              IS DISTINCT FROM
              (o.platform, o.shared, o.opted_out, o.has_avatar, coalesce(btrim(o.bio), '') = '', o.followers_count,
               o.following_count, o.posts_count, o.created_at);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION graph_log_visibility() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO graph_changes (tbl, a, org_id) SELECT 'v', account_id, org_id FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO graph_changes (tbl, a, org_id) SELECT 'v', account_id, org_id FROM old_rows;
    ELSE
        INSERT INTO graph_changes (tbl, a, org_id)
        SELECT 'v', n.account_id, n.org_id FROM new_rows n
        JOIN old_rows o ON o.org_id = n.org_id AND o.account_id = n.account_id
        WHERE (n.hidden_at IS NULL) IS DISTINCT FROM (o.hidden_at IS NULL)
        UNION ALL
        SELECT 'v', account_id, org_id FROM (
            (SELECT account_id, org_id FROM new_rows EXCEPT SELECT account_id, org_id FROM old_rows)
            UNION
            (SELECT account_id, org_id FROM old_rows EXCEPT SELECT account_id, org_id FROM new_rows)
        ) moved;
    END IF;
    RETURN NULL;
END $$;

-- A truncate leaves no rows to name: it asks every snapshot for a full rebuild.
CREATE FUNCTION graph_log_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO graph_changes (tbl) VALUES ('T');
    RETURN NULL;
END $$;

CREATE TRIGGER graph_follows_ins AFTER INSERT ON follows REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION graph_log_follows();
CREATE TRIGGER graph_follows_upd AFTER UPDATE ON follows REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION graph_log_follows();
CREATE TRIGGER graph_follows_del AFTER DELETE ON follows REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION graph_log_follows();

CREATE TRIGGER graph_interactions_ins AFTER INSERT ON interactions REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION graph_log_interactions();
CREATE TRIGGER graph_interactions_upd AFTER UPDATE ON interactions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION graph_log_interactions();
CREATE TRIGGER graph_interactions_del AFTER DELETE ON interactions REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION graph_log_interactions();

-- A new post has no interactions yet and a deleted one takes them along (their own log rows).
CREATE TRIGGER graph_posts_upd AFTER UPDATE ON posts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION graph_log_posts();

CREATE TRIGGER graph_accounts_ins AFTER INSERT ON accounts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION graph_log_accounts();
CREATE TRIGGER graph_accounts_upd AFTER UPDATE ON accounts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION graph_log_accounts();
CREATE TRIGGER graph_accounts_del AFTER DELETE ON accounts REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION graph_log_accounts();

CREATE TRIGGER graph_visibility_ins AFTER INSERT ON account_visibility REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION graph_log_visibility();
CREATE TRIGGER graph_visibility_upd AFTER UPDATE ON account_visibility
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION graph_log_visibility();
CREATE TRIGGER graph_visibility_del AFTER DELETE ON account_visibility REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION graph_log_visibility();

CREATE TRIGGER graph_follows_truncate AFTER TRUNCATE ON follows
    FOR EACH STATEMENT EXECUTE FUNCTION graph_log_truncate();
CREATE TRIGGER graph_interactions_truncate AFTER TRUNCATE ON interactions
    FOR EACH STATEMENT EXECUTE FUNCTION graph_log_truncate();
CREATE TRIGGER graph_posts_truncate AFTER TRUNCATE ON posts
    FOR EACH STATEMENT EXECUTE FUNCTION graph_log_truncate();
CREATE TRIGGER graph_accounts_truncate AFTER TRUNCATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION graph_log_truncate();
CREATE TRIGGER graph_visibility_truncate AFTER TRUNCATE ON account_visibility
    FOR EACH STATEMENT EXECUTE FUNCTION graph_log_truncate();
