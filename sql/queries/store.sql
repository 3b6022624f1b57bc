-- name: tmp_tables
-- Per-session staging tables for bulk writes, emptied at each commit.
CREATE TEMP TABLE IF NOT EXISTS tmp_accounts (
    external_id text, handle text, opted_out boolean, display_name text, bio text, has_avatar boolean,
    followers_count integer, following_count integer, posts_count integer, created_at timestamptz,
    is_bot boolean, discoverable boolean, noindex boolean
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS tmp_posts (
    account_id bigint, external_id text, text text, hashtags text[], mentions text[], created_at timestamptz,
    like_count integer, repost_count integer, reply_count integer, quote_count integer, url text
) ON COMMIT DELETE ROWS;

-- name: insert_accounts
-- New accounts only: known rows are neither touched nor locked (concurrent crawls see the same
-- popular followers over and over).
INSERT INTO accounts (platform, host, external_id, handle, opted_out, display_name, bio, has_avatar, followers_count,
                      following_count, posts_count, created_at, is_bot, discoverable, noindex)
SELECT DISTINCT ON (external_id) $1, $2, external_id, handle, opted_out, display_name, bio, has_avatar,
       followers_count, following_count, posts_count, created_at, is_bot, discoverable, noindex
FROM tmp_accounts ORDER BY external_id, opted_out DESC, followers_count IS NULL
ON CONFLICT (platform, host, external_id) DO NOTHING;

-- name: update_accounts
-- Known accounts whose view changed. A value the platform did not send (NULL) keeps the stored
-- one, except for opted-out accounts, which keep nothing but their handle.
UPDATE accounts a SET
    handle = t.handle,
    opted_out = t.opted_out,
    display_name = CASE WHEN t.opted_out THEN NULL ELSE coalesce(t.display_name, a.display_name) END,
    bio = CASE WHEN t.opted_out THEN NULL ELSE coalesce(t.bio, a.bio) END,
    has_avatar = CASE WHEN t.opted_out THEN NULL ELSE coalesce(t.has_avatar, a.has_avatar) END,
    followers_count = CASE WHEN t.opted_out THEN NULL ELSE coalesce(t.followers_count, a.followers_count) END,
    following_count = CASE WHEN t.opted_out THEN NULL ELSE coalesce(t.following_count, a.following_count) END,
    posts_count = CASE WHEN t.opted_out THEN NULL ELSE coalesce(t.posts_count, a.posts_count) END,
    created_at = CASE WHEN t.opted_out THEN NULL ELSE coalesce(t.created_at, a.created_at) END,
    is_bot = CASE WHEN t.opted_out THEN NULL ELSE coalesce(t.is_bot, a.is_bot) END,
    discoverable = CASE WHEN t.opted_out THEN NULL ELSE coalesce(t.discoverable, a.discoverable) END,
    noindex = CASE WHEN t.opted_out THEN NULL ELSE coalesce(t.noindex, a.noindex) END,
    fetched_at = now()
FROM (
    SELECT DISTINCT ON (external_id) * FROM tmp_accounts
    ORDER BY external_id, opted_out DESC, followers_count IS NULL
) t
WHERE a.platform = $1 AND a.host = $2 AND a.external_id = t.external_id AND a.erased_at IS NULL
  AND (a.handle, a.opted_out, a.followers_count, a.following_count, a.posts_count, a.bio, a.display_name)
      IS DISTINCT FROM (t.handle, t.opted_out,
                        CASE WHEN t.opted_out THEN NULL ELSE coalesce(t.followers_count, a.followers_count) END,
                        CASE WHEN t.opted_out THEN NULL ELSE coalesce(t.following_count, a.following_count) END,
                        CASE WHEN t.opted_out THEN NULL ELSE coalesce(t.posts_count, a.posts_count) END,
                        CASE WHEN t.opted_out THEN NULL ELSE coalesce(t.bio, a.bio) END,
                        CASE WHEN t.opted_out THEN NULL ELSE coalesce(t.display_name, a.display_name) END)
RETURNING a.id, a.opted_out;

-- name: erase_opted_out
-- Accounts that have just opted out keep no follows, posts or interactions.
WITH f1 AS (
    DELETE FROM follows WHERE follower_id = ANY ($1::bigint[])  -- two deletes, each on an index
), f2 AS (
    DELETE FROM follows WHERE followee_id = ANY ($1::bigint[])
), i AS (
    DELETE FROM interactions WHERE actor_id = ANY ($1::bigint[])
)
DELETE FROM posts WHERE account_id = ANY ($1::bigint[]);

-- name: account_ids
-- Ids of a batch's accounts that may carry data (an index lookup, whatever the table's statistics say).
SELECT id, external_id FROM accounts
WHERE platform = $1 AND host = $2 AND external_id = ANY ($3::text[]) AND NOT opted_out;

-- name: grant_visibility
-- The crawling org may see these accounts (opted-out ones too: their handle) from now on; rows go in
-- key order (no deadlocks), and an account the org hid stays hidden.
INSERT INTO account_visibility (org_id, account_id)
SELECT $1, id FROM accounts WHERE platform = $2 AND host = $3 AND external_id = ANY ($4::text[]) ORDER BY id
ON CONFLICT DO NOTHING;

-- name: share_accounts
-- Seen by a token-less crawl of a shared public server: every org may see them.
UPDATE accounts SET shared = true
WHERE platform = $1 AND host = $2 AND external_id = ANY ($3::text[]) AND NOT shared;

-- name: insert_follows
-- Rows go in key order, as in every other writer, so concurrent crawls never deadlock.
INSERT INTO follows (follower_id, followee_id)
SELECT DISTINCT follower_id, followee_id FROM unnest($1::bigint[], $2::bigint[]) AS t(follower_id, followee_id)
WHERE follower_id <> followee_id
ORDER BY followee_id, follower_id
ON CONFLICT DO NOTHING;

-- name: upsert_posts
WITH up AS (
    INSERT INTO posts AS p (account_id, external_id, text, hashtags, mentions, created_at, like_count, repost_count,
                            reply_count, quote_count, url, fetched_at)
    SELECT account_id, external_id, text, hashtags, mentions, created_at, like_count, repost_count, reply_count,
           quote_count, url, now()
    FROM tmp_posts
    ORDER BY account_id, external_id
    ON CONFLICT (account_id, external_id) DO UPDATE SET
        like_count = EXCLUDED.like_count, repost_count = EXCLUDED.repost_count,
        reply_count = EXCLUDED.reply_count, quote_count = EXCLUDED.quote_count,
        text = EXCLUDED.text, hashtags = EXCLUDED.hashtags, fetched_at = now()
    WHERE (p.like_count, p.repost_count, p.reply_count, p.quote_count, p.text)
          IS DISTINCT FROM (EXCLUDED.like_count, EXCLUDED.repost_count, EXCLUDED.reply_count,
                            EXCLUDED.quote_count, EXCLUDED.text)
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted) FROM up;

-- name: post_ids
SELECT id, account_id, external_id FROM posts WHERE account_id = ANY ($1::bigint[]) AND external_id = ANY ($2::text[]);

-- name: insert_interactions
INSERT INTO interactions (actor_id, post_id, author_id, kind, at)
SELECT DISTINCT ON (post_id, actor_id, kind) actor_id, post_id, author_id, kind, at
FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::timestamptz[])
     AS t(actor_id, post_id, author_id, kind, at)
ORDER BY post_id, actor_id, kind
ON CONFLICT DO NOTHING;
