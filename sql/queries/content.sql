-- name: upsert_post
-- A tracked post by URL; registering it again fills in what was missing and keeps the rest.
INSERT INTO campaign_posts (org_id, creator_id, url, post_id, platform, caption, posted_at, paid_label, origin)
VALUES ($1, $2, $3, (SELECT p.id FROM posts p WHERE p.url = $3 ORDER BY p.id LIMIT 1), $4, $5, $6, $7, $8)
ON CONFLICT (creator_id, url) DO UPDATE SET
    post_id = coalesce(campaign_posts.post_id, EXCLUDED.post_id),
    platform = coalesce(EXCLUDED.platform, campaign_posts.platform),
    caption = coalesce(EXCLUDED.caption, campaign_posts.caption),
    posted_at = coalesce(EXCLUDED.posted_at, campaign_posts.posted_at),
    paid_label = campaign_posts.paid_label OR EXCLUDED.paid_label
RETURNING id, (xmax = 0) AS inserted;

-- name: upsert_posts
-- The posts of an import, many at once (same rules as upsert_post).
INSERT INTO campaign_posts (org_id, creator_id, url, post_id, platform, caption, posted_at, paid_label, origin)
SELECT $1, i.creator_id, i.url, (SELECT p.id FROM posts p WHERE p.url = i.url ORDER BY p.id LIMIT 1), i.platform,
       i.caption, i.posted_at, i.paid_label, 'imported'
FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::boolean[])
     AS i(creator_id, url, platform, caption, posted_at, paid_label)
ON CONFLICT (creator_id, url) DO UPDATE SET
    platform = coalesce(EXCLUDED.platform, campaign_posts.platform),
    caption = coalesce(EXCLUDED.caption, campaign_posts.caption),
    posted_at = coalesce(EXCLUDED.posted_at, campaign_posts.posted_at),
    paid_label = campaign_posts.paid_label OR EXCLUDED.paid_label
RETURNING id, creator_id, url, (xmax = 0) AS inserted;

-- name: posts_by_url
SELECT cp.id, cp.creator_id, cp.url FROM campaign_posts cp JOIN campaign_creators cc ON cc.id = cp.creator_id
WHERE cc.org_id = $1 AND cc.campaign_id = $2;

-- name: upsert_snapshots
-- Snapshots keyed by (post, source, taken_at): the same file imported twice changes nothing; a corrected
-- value replaces the old one. Returns the rows written, with whether each was new.
INSERT INTO post_snapshots AS s (org_id, post_id, taken_at, source, views, reach, impressions, likes, comments,
                                 shares, saves)
