-- name: search
-- Accounts that did not opt out, matching handle/name/bio text and/or a hashtag they posted, by id.
-- Only accounts org $6 may see: its own crawls' (unless it hid them) and the shared public index.
SELECT a.id, a.platform, a.host, a.external_id, a.handle, a.display_name, a.bio, a.has_avatar, a.followers_count,
       a.following_count, a.posts_count, a.created_at, a.is_bot, a.fetched_at
FROM accounts a LEFT JOIN account_visibility v ON v.account_id = a.id AND v.org_id = $6
WHERE NOT a.opted_out AND ((v.account_id IS NOT NULL OR a.shared) AND v.hidden_at IS NULL)
  AND ($1::text IS NULL OR a.platform = $1)
  AND ($2::text IS NULL OR a.handle ILIKE '%' || $2 || '%' OR a.display_name ILIKE '%' || $2 || '%'
       OR a.bio ILIKE '%' || $2 || '%')
  AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM posts p WHERE p.account_id = a.id AND p.hashtags @> ARRAY[$3]
                                   AND p.deleted_at IS NULL))
  AND a.id > $4
ORDER BY a.id
LIMIT $5;

-- name: get
-- One account org $2 may see; stored followers and following count only accounts it may see too.
SELECT a.id, a.platform, a.host, a.external_id, a.handle, a.opted_out, a.display_name, a.bio, a.has_avatar,
       a.followers_count, a.following_count, a.posts_count, a.created_at, a.is_bot, a.fetched_at,
       (SELECT count(*) FROM follows f JOIN accounts o ON o.id = f.follower_id
        LEFT JOIN account_visibility ov ON ov.account_id = o.id AND ov.org_id = $2
        WHERE f.followee_id = a.id AND ((ov.account_id IS NOT NULL OR o.shared) AND ov.hidden_at IS NULL)) AS followers_stored,
       (SELECT count(*) FROM follows f JOIN accounts o ON o.id = f.followee_id
        LEFT JOIN account_visibility ov ON ov.account_id = o.id AND ov.org_id = $2
        WHERE f.follower_id = a.id AND ((ov.account_id IS NOT NULL OR o.shared) AND ov.hidden_at IS NULL)) AS following_stored,
       (SELECT count(*) FROM posts p WHERE p.account_id = a.id AND p.deleted_at IS NULL) AS posts_stored
FROM accounts a LEFT JOIN account_visibility v ON v.account_id = a.id AND v.org_id = $2
WHERE a.id = $1 AND ((v.account_id IS NOT NULL OR a.shared) AND v.hidden_at IS NULL);

-- name: identity
-- What the erasure log keeps of an account: who it was, not what it posted.
SELECT id, platform, host, external_id, handle FROM accounts WHERE id = $1;

-- name: hide
-- An org admin's "delete": the account disappears for org $1 only (rankings, searches, reports),
-- and stays hidden when the org's later crawls see it again. Only an account the org may see.
INSERT INTO account_visibility (org_id, account_id, hidden_at)
SELECT $1, a.id, now() FROM accounts a
LEFT JOIN account_visibility v ON v.account_id = a.id AND v.org_id = $1
WHERE a.id = $2 AND ((v.account_id IS NOT NULL OR a.shared) AND v.hidden_at IS NULL)
ON CONFLICT (org_id, account_id) DO UPDATE SET hidden_at = now()
RETURNING account_id;

-- name: log_erasure
INSERT INTO account_erasures (account_id, platform, host, external_id, handle, scope, org_id, actor, reason)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING id, at;

-- name: erasures
-- The erasure log, newest first, optionally for one account.
SELECT id, account_id, platform, host, external_id, handle, scope, org_id, actor, reason, at
FROM account_erasures WHERE ($1::bigint IS NULL OR account_id = $1)
ORDER BY at DESC, id DESC LIMIT $2;

-- name: erase
-- Erase an account's data for everyone (the operator, on the person's request): only the handle stays,
-- flagged opted out so it is never crawled again.
WITH f AS (DELETE FROM follows WHERE follower_id = $1 OR followee_id = $1),
     i AS (DELETE FROM interactions WHERE actor_id = $1),
     p AS (DELETE FROM posts WHERE account_id = $1)
UPDATE accounts SET opted_out = true, erased_at = coalesce(erased_at, now()), display_name = NULL, bio = NULL, has_avatar = NULL, followers_count = NULL,
    following_count = NULL, posts_count = NULL, created_at = NULL, is_bot = NULL, discoverable = NULL, noindex = NULL
WHERE id = $1
RETURNING id;

-- name: by_handle
-- Every stored account with this handle (case-insensitive), optionally on one platform and host.
SELECT id FROM accounts
WHERE lower(handle) = lower($1) AND ($2::text IS NULL OR platform = $2) AND ($3::text IS NULL OR host = $3)
ORDER BY id;
