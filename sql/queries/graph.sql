-- name: snapshot_identity
-- Which database a snapshot on disk belongs to: the cluster, this database (a clone made from a
-- template copies graph_meta, not its oid), and the change log's pruning point.
SELECT (SELECT system_identifier FROM pg_control_system())::text AS system, current_database() AS name,
       (SELECT oid FROM pg_database WHERE datname = current_database())::bigint AS oid,
       m.instance::text AS instance, m.pruned_through
FROM graph_meta m;

-- name: snapshot_mark
-- The per-request freshness check: the change log's last seq (an index lookup), the transactions
-- still running now (their changes may carry lower seqs), how many of the running ones recorded
-- at the last refresh ($1) have finished since, and whether this transaction changed the graph.
SELECT coalesce((SELECT max(seq) FROM graph_changes), 0) AS seq,
       ARRAY(SELECT x::text FROM pg_snapshot_xip(pg_current_snapshot()) x
             WHERE x IS DISTINCT FROM pg_current_xact_id_if_assigned()) AS running,
       (SELECT count(*) FROM unnest($1::text[]) r WHERE pg_xact_status(r::xid8) IS DISTINCT FROM 'in progress')
           AS finished,
       EXISTS (SELECT 1 FROM graph_changes WHERE xid = pg_current_xact_id_if_assigned()) AS own,
       pg_current_xact_id_if_assigned()::text AS me;

-- name: store_accounts
-- A platform's accounts as a snapshot keeps them (graph/store.py has the file contract).
SELECT id, shared::text, opted_out::text, has_avatar::text, (coalesce(btrim(bio), '') = '')::text AS empty_bio,
       followers_count, following_count, posts_count, extract(epoch FROM created_at)::bigint AS created_epoch
FROM accounts WHERE platform = $1;

-- name: store_follows
SELECT f.follower_id, f.followee_id
FROM follows f JOIN accounts a ON a.id = f.follower_id JOIN accounts b ON b.id = f.followee_id
WHERE a.platform = $1 AND b.platform = $1;

-- name: store_interactions
-- Interactions on posts not deleted, timed by the interaction or else by its post (microseconds).
SELECT i.actor_id, i.post_id, i.author_id, i.kind,
       (extract(epoch FROM coalesce(i.at, p.created_at)) * 1000000)::bigint AS at
FROM interactions i JOIN posts p ON p.id = i.post_id
JOIN accounts a ON a.id = i.actor_id JOIN accounts b ON b.id = i.author_id
WHERE a.platform = $1 AND b.platform = $1 AND p.deleted_at IS NULL;

-- name: store_visibility
SELECT v.org_id, v.account_id, (v.hidden_at IS NOT NULL)::text AS hidden
FROM account_visibility v JOIN accounts a ON a.id = v.account_id
WHERE a.platform = $1;

-- name: changes_truncated
-- Whether a table was truncated since the watermark ($1 seq, $2 transactions running then).
SELECT EXISTS (SELECT 1 FROM graph_changes WHERE tbl = 'T' AND (seq > $1 OR xid = ANY ($2::text[]::xid8[])));

-- name: changes_count
SELECT count(*) FROM graph_changes WHERE seq > $1 OR xid = ANY ($2::text[]::xid8[]);

-- name: changed_accounts
-- The current rows of accounts changed since the watermark; present = false: gone from platform $3.
WITH k AS (
    SELECT DISTINCT a AS id FROM graph_changes
    WHERE tbl = 'a' AND (seq > $1 OR xid = ANY ($2::text[]::xid8[]))
)
SELECT k.id, (a.id IS NOT NULL)::text AS present, a.shared::text, a.opted_out::text, a.has_avatar::text,
       (coalesce(btrim(a.bio), '') = '')::text AS empty_bio, a.followers_count, a.following_count, a.posts_count,
       extract(epoch FROM a.created_at)::bigint AS created_epoch
FROM k LEFT JOIN accounts a ON a.id = k.id AND a.platform = $3;

-- name: changed_follows
-- Follows changed since the watermark: a key's last change says whether it exists (no read of follows).
-- Whether both ends are on the platform is checked against the snapshot's accounts.
SELECT DISTINCT ON (a, b) a AS follower_id, b AS followee_id,
       coalesce(kind = '+', EXISTS (SELECT 1 FROM follows f WHERE f.followee_id = b AND f.follower_id = a))::text
           AS present
FROM graph_changes
WHERE tbl = 'f' AND (seq > $1 OR xid = ANY ($2::text[]::xid8[]))
ORDER BY a, b, seq DESC;

-- name: changed_interactions
-- Interactions changed since the watermark, and every interaction on a post whose deletion or time changed.
-- Whether both ends are on the platform is checked against the snapshot's accounts.
WITH ch AS (
    SELECT tbl, a, b, kind FROM graph_changes
    WHERE tbl IN ('i', 'p') AND (seq > $1 OR xid = ANY ($2::text[]::xid8[]))
), k AS (
    SELECT a AS actor_id, b AS post_id, kind FROM ch WHERE tbl = 'i'
    UNION
    SELECT i.actor_id, i.post_id, i.kind FROM ch JOIN interactions i ON i.post_id = ch.a WHERE ch.tbl = 'p'
)
SELECT k.actor_id, k.post_id, i.author_id, k.kind,
       (extract(epoch FROM coalesce(i.at, p.created_at)) * 1000000)::bigint AS at,
       coalesce(p.deleted_at IS NULL, false)::text AS present
FROM k LEFT JOIN interactions i ON i.post_id = k.post_id AND i.actor_id = k.actor_id AND i.kind = k.kind
LEFT JOIN posts p ON p.id = i.post_id;

