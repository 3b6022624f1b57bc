-- name: create_monitor
INSERT INTO listening_monitors (org_id, name, brand, competitors, languages, flagged_terms, alert)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *;

-- name: get_monitor
SELECT * FROM listening_monitors WHERE org_id = $1 AND id = $2;

-- name: monitor_by_id
-- For the runner, which serves every org.
SELECT * FROM listening_monitors WHERE id = $1;

-- name: list_monitors
SELECT * FROM listening_monitors WHERE org_id = $1 ORDER BY created_at DESC, id;

-- name: set_active
UPDATE listening_monitors SET active = $3, updated_at = now() WHERE org_id = $1 AND id = $2 RETURNING *;

-- name: delete_monitor
DELETE FROM listening_monitors WHERE org_id = $1 AND id = $2 RETURNING id;

-- name: insert_source
INSERT INTO listening_sources (monitor_id, platform, kind, base_url, stream_url, query, token)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *;

-- name: monitor_sources
SELECT * FROM listening_sources WHERE monitor_id = $1 ORDER BY platform, kind, query, id;

-- name: active_sources
-- Every source of an active monitor: what the runner keeps listening to.
SELECT s.* FROM listening_sources s JOIN listening_monitors m ON m.id = s.monitor_id
WHERE m.active ORDER BY s.id;

-- name: lock_source
-- One runner per source: a transaction-scoped lock, taken with each batch it stores.
SELECT cursor FROM listening_sources WHERE id = $1 FOR UPDATE;

-- name: save_progress
UPDATE listening_sources
SET cursor = $2, backfilled = backfilled OR $3, seen = seen + $4, matched = matched + $5,
    skipped_opted_out = skipped_opted_out + $6, error = NULL, updated_at = now()
WHERE id = $1;

-- name: source_error
UPDATE listening_sources SET error = $2, updated_at = now() WHERE id = $1;

-- name: upsert_mentions
-- Subjects and rules travel as one string each, split on the unit separator (arrays of arrays cannot be unnested).
INSERT INTO listening_mentions AS m (org_id, monitor_id, platform, uri, url, author_id, author_handle,
    author_followers, text, language, hashtags, created_at, likes, reposts, replies, subjects, rules,
    sentiment, confidence, model_version, paid)
SELECT $1, $2, $3, u.uri, u.url, u.author_id, u.author_handle, u.followers, u.text, u.language,
       string_to_array(u.hashtags, E'\x1f'), u.created_at, u.likes, u.reposts, u.replies,
       string_to_array(u.subjects, E'\x1f'), string_to_array(u.rules, E'\x1f'), u.sentiment, u.confidence,
       u.model_version, u.paid
FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[], $10::text[], $11::text[],
            $12::timestamptz[], $13::int[], $14::int[], $15::int[], $16::text[], $17::text[], $18::text[],
            $19::real[], $20::text[], $21::bool[])
     AS u(uri, url, author_id, author_handle, followers, text, language, hashtags, created_at, likes, reposts,
          replies, subjects, rules, sentiment, confidence, model_version, paid)
ON CONFLICT (monitor_id, platform, uri) DO UPDATE
SET likes = greatest(m.likes, excluded.likes), reposts = greatest(m.reposts, excluded.reposts),
    replies = greatest(m.replies, excluded.replies),
    author_followers = greatest(m.author_followers, excluded.author_followers)
RETURNING id, uri, created_at, sentiment, (xmax = 0) AS inserted;

-- name: mention_ids
SELECT id, uri FROM listening_mentions WHERE monitor_id = $1 AND platform = $2 AND uri = ANY($3::text[]);

-- name: insert_boosts
INSERT INTO listening_boosts (mention_id, uri, booster_handle, booster_followers, created_at)
SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::timestamptz[])
ON CONFLICT DO NOTHING
RETURNING mention_id;

-- name: alert_points
-- Brand mentions in a time range, for spike detection.
SELECT id, created_at, sentiment = 'negative' AS negative FROM listening_mentions
WHERE monitor_id = $1 AND 'brand' = ANY(subjects) AND created_at > $2 AND created_at <= $3;

-- name: alert_times
SELECT kind, at FROM listening_alerts WHERE monitor_id = $1 AND at BETWEEN $2 AND $3;