SELECT $1, i.post_id, i.taken_at, $2, i.views, i.reach, i.impressions, i.likes, i.comments, i.shares, i.saves
FROM unnest($3::uuid[], $4::timestamptz[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[],
            $10::bigint[], $11::bigint[]) AS i(post_id, taken_at, views, reach, impressions, likes, comments, shares,
                                               saves)
ON CONFLICT (post_id, source, taken_at) DO UPDATE SET views = EXCLUDED.views, reach = EXCLUDED.reach,
    impressions = EXCLUDED.impressions, likes = EXCLUDED.likes, comments = EXCLUDED.comments,
    shares = EXCLUDED.shares, saves = EXCLUDED.saves
WHERE (s.views, s.reach, s.impressions, s.likes, s.comments, s.shares, s.saves)
      IS DISTINCT FROM (EXCLUDED.views, EXCLUDED.reach, EXCLUDED.impressions, EXCLUDED.likes, EXCLUDED.comments,
                        EXCLUDED.shares, EXCLUDED.saves)
RETURNING (xmax = 0) AS inserted;

-- name: insert_crawled_snapshot
-- A scheduled refresh's snapshot: at most one per post and slot, whatever happens to the worker.
INSERT INTO post_snapshots (org_id, post_id, taken_at, source, slot, likes, comments, shares)
VALUES ($1, $2, $3, 'crawled', $4, $5, $6, $7)
ON CONFLICT DO NOTHING
RETURNING id;

-- name: list_posts
-- Tracked posts of a campaign with their latest snapshot and the crawled counts when linked.
SELECT cp.id, cp.creator_id, cc.handle, coalesce(cp.platform, cc.platform) AS platform, cp.url, cp.post_id,
       cp.origin, coalesce(cp.caption, p.text) AS caption, coalesce(cp.posted_at, p.created_at) AS posted_at,
       cp.paid_label, cp.created_at, l.taken_at, l.source, l.views, l.reach, l.impressions, l.likes, l.comments,
       l.shares, l.saves, p.like_count, p.repost_count, p.reply_count,
       (SELECT count(*) FROM post_snapshots s WHERE s.post_id = cp.id) AS snapshots
FROM campaign_posts cp JOIN campaign_creators cc ON cc.id = cp.creator_id
LEFT JOIN posts p ON p.id = cp.post_id
LEFT JOIN LATERAL (SELECT * FROM post_snapshots s WHERE s.post_id = cp.id
                   ORDER BY s.taken_at DESC, s.id DESC LIMIT 1) l ON true
WHERE cc.org_id = $1 AND cc.campaign_id = $2
ORDER BY cp.created_at, cp.url;

-- name: snapshots_of
SELECT s.id, s.taken_at, s.source, s.slot, s.views, s.reach, s.impressions, s.likes, s.comments, s.shares, s.saves
FROM post_snapshots s JOIN campaign_posts cp ON cp.id = s.post_id
JOIN campaign_creators cc ON cc.id = cp.creator_id
WHERE cc.org_id = $1 AND cc.campaign_id = $2 AND s.post_id = $3
ORDER BY s.taken_at, s.id;

-- name: detect_posts
-- Crawled posts of linked creators carrying the campaign hashtag, a required mention or a tagged link,
-- published within the campaign's dates; returns the posts newly tracked.
INSERT INTO campaign_posts (org_id, creator_id, url, post_id, platform, origin)
SELECT cc.org_id, cc.id, p.url, p.id, cc.platform, 'detected'
FROM campaign_creators cc JOIN campaigns c ON c.id = cc.campaign_id
JOIN posts p ON p.account_id = cc.account_id
LEFT JOIN campaign_briefs b ON b.campaign_id = c.id
WHERE cc.org_id = $1 AND cc.campaign_id = $2 AND cc.removed_at IS NULL AND p.url <> ''
  AND (c.starts_at IS NULL OR p.created_at >= c.starts_at)
  AND (c.ends_at IS NULL OR p.created_at <= c.ends_at)
  AND ((c.hashtag IS NOT NULL AND p.hashtags @> ARRAY[lower(c.hashtag)])
       OR p.hashtags && coalesce(b.required_hashtags, '{}')
       OR EXISTS (SELECT 1 FROM unnest(p.mentions) AS m
                  WHERE lower(m) = ANY (b.required_mentions) OR lower(split_part(m, '@', 1)) = ANY (b.required_mentions))
       OR p.text LIKE '%/r/' || cc.slug || '%')
ON CONFLICT (creator_id, url) DO NOTHING
RETURNING id;

-- name: refreshable
-- Tracked posts on crawlable servers: where to ask for fresh counts, and when each was first tracked.
SELECT cp.id, cp.org_id, cp.url, cp.created_at, p.external_id, a.platform, a.host,
       (SELECT cr.base_url FROM crawls cr WHERE cr.org_id = cp.org_id AND cr.host = a.host
        ORDER BY cr.created_at DESC LIMIT 1) AS base_url,
       (SELECT cr.token FROM crawls cr WHERE cr.org_id = cp.org_id AND cr.host = a.host
        ORDER BY cr.created_at DESC LIMIT 1) AS token
FROM campaign_posts cp JOIN posts p ON p.id = cp.post_id JOIN accounts a ON a.id = p.account_id
WHERE cp.id = ANY ($1::uuid[]);

-- name: markers
SELECT marker FROM disclosure_markers WHERE org_id = $1 ORDER BY marker;

-- name: clear_markers
DELETE FROM disclosure_markers WHERE org_id = $1;

-- name: add_markers
INSERT INTO disclosure_markers (org_id, marker) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING;

-- name: active_campaigns
-- Campaigns running now (or ended within a day) with at least one creator linked to a crawled account.
SELECT DISTINCT c.org_id, c.id FROM campaigns c JOIN campaign_creators cc ON cc.campaign_id = c.id
WHERE c.archived_at IS NULL AND cc.account_id IS NOT NULL AND cc.removed_at IS NULL
  AND (c.starts_at IS NULL OR c.starts_at <= now())
  AND (c.ends_at IS NULL OR c.ends_at > now() - interval '1 day');
