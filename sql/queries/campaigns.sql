-- name: create_campaign
INSERT INTO campaigns (org_id, name, slug, currency, budget, starts_at, ends_at, destination_url, hashtag,
                       attribution_days, model, reference_cpm, reference_cpe)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
RETURNING *;

-- name: get_campaign
SELECT * FROM campaigns WHERE org_id = $1 AND id = $2;

-- name: list_campaigns
SELECT * FROM campaigns WHERE org_id = $1 AND ($2::timestamptz IS NULL OR created_at < $2)
ORDER BY created_at DESC LIMIT $3;

-- name: update_campaign
UPDATE campaigns SET name = coalesce($3, name), budget = coalesce($4, budget), starts_at = coalesce($5, starts_at),
    ends_at = coalesce($6, ends_at), hashtag = coalesce($7, hashtag), attribution_days = coalesce($8, attribution_days),
    model = coalesce($9, model), reference_cpm = coalesce($10, reference_cpm), reference_cpe = coalesce($11, reference_cpe)
WHERE org_id = $1 AND id = $2
RETURNING *;

-- name: archive_campaign
UPDATE campaigns SET archived_at = coalesce(archived_at, now()) WHERE org_id = $1 AND id = $2 RETURNING *;

-- name: find_account
-- Only an account org $2 may see (its own crawls' or the shared public index, not hidden).
SELECT a.id, a.platform, a.handle
FROM accounts a LEFT JOIN account_visibility v ON v.account_id = a.id AND v.org_id = $2
WHERE a.id = $1 AND NOT a.opted_out AND ((v.account_id IS NOT NULL OR a.shared) AND v.hidden_at IS NULL);

-- name: find_account_by_handle
SELECT a.id, a.platform, a.handle
FROM accounts a LEFT JOIN account_visibility v ON v.account_id = a.id AND v.org_id = $3
WHERE a.platform = $1 AND lower(a.handle) = lower($2) AND NOT a.opted_out AND ((v.account_id IS NOT NULL OR a.shared) AND v.hidden_at IS NULL)
ORDER BY a.id LIMIT 1;

-- name: add_creator
INSERT INTO campaign_creators (org_id, campaign_id, account_id, platform, handle, fee, gifted, commission_pct,
                               other_costs, promo_code, slug)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
RETURNING *;

-- name: list_creators
SELECT * FROM campaign_creators WHERE org_id = $1 AND campaign_id = $2 AND ($3 OR removed_at IS NULL)
ORDER BY created_at, id;

-- name: get_creator
SELECT * FROM campaign_creators WHERE org_id = $1 AND campaign_id = $2 AND id = $3;

-- name: update_costs
UPDATE campaign_creators SET fee = coalesce($4, fee), gifted = coalesce($5, gifted),
    commission_pct = coalesce($6, commission_pct), other_costs = coalesce($7, other_costs)
WHERE org_id = $1 AND campaign_id = $2 AND id = $3
RETURNING *;

-- name: remove_creator
UPDATE campaign_creators SET removed_at = coalesce(removed_at, now())
WHERE org_id = $1 AND campaign_id = $2 AND id = $3
RETURNING *;

-- name: link_by_slug
-- What the redirect needs for one tagged link (cached in memory after the first click).
SELECT cc.org_id, cc.campaign_id, cc.id AS creator_id, c.destination_url AS url, cc.platform,
       c.slug AS campaign_slug, cc.slug AS creator_slug
FROM campaign_creators cc JOIN campaigns c ON c.id = cc.campaign_id
WHERE cc.slug = $1 AND cc.removed_at IS NULL AND c.archived_at IS NULL;

-- name: notify_link
-- Tell every serving process (their /r/ caches) that a link changed: 'slug:<slug>' or 'campaign:<id>'.
-- Sent when the transaction commits, so no process reloads a link before the change is visible.
SELECT pg_notify('sorot_links', $1);

-- name: insert_clicks
-- Staged clicks become rows. A human click is unique when it opens its visitor's 24-hour window on
-- the link: the window starts at the first counted click and a new one opens 24 hours later. The
-- window row is upserted, so concurrent writers in several processes serialise on it and exactly one
-- of them counts a first click. Within one batch (100 ms of traffic) the visitor's earliest click opens it.
WITH staged AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::timestamptz[], $6::bytea[],
                         $7::text[], $8::boolean[])
        AS s(org_id, campaign_id, creator_id, click_id, at, visitor, referrer, bot)
), fresh AS (
    SELECT st.* FROM staged st WHERE NOT EXISTS (SELECT 1 FROM clicks c WHERE c.click_id = st.click_id)
), candidates AS (
    SELECT DISTINCT ON (creator_id, visitor) creator_id, visitor, at, click_id
    FROM fresh WHERE NOT bot ORDER BY creator_id, visitor, at, click_id
), opened AS (
    INSERT INTO click_windows AS w (creator_id, visitor, started_at)
    SELECT creator_id, visitor, at FROM candidates ORDER BY creator_id, visitor
    ON CONFLICT (creator_id, visitor) DO UPDATE SET started_at = EXCLUDED.started_at
        WHERE w.started_at <= EXCLUDED.started_at - interval '24 hours'
    RETURNING creator_id, visitor, started_at
), ins AS (
    INSERT INTO clicks (org_id, campaign_id, creator_id, click_id, at, visitor, referrer, bot, is_unique)
    SELECT f.org_id, f.campaign_id, f.creator_id, f.click_id, f.at, f.visitor, f.referrer, f.bot,
           EXISTS (SELECT 1 FROM candidates k JOIN opened o USING (creator_id, visitor)
                   WHERE k.click_id = f.click_id)
    FROM fresh f
    ON CONFLICT (click_id) DO NOTHING
    RETURNING creator_id, campaign_id, (at AT TIME ZONE 'UTC')::date AS day, bot, is_unique
)
INSERT INTO click_daily AS d (creator_id, day, campaign_id, clicks, human, uniq)
SELECT creator_id, day, campaign_id, count(*), count(*) FILTER (WHERE NOT bot), count(*) FILTER (WHERE is_unique)
FROM ins GROUP BY creator_id, day, campaign_id
ON CONFLICT (creator_id, day) DO UPDATE SET clicks = d.clicks + EXCLUDED.clicks, human = d.human + EXCLUDED.human,
    uniq = d.uniq + EXCLUDED.uniq;