-- name: insert_alert
INSERT INTO listening_alerts (org_id, monitor_id, kind, at, window_start, observed, total, baseline, sigma, z,
                              evidence)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (monitor_id, kind, at) DO NOTHING
RETURNING id;

-- name: list_alerts
SELECT * FROM listening_alerts WHERE org_id = $1 AND monitor_id = $2 ORDER BY at DESC, id LIMIT $3;

-- name: mark_delivered
-- Handed to outbound (an `alert.raised` event) in the transaction that stored the alert.
UPDATE listening_alerts SET delivered_at = now(), delivery_error = NULL WHERE id = $1;

-- name: evidence
SELECT m.id, m.platform, m.uri, m.url, m.author_handle, m.text, m.created_at, m.sentiment
FROM listening_mentions m WHERE m.org_id = $1 AND m.id = ANY($2::bigint[]) ORDER BY m.created_at, m.id;

-- name: list_mentions
-- Newest first, keyset-paged by (created_at, id); filters are optional.
WITH b AS (SELECT mention_id, count(*)::int AS boosts, coalesce(sum(booster_followers), 0)::bigint AS reach
           FROM listening_boosts GROUP BY mention_id)
SELECT m.id, m.platform, m.uri, m.url, m.author_handle, m.author_followers, m.text, m.language, m.hashtags,
       m.created_at, m.likes, greatest(m.reposts, coalesce(b.boosts, 0)) AS reposts, m.replies,
       coalesce(b.boosts, 0) AS boosts_seen, m.author_followers + coalesce(b.reach, 0) AS reach, m.subjects,
       m.rules, m.sentiment, m.confidence, m.model_version, m.paid
FROM listening_mentions m LEFT JOIN b ON b.mention_id = m.id
WHERE m.org_id = $1 AND m.monitor_id = $2
  AND ($3::text IS NULL OR $3 = ANY(m.subjects))
  AND ($4::text IS NULL OR m.sentiment = $4)
  AND ($5::timestamptz IS NULL OR m.created_at >= $5)
  AND ($6::timestamptz IS NULL OR m.created_at < $6)
  AND ($7::timestamptz IS NULL OR (m.created_at, m.id) < ($7, $8))
ORDER BY m.created_at DESC, m.id DESC
LIMIT $9;

-- name: mentions_for_rescore
SELECT id, text, language FROM listening_mentions
WHERE org_id = $1 AND ($2::uuid IS NULL OR monitor_id = $2) AND id > $3
ORDER BY id LIMIT $4;

-- name: update_sentiment
UPDATE listening_mentions m SET sentiment = u.sentiment, confidence = u.confidence, model_version = u.model_version
FROM unnest($1::bigint[], $2::text[], $3::real[], $4::text[]) AS u(id, sentiment, confidence, model_version)
WHERE m.id = u.id;

-- name: volume
-- Per time bucket and subject: mentions, engagement, estimated reach and the sentiment split.
WITH b AS (SELECT mention_id, count(*)::int AS boosts, coalesce(sum(booster_followers), 0)::bigint AS reach
           FROM listening_boosts GROUP BY mention_id),
m AS (SELECT m.*, greatest(m.reposts, coalesce(b.boosts, 0)) AS amplification,
             m.author_followers + coalesce(b.reach, 0) AS est_reach
      FROM listening_mentions m LEFT JOIN b ON b.mention_id = m.id
      WHERE m.org_id = $1 AND m.monitor_id = $2
        AND ($4::timestamptz IS NULL OR m.created_at >= $4) AND ($5::timestamptz IS NULL OR m.created_at < $5))
SELECT date_bin($3::interval, m.created_at, timestamptz '2000-01-01') AS bucket, s.subject,
       count(*)::int AS mentions,
       sum(m.likes + m.amplification + m.replies)::bigint AS engagement,
       sum(m.est_reach)::bigint AS reach,
       count(*) FILTER (WHERE m.sentiment = 'positive')::int AS positive,
       count(*) FILTER (WHERE m.sentiment = 'neutral')::int AS neutral,
       count(*) FILTER (WHERE m.sentiment = 'negative')::int AS negative
