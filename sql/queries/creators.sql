-- name: account_exact
-- A crawled account by platform and handle; a fediverse handle may carry its server (user@host).
SELECT id, platform, host, handle FROM accounts
WHERE platform = $1 AND NOT opted_out
  AND (lower(handle) = lower($2) OR (lower(handle) = lower($3) AND host = lower($4)))
ORDER BY (lower(handle) = lower($2)) DESC, id LIMIT 1;

-- name: account_suggestion
-- A crawled account with the same name on any platform: suggested, never linked without the user.
SELECT id, platform, host, handle FROM accounts
WHERE lower(split_part(handle, '@', 1)) = lower($1) AND NOT opted_out AND NOT coalesce(noindex, false)
ORDER BY followers_count DESC NULLS LAST, id LIMIT 1;

-- name: set_profile
UPDATE campaign_creators SET profile_url = $4, suggested_account_id = $5, reported_followers = $6,
    reported_followers_source = $7, reported_followers_at = $8, payout_currency = $9
WHERE org_id = $1 AND campaign_id = $2 AND id = $3
RETURNING *;

-- name: link_account
UPDATE campaign_creators SET account_id = $4, suggested_account_id = NULL
WHERE org_id = $1 AND campaign_id = $2 AND id = $3
RETURNING *;

-- name: get_creator
SELECT * FROM campaign_creators WHERE org_id = $1 AND campaign_id = $2 AND id = $3;

-- name: reach_rates
SELECT platform, rate FROM campaign_reach_rates WHERE campaign_id = $1;

-- name: set_reach_rate
INSERT INTO campaign_reach_rates (campaign_id, platform, rate) VALUES ($1, $2, $3)
ON CONFLICT (campaign_id, platform) DO UPDATE SET rate = EXCLUDED.rate;

-- name: set_operations
UPDATE campaigns SET commission_hold_days = coalesce($3, commission_hold_days),
    fee_milestone = coalesce($4, fee_milestone)
WHERE org_id = $1 AND id = $2
RETURNING *;

-- name: account_by_id
SELECT id, platform, host, handle FROM accounts WHERE id = $1 AND NOT opted_out;