-- name: visitor_salt
SELECT value FROM app_secrets WHERE name = 'visitor_salt';

-- name: create_integration
INSERT INTO integrations (org_id, source, name, secret) VALUES ($1, $2, $3, $4)
RETURNING id, source, name, created_at;

-- name: list_integrations
SELECT id, source, name, created_at FROM integrations WHERE org_id = $1 ORDER BY created_at;

-- name: integration_for_webhook
SELECT id, org_id, source, secret FROM integrations WHERE id = $1;

-- name: record_delivery
INSERT INTO webhook_deliveries (integration_id, delivery_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1;

-- name: record_payload
INSERT INTO webhook_payloads (integration_id, digest) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1;

-- name: lock_order
-- Serialises everything about one order (its deliveries, refunds, parked events) across processes.
SELECT pg_advisory_xact_lock(hashtextextended($1::text || '/' || $2 || '/' || $3, 0));

-- name: park_event
INSERT INTO parked_events (org_id, source, order_key, event) VALUES ($1, $2, $3, $4);

-- name: take_parked
DELETE FROM parked_events WHERE org_id = $1 AND source = $2 AND order_key = ANY ($3::text[])
RETURNING id, event;

-- name: parked_count
SELECT count(*) FROM parked_events WHERE org_id = $1;

-- name: upsert_fx
INSERT INTO fx_rates (org_id, day, base, quote, rate, source)
SELECT $1, * FROM unnest($2::date[], $3::text[], $4::text[], $5::numeric[], $6::text[])
ON CONFLICT (org_id, base, quote, day) DO UPDATE SET rate = EXCLUDED.rate, source = EXCLUDED.source;

-- name: fx_for_org
-- The org's rates that can serve days from $2 to $3 (a rate serves up to the staleness limit after its day).
SELECT day, btrim(base) AS base, btrim(quote) AS quote, rate, source FROM fx_rates
WHERE org_id = $1 AND day BETWEEN $2 AND $3;

-- name: list_fx
SELECT day, btrim(base) AS base, btrim(quote) AS quote, rate, source FROM fx_rates
WHERE org_id = $1 AND ($2::date IS NULL OR day >= $2) AND ($3::date IS NULL OR day <= $3)
  AND ($4::text IS NULL OR base = $4 OR quote = $4)
ORDER BY day DESC, base, quote LIMIT $5;

-- name: insert_conversion
INSERT INTO conversions (org_id, source, order_id, external_ref, occurred_at, amount, currency, promo_codes, click_id,
                         ref, customer_id, new_customer, status)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (org_id, source, order_id) DO NOTHING
RETURNING id;

-- name: raise_status
-- An order's status only moves up pending < voided < paid < test, so deliveries commute.
UPDATE conversions SET status = $2
WHERE id = $1 AND array_position(ARRAY['pending', 'voided', 'paid', 'test'], status)
                < array_position(ARRAY['pending', 'voided', 'paid', 'test'], $2::text)
RETURNING id;

-- name: lock_conversion
SELECT * FROM conversions WHERE id = $1 FOR UPDATE;

-- name: list_conversions
-- The org's conversions, newest first, by a (occurred_at, id) cursor; filters are optional.
SELECT cv.* FROM conversions cv
WHERE cv.org_id = $1
  AND ($2::uuid IS NULL OR EXISTS (SELECT 1 FROM attributions a WHERE a.conversion_id = cv.id AND a.campaign_id = $2))
  AND ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM attributions a WHERE a.conversion_id = cv.id AND a.creator_id = $3))
  AND ($4::text IS NULL OR cv.source = $4)
  AND ($5::timestamptz IS NULL OR cv.occurred_at >= $5)
  AND ($6::timestamptz IS NULL OR cv.occurred_at < $6)
  AND ($7::boolean IS NULL OR $7 = EXISTS (SELECT 1 FROM attributions a WHERE a.conversion_id = cv.id))
  AND ($8::text IS NULL OR cv.status = $8)
  AND ($9::timestamptz IS NULL OR (cv.occurred_at, cv.id) < ($9, $10::uuid))