FROM m CROSS JOIN LATERAL unnest(m.subjects) AS s(subject)
GROUP BY 1, 2 ORDER BY 1, 2;

-- name: share_of_voice
WITH b AS (SELECT mention_id, count(*)::int AS boosts, coalesce(sum(booster_followers), 0)::bigint AS reach
           FROM listening_boosts GROUP BY mention_id),
m AS (SELECT m.*, greatest(m.reposts, coalesce(b.boosts, 0)) AS amplification,
             m.author_followers + coalesce(b.reach, 0) AS est_reach
      FROM listening_mentions m LEFT JOIN b ON b.mention_id = m.id
      WHERE m.org_id = $1 AND m.monitor_id = $2
        AND ($3::timestamptz IS NULL OR m.created_at >= $3) AND ($4::timestamptz IS NULL OR m.created_at < $4))
SELECT s.subject, count(*)::int AS mentions, sum(m.likes + m.amplification + m.replies)::bigint AS engagement,
       sum(m.est_reach)::bigint AS reach,
       count(*) FILTER (WHERE m.sentiment = 'positive')::int AS positive,
       count(*) FILTER (WHERE m.sentiment = 'neutral')::int AS neutral,
       count(*) FILTER (WHERE m.sentiment = 'negative')::int AS negative
FROM m CROSS JOIN LATERAL unnest(m.subjects) AS s(subject)
GROUP BY 1 ORDER BY 2 DESC, 1;

-- name: top_voices
-- Authors driving the brand's mentions, with their stored discovery profile when there is one.
WITH b AS (SELECT mention_id, count(*)::int AS boosts FROM listening_boosts GROUP BY mention_id)
SELECT m.platform, m.author_handle, count(*)::int AS mentions,
       sum(m.likes + greatest(m.reposts, coalesce(b.boosts, 0)) + m.replies)::bigint AS engagement,
       max(m.author_followers) AS followers,
       count(*) FILTER (WHERE m.sentiment = 'negative')::int AS negative,
       (SELECT a.id FROM accounts a WHERE a.platform = m.platform AND a.handle = m.author_handle
        AND NOT a.opted_out ORDER BY a.id LIMIT 1) AS account_id
FROM listening_mentions m LEFT JOIN b ON b.mention_id = m.id
WHERE m.org_id = $1 AND m.monitor_id = $2 AND $3 = ANY(m.subjects)
GROUP BY m.platform, m.author_handle
ORDER BY engagement DESC, mentions DESC, m.author_handle LIMIT $4;

-- name: top_posts
WITH b AS (SELECT mention_id, count(*)::int AS boosts FROM listening_boosts GROUP BY mention_id)
SELECT m.id, m.platform, m.url, m.author_handle, m.text, m.created_at, m.sentiment,
       (m.likes + greatest(m.reposts, coalesce(b.boosts, 0)) + m.replies)::bigint AS engagement
FROM listening_mentions m LEFT JOIN b ON b.mention_id = m.id
WHERE m.org_id = $1 AND m.monitor_id = $2 AND $3 = ANY(m.subjects)
ORDER BY engagement DESC, m.created_at DESC, m.id LIMIT $4;

-- name: cooccurring_hashtags
SELECT h AS term, count(*)::int AS mentions
FROM listening_mentions m CROSS JOIN LATERAL unnest(m.hashtags) AS h
WHERE m.org_id = $1 AND m.monitor_id = $2 AND $3 = ANY(m.subjects)
GROUP BY h ORDER BY 2 DESC, 1 LIMIT $4;

-- name: mention_texts
SELECT text FROM listening_mentions WHERE org_id = $1 AND monitor_id = $2 AND $3 = ANY(subjects)
ORDER BY created_at DESC LIMIT $4;

-- name: creator_posts
-- Recent posts of stored creators, for screening (accounts that opted out have none stored).
SELECT a.id AS account_id, a.platform, a.handle, p.text, p.hashtags, p.url, p.created_at
FROM posts p JOIN accounts a ON a.id = p.account_id
WHERE a.id = ANY($1::bigint[]) AND NOT a.opted_out AND p.deleted_at IS NULL
  AND (p.created_at IS NULL OR p.created_at >= $2)
ORDER BY a.id, p.created_at DESC NULLS LAST;
