-- name: search
-- Accounts that did not opt out, matching handle/name/bio text and/or a hashtag they posted, by id.
SELECT a.id, a.platform, a.host, a.external_id, a.handle, a.display_name, a.bio, a.has_avatar, a.followers_count,
       a.following_count, a.posts_count, a.created_at, a.is_bot, a.fetched_at
FROM accounts a
WHERE NOT a.opted_out
  AND ($1::text IS NULL OR a.platform = $1)
  AND ($2::text IS NULL OR a.handle ILIKE '%' || $2 || '%' OR a.display_name ILIKE '%' || $2 || '%'
       OR a.bio ILIKE '%' || $2 || '%')
  AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM posts p WHERE p.account_id = a.id AND p.hashtags @> ARRAY[$3]
                                   AND p.deleted_at IS NULL))
  AND a.id > $4
ORDER BY a.id
LIMIT $5;

-- name: get
SELECT a.id, a.platform, a.host, a.external_id, a.handle, a.opted_out, a.display_name, a.bio, a.has_avatar,
       a.followers_count, a.following_count, a.posts_count, a.created_at, a.is_bot, a.fetched_at,
       (SELECT count(*) FROM follows f WHERE f.followee_id = a.id) AS followers_stored,
       (SELECT count(*) FROM follows f WHERE f.follower_id = a.id) AS following_stored,
       (SELECT count(*) FROM posts p WHERE p.account_id = a.id AND p.deleted_at IS NULL) AS posts_stored
FROM accounts a WHERE a.id = $1;

-- name: erase
-- Erase an account's data on request: only the handle stays, flagged opted out so it is never crawled again.
WITH f AS (DELETE FROM follows WHERE follower_id = $1 OR followee_id = $1),
     i AS (DELETE FROM interactions WHERE actor_id = $1),
     p AS (DELETE FROM posts WHERE account_id = $1)
UPDATE accounts SET opted_out = true, erased_at = coalesce(erased_at, now()), display_name = NULL, bio = NULL, has_avatar = NULL, followers_count = NULL,
    following_count = NULL, posts_count = NULL, created_at = NULL, is_bot = NULL, discoverable = NULL, noindex = NULL
WHERE id = $1
RETURNING id;