ORDER BY cv.occurred_at DESC, cv.id DESC
LIMIT $11;

-- name: conversion_by_order
SELECT * FROM conversions WHERE org_id = $1 AND source = $2 AND order_id = $3;

-- name: conversion_by_external
SELECT * FROM conversions WHERE org_id = $1 AND source = $2 AND external_ref = $3;

-- name: get_conversion
SELECT * FROM conversions WHERE org_id = $1 AND id = $2;

-- name: codes_and_slugs
-- Every promo code and link slug of the org's campaigns, removed creators included (their codes still credit).
SELECT lower(cc.promo_code) AS code, cc.slug, cc.campaign_id, cc.id AS creator_id, c.attribution_days
FROM campaign_creators cc JOIN campaigns c ON c.id = cc.campaign_id
WHERE cc.org_id = $1;

-- name: journey
-- The human clicks of the visitor behind a click id, up to the order (plus the allowed clock skew between
-- the store and us, $4) and within the longest window.
SELECT k.click_id, k.at, k.campaign_id, k.creator_id, c.attribution_days
FROM clicks k JOIN campaigns c ON c.id = k.campaign_id
WHERE k.org_id = $1 AND NOT k.bot
  AND k.visitor = (SELECT visitor FROM clicks WHERE click_id = $2 AND org_id = $1)
  AND k.at <= $3::timestamptz + $4::interval AND k.at >= $3::timestamptz - interval '365 days';

-- name: insert_attribution
INSERT INTO attributions (conversion_id, org_id, campaign_id, creator_id, model, method, share, reason)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING;

-- name: credits_of
SELECT campaign_id, creator_id, model, method, share, reason FROM attributions
WHERE conversion_id = $1 ORDER BY model, creator_id;

