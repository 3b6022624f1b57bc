-- name: tmp_tables
-- Per-session staging tables for bulk writes, emptied at each commit.
CREATE TEMP TABLE IF NOT EXISTS tmp_accounts (
    external_id text, handle text, opted_out boolean, partial boolean, display_name text, bio text,
    has_avatar boolean, followers_count integer, following_count integer, posts_count integer,
    created_at timestamptz, is_bot boolean, discoverable boolean, noindex boolean, location text
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS tmp_posts (
    account_id bigint, external_id text, text text, hashtags text[], mentions text[], created_at timestamptz,
    like_count integer, repost_count integer, reply_count integer, quote_count integer, url text, reply boolean,
    lang text
) ON COMMIT DELETE ROWS;

-- name: insert_accounts
-- New accounts only: known rows are neither touched nor locked (concurrent crawls see the same
-- popular followers over and over).
INSERT INTO accounts (platform, host, external_id, handle, opted_out, display_name, bio, has_avatar, followers_count,
                      following_count, posts_count, created_at, is_bot, discoverable, noindex, location)
SELECT DISTINCT ON (external_id) $1, $2, external_id, handle, opted_out, display_name, bio, has_avatar,
       followers_count, following_count, posts_count, created_at, is_bot, discoverable, noindex, location
FROM tmp_accounts ORDER BY external_id, opted_out DESC, partial, followers_count IS NULL
ON CONFLICT (platform, host, external_id) DO NOTHING;

-- name: update_accounts
-- Known accounts whose view changed. A value the platform did not send (NULL) keeps the stored
-- one, except for opted-out accounts, which keep nothing but their handle. A short view (partial)
-- can show an opt-out but never clear one: only a full profile that opted back in does.
UPDATE accounts a SET
    handle = t.handle,
    opted_out = t.out,
    display_name = CASE WHEN t.out THEN NULL ELSE coalesce(t.display_name, a.display_name) END,
    bio = CASE WHEN t.out THEN NULL ELSE coalesce(t.bio, a.bio) END,
    has_avatar = CASE WHEN t.out THEN NULL ELSE coalesce(t.has_avatar, a.has_avatar) END,
    followers_count = CASE WHEN t.out THEN NULL ELSE coalesce(t.followers_count, a.followers_count) END,
    following_count = CASE WHEN t.out THEN NULL ELSE coalesce(t.following_count, a.following_count) END,
    posts_count = CASE WHEN t.out THEN NULL ELSE coalesce(t.posts_count, a.posts_count) END,
    created_at = CASE WHEN t.out THEN NULL ELSE coalesce(t.created_at, a.created_at) END,
    is_bot = CASE WHEN t.out THEN NULL ELSE coalesce(t.is_bot, a.is_bot) END,
    discoverable = CASE WHEN t.out THEN NULL ELSE coalesce(t.discoverable, a.discoverable) END,
    noindex = CASE WHEN t.out THEN NULL ELSE coalesce(t.noindex, a.noindex) END,
    location = CASE WHEN t.out THEN NULL ELSE coalesce(t.location, a.location) END,
    fetched_at = now()
FROM (
    SELECT v.*, (v.opted_out OR (v.partial AND k.opted_out)) AS out
    FROM (
        SELECT DISTINCT ON (external_id) * FROM tmp_accounts
        ORDER BY external_id, opted_out DESC, partial, followers_count IS NULL
    ) v
    JOIN accounts k ON k.platform = $1 AND k.host = $2 AND k.external_id = v.external_id
) t
WHERE a.platform = $1 AND a.host = $2 AND a.external_id = t.external_id AND a.erased_at IS NULL
  AND (a.handle, a.opted_out, a.followers_count, a.following_count, a.posts_count, a.bio, a.display_name,
       a.location)
      IS DISTINCT FROM (t.handle, t.out,
                        CASE WHEN t.out THEN NULL ELSE coalesce(t.followers_count, a.followers_count) END,
                        CASE WHEN t.out THEN NULL ELSE coalesce(t.following_count, a.following_count) END,
                        CASE WHEN t.out THEN NULL ELSE coalesce(t.posts_count, a.posts_count) END,
                        CASE WHEN t.out THEN NULL ELSE coalesce(t.bio, a.bio) END,
                        CASE WHEN t.out THEN NULL ELSE coalesce(t.display_name, a.display_name) END,
                        CASE WHEN t.out THEN NULL ELSE coalesce(t.location, a.location) END)
RETURNING a.id, a.opted_out;

-- name: erase_opted_out
-- Accounts that have just opted out keep no follows, posts or interactions.
WITH f1 AS (
    DELETE FROM follows WHERE follower_id = ANY ($1::bigint[])  -- two deletes, each on an index
), f2 AS (
    DELETE FROM follows WHERE followee_id = ANY ($1::bigint[])
), i AS (
    DELETE FROM interactions WHERE actor_id = ANY ($1::bigint[])
), e1 AS (
    DELETE FROM follows_ended WHERE follower_id = ANY ($1::bigint[]) OR followee_id = ANY ($1::bigint[])
), e2 AS (
    DELETE FROM interactions_ended WHERE actor_id = ANY ($1::bigint[]) OR author_id = ANY ($1::bigint[])
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

-- name: upsert_follows
-- Rows go in key order, as in every other writer, so concurrent crawls never deadlock. Known edges
-- are marked seen now.
WITH up AS (
    INSERT INTO follows AS f (follower_id, followee_id, seen_at, first_seen_at)
    SELECT DISTINCT follower_id, followee_id, now(), now()
    FROM unnest($1::bigint[], $2::bigint[]) AS t(follower_id, followee_id)
    WHERE follower_id <> followee_id
    ORDER BY followee_id, follower_id
    ON CONFLICT (followee_id, follower_id) DO UPDATE SET seen_at = now()
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS new, count(*) FILTER (WHERE NOT inserted) AS known FROM up;

-- name: end_follows
-- Follows that a complete followers list ($1: of these followees) or following list ($2: of these
-- followers) no longer shows end, kept in follows_ended with the time they were last seen.
WITH gone AS (
    DELETE FROM follows f
    WHERE (f.followee_id = ANY ($1::bigint[]) OR f.follower_id = ANY ($2::bigint[])) AND f.seen_at < now()
    RETURNING f.follower_id, f.followee_id, f.first_seen_at, f.seen_at
), kept AS (
    INSERT INTO follows_ended (follower_id, followee_id, first_seen_at, last_seen_at)
    SELECT follower_id, followee_id, first_seen_at, seen_at FROM gone
)
SELECT count(*) FROM gone;

-- name: upsert_posts
WITH up AS (
    INSERT INTO posts AS p (account_id, external_id, text, hashtags, mentions, created_at, like_count, repost_count,
                            reply_count, quote_count, url, reply, lang, fetched_at, seen_at)
    SELECT account_id, external_id, text, hashtags, mentions, created_at, like_count, repost_count, reply_count,
           quote_count, url, reply, lang, now(), now()
    FROM tmp_posts
    ORDER BY account_id, external_id
    ON CONFLICT (account_id, external_id) DO UPDATE SET
        like_count = EXCLUDED.like_count, repost_count = EXCLUDED.repost_count,
        reply_count = EXCLUDED.reply_count, quote_count = EXCLUDED.quote_count,
        text = EXCLUDED.text, hashtags = EXCLUDED.hashtags, url = EXCLUDED.url, seen_at = now(), deleted_at = NULL,
        lang = EXCLUDED.lang,
        fetched_at = CASE
            WHEN (p.like_count, p.repost_count, p.reply_count, p.quote_count, p.text, p.deleted_at IS NULL)
                 IS DISTINCT FROM (EXCLUDED.like_count, EXCLUDED.repost_count, EXCLUDED.reply_count,
                                   EXCLUDED.quote_count, EXCLUDED.text, true)
            THEN now() ELSE p.fetched_at END
    RETURNING p.id, p.account_id, p.external_id, (xmax = 0) AS inserted, p.fetched_at = now() AS changed
)
SELECT id, account_id, external_id, inserted::int AS inserted, changed::int AS changed FROM up;

-- name: mark_deleted_posts
-- Posts an author's list no longer shows, within the time the list covers ($2 per author in $1),
-- are marked deleted; their interactions end. Replies are never listed (we read posts without
-- replies), so they are never judged by it.
WITH gone AS (
    UPDATE posts p SET deleted_at = now(), fetched_at = now()
    FROM unnest($1::bigint[], $2::timestamptz[]) AS c(account_id, covers_from)
    WHERE p.account_id = c.account_id AND p.deleted_at IS NULL AND NOT p.reply AND p.seen_at < now()
      AND (p.created_at >= c.covers_from OR (p.created_at IS NULL AND c.covers_from = 'epoch'))
    RETURNING p.id
), ended AS (
    DELETE FROM interactions i WHERE i.post_id IN (SELECT id FROM gone)
    RETURNING i.*
), kept AS (
    INSERT INTO interactions_ended (actor_id, post_id, author_id, kind, at, last_seen_at)
    SELECT actor_id, post_id, author_id, kind, at, seen_at FROM ended
)
SELECT count(*) FROM gone;

-- name: mark_deleted_tagged_posts
-- The same for an author's list of posts carrying a hashtag ($2, lowercase as stored): its posts
-- carrying that tag, within the time the list covers ($3), that the list no longer shows.
WITH gone AS (
    UPDATE posts p SET deleted_at = now(), fetched_at = now()
    FROM unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS c(account_id, tag, covers_from)
    WHERE p.account_id = c.account_id AND c.tag = ANY (p.hashtags) AND p.deleted_at IS NULL AND NOT p.reply
      AND p.seen_at < now()
      AND (p.created_at >= c.covers_from OR (p.created_at IS NULL AND c.covers_from = 'epoch'))
    RETURNING p.id
), ended AS (
    DELETE FROM interactions i WHERE i.post_id IN (SELECT id FROM gone)
    RETURNING i.*
), kept AS (
    INSERT INTO interactions_ended (actor_id, post_id, author_id, kind, at, last_seen_at)
    SELECT actor_id, post_id, author_id, kind, at, seen_at FROM ended
)
SELECT count(*) FROM gone;

-- name: upsert_interactions
WITH up AS (
    INSERT INTO interactions AS i (actor_id, post_id, author_id, kind, at, seen_at)
    SELECT DISTINCT ON (post_id, actor_id, kind) actor_id, post_id, author_id, kind, at, now()
    FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::timestamptz[])
         AS t(actor_id, post_id, author_id, kind, at)
    ORDER BY post_id, actor_id, kind
    ON CONFLICT (post_id, actor_id, kind) DO UPDATE SET seen_at = now(), at = coalesce(EXCLUDED.at, i.at)
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted) FROM up;

-- name: end_interactions
-- Likes, reposts or replies of a post ($1) of a kind ($2) that its complete list no longer shows.
WITH gone AS (
    DELETE FROM interactions i USING unnest($1::bigint[], $2::text[]) AS c(post_id, kind)
    WHERE i.post_id = c.post_id AND i.kind = c.kind AND i.seen_at < now()
    RETURNING i.*
), kept AS (
    INSERT INTO interactions_ended (actor_id, post_id, author_id, kind, at, last_seen_at)
    SELECT actor_id, post_id, author_id, kind, at, seen_at FROM gone
)
SELECT count(*) FROM gone;

-- name: mark_expanded
UPDATE accounts SET expanded_at = now() WHERE id = ANY ($1::bigint[]);

-- name: fresh_account
-- When an account's lists were last read, and its stored neighbours (to continue a crawl without
-- reading them again).
SELECT extract(epoch FROM now() - a.expanded_at) AS age,
       ARRAY(SELECT n.external_id FROM follows f JOIN accounts n ON n.id = f.follower_id
             WHERE f.followee_id = a.id AND NOT n.opted_out ORDER BY f.first_seen_at LIMIT $4) AS followers,
       ARRAY(SELECT n.external_id FROM follows f JOIN accounts n ON n.id = f.followee_id
             WHERE f.follower_id = a.id AND NOT n.opted_out ORDER BY f.first_seen_at LIMIT $5) AS following
FROM accounts a WHERE a.platform = $1 AND a.host = $2 AND a.external_id = $3 AND NOT a.opted_out;