-- name: changed_visibility
WITH k AS (
    SELECT DISTINCT org_id, a AS account_id FROM graph_changes
    WHERE tbl = 'v' AND (seq > $1 OR xid = ANY ($2::text[]::xid8[]))
)
SELECT k.org_id, k.account_id, (v.hidden_at IS NOT NULL)::text AS hidden, (x.id IS NOT NULL)::text AS present
FROM k LEFT JOIN account_visibility v ON v.org_id = k.org_id AND v.account_id = k.account_id
LEFT JOIN accounts x ON x.id = v.account_id AND x.platform = $3;

-- name: topic_counts
-- How often each account posted the topic's hashtags or keywords: the restart weights of topic_rank.
-- Every account's: the caller keeps only those in the org's snapshot (its platform, what it may see, not
-- opted out), which costs less than joining accounts and visibility here (a hash of every account).
SELECT p.account_id, count(*)::float8 AS n
FROM posts p
WHERE p.deleted_at IS NULL AND (p.hashtags && $1::text[] OR p.text ILIKE ANY ($2::text[]))
GROUP BY p.account_id;

-- name: engagement
-- Median of (likes + reposts + replies) over each account's last 20 original posts in the window.
SELECT account_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY engagements) AS median_engagements,
       count(*) AS posts
FROM (
    SELECT p.account_id, p.like_count + p.repost_count + p.reply_count AS engagements,
           row_number() OVER (PARTITION BY p.account_id ORDER BY p.created_at DESC) AS rn
    FROM posts p
    WHERE p.account_id = ANY ($1::bigint[]) AND p.created_at >= $2 AND p.deleted_at IS NULL
) recent
WHERE rn <= 20
GROUP BY account_id;

-- name: handles
-- Of these accounts, the ones org $2 may see.
SELECT a.id, a.handle, a.platform, a.host, a.followers_count
FROM accounts a LEFT JOIN account_visibility v ON v.account_id = a.id AND v.org_id = $2
WHERE a.id = ANY ($1::bigint[]) AND ((v.account_id IS NOT NULL OR a.shared) AND v.hidden_at IS NULL);

-- name: resolve
-- Account ids for handles (case-insensitive) on one platform, among the accounts org $3 may see.
SELECT a.id, lower(a.handle) AS handle
FROM accounts a LEFT JOIN account_visibility v ON v.account_id = a.id AND v.org_id = $3
WHERE a.platform = $1 AND lower(a.handle) = ANY ($2::text[]) AND ((v.account_id IS NOT NULL OR a.shared) AND v.hidden_at IS NULL);

-- name: existing
SELECT a.id FROM accounts a LEFT JOIN account_visibility v ON v.account_id = a.id AND v.org_id = $2
WHERE a.id = ANY ($1::bigint[]) AND ((v.account_id IS NOT NULL OR a.shared) AND v.hidden_at IS NULL);

-- name: follower_hashtags
-- The hashtags an account's followers (those org $2 may see) post most.
SELECT h AS tag, count(DISTINCT p.account_id) AS followers
FROM follows f JOIN accounts a ON a.id = f.follower_id
LEFT JOIN account_visibility v ON v.account_id = a.id AND v.org_id = $2
JOIN posts p ON p.account_id = f.follower_id AND p.deleted_at IS NULL, unnest(p.hashtags) AS h
WHERE f.followee_id = $1 AND ((v.account_id IS NOT NULL OR a.shared) AND v.hidden_at IS NULL)
GROUP BY h ORDER BY followers DESC, tag LIMIT 10;

-- name: save_shortlist
INSERT INTO shortlists (org_id, platform, request, budget, total_fee, reach, method, picks, baseline_reach)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING id, created_at;

-- name: get_shortlist
SELECT * FROM shortlists WHERE org_id = $1 AND id = $2;

-- name: list_shortlists
SELECT * FROM shortlists WHERE org_id = $1 AND ($2::timestamptz IS NULL OR created_at < $2)
ORDER BY created_at DESC LIMIT $3;

-- name: community_hashtags
-- The hashtags the members of each follower community post most: $1 community numbers, $2 account ids.
SELECT community, tag, count(DISTINCT account_id) AS members
FROM (
    SELECT m.community, p.account_id, unnest(p.hashtags) AS tag
    FROM unnest($1::int[], $2::bigint[]) AS m(community, account_id)
    JOIN posts p ON p.account_id = m.account_id AND p.deleted_at IS NULL
) t
GROUP BY community, tag
ORDER BY community, members DESC, tag;

-- name: candidate_posts
-- Candidates' original posts in the window (deleted ones no longer count), and whether each carries the topic: what expected reach learns from.
SELECT p.id AS post_id, p.account_id,
       (cardinality($3::text[]) + cardinality($4::text[]) = 0
        OR p.hashtags && $3::text[] OR p.text ILIKE ANY ($4::text[]))::text AS topical
FROM posts p
WHERE p.account_id = ANY ($1::bigint[]) AND coalesce(p.created_at, p.fetched_at) >= $2 AND p.deleted_at IS NULL;

-- name: candidate_post_interactions
-- Who liked, reposted, replied to or quoted those posts.
SELECT i.post_id, i.actor_id, i.kind
FROM interactions i JOIN posts p ON p.id = i.post_id
WHERE i.author_id = ANY ($1::bigint[]) AND coalesce(p.created_at, p.fetched_at) >= $2 AND p.deleted_at IS NULL;

-- name: bot_accounts
-- Candidates that declare themselves automated (Mastodon "bot", Bluesky's bot label): never recommended.
SELECT id FROM accounts WHERE id = ANY ($1::bigint[]) AND coalesce(is_bot, false);
