-- name: account_texts
-- What audience attributes are read from, per account: profile fields and its $2 latest posts
-- (text and the platform's language tag). Opted-out accounts keep nothing to read.
SELECT a.id, a.host, a.bio, a.location,
       coalesce(p.texts, '{}') AS texts, coalesce(p.langs, '{}') AS langs,
       coalesce(t.tags, '{}') AS tags
FROM accounts a
LEFT JOIN LATERAL (
    SELECT array_agg(x.text) AS texts, array_agg(coalesce(x.lang, '')) AS langs
    FROM (
        SELECT text, lang FROM posts WHERE account_id = a.id AND deleted_at IS NULL ORDER BY created_at DESC NULLS LAST LIMIT $2
    ) x
) p ON true
LEFT JOIN LATERAL (
    SELECT array_agg(DISTINCT lower(h)) AS tags FROM posts, unnest(hashtags) AS h WHERE account_id = a.id AND deleted_at IS NULL
) t ON true
WHERE a.id = ANY ($1::bigint[]) AND NOT a.opted_out;

-- name: hashtag_usage
-- Which hashtags each account of a platform used: the input of the interest clusters.
SELECT DISTINCT p.account_id, lower(h) AS tag
FROM posts p JOIN accounts a ON a.id = p.account_id, unnest(p.hashtags) AS h
WHERE a.platform = $1 AND NOT a.opted_out AND p.deleted_at IS NULL;

-- name: hashtag_counts
-- How often each account of a platform used each hashtag: content profiles for lookalikes.
SELECT p.account_id, lower(h) AS tag, count(*)::float8 AS n
FROM posts p JOIN accounts a ON a.id = p.account_id, unnest(p.hashtags) AS h
WHERE a.platform = $1 AND NOT a.opted_out AND p.deleted_at IS NULL
GROUP BY 1, 2;

-- name: text_accounts
-- Accounts of a platform with something to read (posts, a bio or a location), for segment targets.
SELECT a.id FROM accounts a
WHERE a.platform = $1 AND NOT a.opted_out
  AND (coalesce(a.posts_count, 0) > 0 OR coalesce(a.bio, '') <> '' OR coalesce(a.location, '') <> ''
       OR EXISTS (SELECT 1 FROM posts p WHERE p.account_id = a.id AND p.deleted_at IS NULL))
ORDER BY a.id
LIMIT $2;

-- name: create_segment
INSERT INTO audience_segments (org_id, name, platform, definition)
VALUES ($1, $2, $3, $4::jsonb)
RETURNING id, name, platform, definition::text AS definition, created_at;

-- name: get_segment
SELECT id, name, platform, definition::text AS definition, created_at
FROM audience_segments WHERE org_id = $1 AND id = $2;

-- name: list_segments
SELECT id, name, platform, definition::text AS definition, created_at
FROM audience_segments
WHERE org_id = $1 AND ($2::timestamptz IS NULL OR created_at < $2)
ORDER BY created_at DESC LIMIT $3;

-- name: delete_segment
DELETE FROM audience_segments WHERE org_id = $1 AND id = $2 RETURNING id;
