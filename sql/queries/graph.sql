-- name: fingerprint
-- Changes whenever a crawl stores something new for the platform, or what org $2 may see changes:
-- snapshots are rebuilt then.
SELECT (SELECT count(*) FROM accounts WHERE platform = $1) AS accounts,
       (SELECT max(fetched_at) FROM accounts WHERE platform = $1) AS accounts_at,
       (SELECT count(*) FROM accounts WHERE platform = $1 AND shared) AS shared,
       (SELECT count(*) FROM follows) AS follows,
       (SELECT count(*) FROM interactions) AS interactions,
       (SELECT max(fetched_at) FROM posts) AS posts_at,
       (SELECT count(*) FROM account_visibility WHERE org_id = $2) AS visible,
       (SELECT max(greatest(seen_at, hidden_at)) FROM account_visibility WHERE org_id = $2) AS visible_at;

-- name: snapshot_accounts
-- Accounts org $2 may see: its own crawls' (unless it hid them) and the shared public index.
-- Every snapshot query below is cut to the same set, so no org ranks with another org's data.
SELECT a.id, a.opted_out::text, a.has_avatar::text, (coalesce(btrim(a.bio), '') = '')::text AS empty_bio,
       a.followers_count, a.following_count, a.posts_count, extract(epoch FROM a.created_at)::bigint AS created_epoch
FROM accounts a LEFT JOIN account_visibility v ON v.account_id = a.id AND v.org_id = $2
WHERE a.platform = $1 AND ((v.account_id IS NOT NULL OR a.shared) AND v.hidden_at IS NULL);

-- name: snapshot_follows
WITH vis AS MATERIALIZED (
    SELECT a.id FROM accounts a LEFT JOIN account_visibility v ON v.account_id = a.id AND v.org_id = $2
    WHERE a.platform = $1 AND ((v.account_id IS NOT NULL OR a.shared) AND v.hidden_at IS NULL)
)
SELECT f.follower_id, f.followee_id
FROM follows f JOIN vis b ON b.id = f.followee_id JOIN vis a ON a.id = f.follower_id;

-- name: snapshot_interactions
WITH vis AS MATERIALIZED (
    SELECT a.id FROM accounts a LEFT JOIN account_visibility v ON v.account_id = a.id AND v.org_id = $3
    WHERE a.platform = $1 AND ((v.account_id IS NOT NULL OR a.shared) AND v.hidden_at IS NULL)
)
SELECT i.actor_id, i.author_id, i.kind
FROM interactions i JOIN vis b ON b.id = i.author_id JOIN vis a ON a.id = i.actor_id JOIN posts p ON p.id = i.post_id
WHERE p.deleted_at IS NULL AND ($2::timestamptz IS NULL OR coalesce(i.at, p.created_at) >= $2);

-- name: topic_counts
-- How often each account posted the topic's hashtags or keywords: the restart weights of topic_rank.
SELECT p.account_id, count(*)::float8 AS n
FROM posts p JOIN accounts a ON a.id = p.account_id
LEFT JOIN account_visibility v ON v.account_id = a.id AND v.org_id = $4
WHERE a.platform = $1 AND NOT a.opted_out AND ((v.account_id IS NOT NULL OR a.shared) AND v.hidden_at IS NULL)
  AND p.deleted_at IS NULL AND (p.hashtags && $2::text[] OR p.text ILIKE ANY ($3::text[]))
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
