-- name: account_exact
-- A crawled account by platform and handle; a fediverse handle may carry its server (user@host).
-- Only accounts org $5 may see (its own crawls' or the shared public index, not hidden).
SELECT a.id, a.platform, a.host, a.handle
FROM accounts a LEFT JOIN account_visibility v ON v.account_id = a.id AND v.org_id = $5
WHERE a.platform = $1 AND NOT a.opted_out AND ((v.account_id IS NOT NULL OR a.shared) AND v.hidden_at IS NULL)
  AND (lower(a.handle) = lower($2) OR (lower(a.handle) = lower($3) AND a.host = lower($4)))
ORDER BY (lower(a.handle) = lower($2)) DESC, a.id LIMIT 1;

-- name: account_suggestion
-- A crawled account with the same name on any platform: suggested, never linked without the user.
SELECT a.id, a.platform, a.host, a.handle
FROM accounts a LEFT JOIN account_visibility v ON v.account_id = a.id AND v.org_id = $2
WHERE lower(split_part(a.handle, '@', 1)) = lower($1) AND NOT a.opted_out AND NOT coalesce(a.noindex, false)
  AND ((v.account_id IS NOT NULL OR a.shared) AND v.hidden_at IS NULL)
ORDER BY a.followers_count DESC NULLS LAST, a.id LIMIT 1;

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
SELECT a.id, a.platform, a.host, a.handle
FROM accounts a LEFT JOIN account_visibility v ON v.account_id = a.id AND v.org_id = $2
WHERE a.id = $1 AND NOT a.opted_out AND ((v.account_id IS NOT NULL OR a.shared) AND v.hidden_at IS NULL);