-- name: refunded_total
SELECT coalesce(sum(amount), 0) FROM refunds WHERE conversion_id = $1;

-- name: refunds_of
SELECT refund_id, amount, requested, occurred_at FROM refunds WHERE conversion_id = $1 ORDER BY occurred_at, refund_id;

-- name: insert_refund
INSERT INTO refunds (org_id, conversion_id, refund_id, amount, requested, occurred_at) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (conversion_id, refund_id) DO NOTHING
RETURNING id;

-- name: report_clicks
SELECT creator_id, sum(clicks)::bigint AS clicks, sum(human)::bigint AS human, sum(uniq)::bigint AS uniq
FROM click_daily WHERE campaign_id = $1 AND day BETWEEN $2 AND $3 GROUP BY creator_id;

-- name: report_credits
-- Paid conversions credited to a campaign's creators under one model, with their refunds, from the rollups
-- (migration 0017). Orders credited to one creator alone come summed per creator, share, currency and day
-- (``orders`` of them, no conversion id): splitting them is trivial and the day's rate applies to the sum
-- exactly. An order with several credits comes as one row per credit, every credit of it under that model
-- (``mine`` marks this campaign's), so it is split over all of them exactly; its rows are adjacent.
SELECT true AS mine, creator_id, share, NULL::uuid AS conversion_id, amount, currency, day, refunded, orders
FROM credit_daily WHERE campaign_id = $1 AND model = $2 AND day BETWEEN $3 AND $4
UNION ALL
SELECT a.campaign_id = $1, a.creator_id, a.share, s.conversion_id, s.amount, s.currency, s.day, s.refunded, 1
FROM credit_state s JOIN attributions a ON a.conversion_id = s.conversion_id AND a.model = $2
WHERE s.campaign_id = $1 AND s.model = $2 AND s.creator_id IS NULL AND s.day BETWEEN $3 AND $4
ORDER BY conversion_id NULLS FIRST, mine, creator_id, currency, day;

-- name: report_credits_raw
-- report_credits computed from the raw rows (what the rollup must always equal; the tests compare them).
-- Paid conversions credited to a campaign's creators under one model, with their refunds. An order credited
-- to one creator alone (the common case) is summed per creator, currency and day (``orders`` of them, no
-- conversion id): splitting it is trivial and its day's rate applies to the sum exactly. An order with several
-- credits comes as one row per credit, every credit of it under that model (``mine`` marks this campaign's),
-- so it is split over all of them exactly; its rows are adjacent.
WITH mine AS (
    SELECT DISTINCT a.conversion_id FROM attributions a
    WHERE a.campaign_id = $1 AND a.model = $2
), counts AS (
    SELECT a.conversion_id, count(*) AS credits FROM attributions a JOIN mine USING (conversion_id)
    WHERE a.model = $2 GROUP BY a.conversion_id
), refunded AS (
    SELECT r.conversion_id, sum(r.amount) AS refunded FROM refunds r JOIN mine USING (conversion_id)
    GROUP BY r.conversion_id
), base AS (
    SELECT a.campaign_id = $1 AS mine, a.creator_id, a.share, cv.id AS conversion_id, cv.amount,
           btrim(cv.currency) AS currency, (cv.occurred_at AT TIME ZONE 'UTC')::date AS day,
           coalesce(r.refunded, 0) AS refunded, n.credits
    FROM counts n JOIN conversions cv ON cv.id = n.conversion_id
    JOIN attributions a ON a.conversion_id = cv.id AND a.model = $2
    LEFT JOIN refunded r ON r.conversion_id = cv.id
    WHERE cv.occurred_at >= $3 AND cv.occurred_at < $4 AND cv.status = 'paid'
)
SELECT mine, creator_id, share, NULL::uuid AS conversion_id, sum(amount) AS amount, currency, day,
       sum(refunded) AS refunded, count(*) AS orders
FROM base WHERE credits = 1 GROUP BY mine, creator_id, share, currency, day
UNION ALL
SELECT mine, creator_id, share, conversion_id, amount, currency, day, refunded, 1 AS orders
FROM base WHERE credits > 1
ORDER BY conversion_id NULLS FIRST, mine, creator_id, currency, day;

-- name: report_reach
-- Credible followers of each creator's account (the SQL form of the suspect rules: mass following,
-- no posts, default avatar with empty bio), and the same deduplicated across the campaign's creators.
WITH f AS (
    SELECT cc.id AS creator_id, fo.follower_id
    FROM campaign_creators cc
    JOIN follows fo ON fo.followee_id = cc.account_id
    JOIN accounts a ON a.id = fo.follower_id
    LEFT JOIN account_visibility v ON v.account_id = a.id AND v.org_id = cc.org_id  -- followers the org may see
    WHERE cc.campaign_id = $1 AND cc.removed_at IS NULL AND NOT a.opted_out AND ((v.account_id IS NOT NULL OR a.shared) AND v.hidden_at IS NULL)
      AND coalesce(a.following_count, 0) <= 1500 AND coalesce(a.posts_count, 1) > 0
      AND NOT (a.has_avatar IS FALSE AND coalesce(btrim(a.bio), '') = '')
)
SELECT creator_id, count(DISTINCT follower_id) AS reach FROM f GROUP BY ROLLUP (creator_id);

-- name: report_engagements
SELECT cp.creator_id, sum(p.like_count + p.repost_count + p.reply_count)::bigint AS engagements
FROM campaign_posts cp JOIN posts p ON p.id = cp.post_id
JOIN campaign_creators cc ON cc.id = cp.creator_id
WHERE cc.campaign_id = $1 GROUP BY cp.creator_id;

-- name: timeseries_clicks
SELECT day, sum(clicks)::bigint AS clicks, sum(human)::bigint AS human, sum(uniq)::bigint AS uniq
FROM click_daily WHERE campaign_id = $1 AND day BETWEEN $2 AND $3 GROUP BY day ORDER BY day;

-- name: add_post
INSERT INTO campaign_posts (org_id, creator_id, url, post_id)
VALUES ($1, $2, $3, (SELECT p.id FROM posts p WHERE p.url = $3 ORDER BY p.id LIMIT 1))
ON CONFLICT (creator_id, url) DO UPDATE SET post_id = coalesce(EXCLUDED.post_id, campaign_posts.post_id)
RETURNING id;

-- name: detect_posts
-- Crawled posts of the campaign's creators that carry the campaign hashtag or one of its tagged links.
INSERT INTO campaign_posts (org_id, creator_id, url, post_id)
SELECT cc.org_id, cc.id, p.url, p.id
FROM campaign_creators cc JOIN campaigns c ON c.id = cc.campaign_id
JOIN posts p ON p.account_id = cc.account_id
WHERE cc.campaign_id = $1 AND cc.removed_at IS NULL AND p.url <> ''
  AND ((c.hashtag IS NOT NULL AND p.hashtags @> ARRAY[lower(c.hashtag)]) OR p.text LIKE '%/r/' || cc.slug || '%')
ON CONFLICT (creator_id, url) DO NOTHING;

-- name: list_posts
SELECT cp.id, cp.creator_id, cp.url, cp.post_id, p.like_count AS likes, p.repost_count AS reposts,
       p.reply_count AS replies
FROM campaign_posts cp JOIN campaign_creators cc ON cc.id = cp.creator_id LEFT JOIN posts p ON p.id = cp.post_id
WHERE cc.org_id = $1 AND cc.campaign_id = $2 ORDER BY cp.created_at, cp.id;

-- name: daily_conversions
SELECT (cv.occurred_at AT TIME ZONE 'UTC')::date AS day, sum(a.share) AS conversions
FROM attributions a JOIN conversions cv ON cv.id = a.conversion_id
WHERE a.campaign_id = $1 AND a.model = $2 AND (cv.occurred_at AT TIME ZONE 'UTC')::date BETWEEN $3 AND $4
  AND cv.status = 'paid'
GROUP BY 1 ORDER BY 1;
