-- name: lock_creator
-- Entries of one creator are written one writer at a time (balances and true-ups read before they write).
SELECT pg_advisory_xact_lock(hashtextextended($1::text, 12));

-- name: append
INSERT INTO ledger_entries (org_id, campaign_id, creator_id, kind, amount, currency, effective_at, reason,
                            reference, paid_amount, paid_currency, rate, source_key, actor)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
ON CONFLICT (creator_id, source_key) DO NOTHING
RETURNING *;

-- name: entries
SELECT * FROM ledger_entries
WHERE org_id = $1 AND ($2::uuid IS NULL OR campaign_id = $2) AND ($3::uuid IS NULL OR creator_id = $3)
  AND ($4::timestamptz IS NULL OR effective_at >= $4) AND ($5::timestamptz IS NULL OR effective_at < $5)
ORDER BY id
LIMIT $6;

-- name: balances
-- Per creator and currency: what was earned by kind, what was paid, what is owed.
SELECT e.campaign_id, e.creator_id, cc.handle, e.currency,
       coalesce(sum(e.amount) FILTER (WHERE e.kind = 'fee'), 0) AS fees,
       coalesce(sum(e.amount) FILTER (WHERE e.kind = 'commission'), 0) AS commission,
       coalesce(sum(e.amount) FILTER (WHERE e.kind = 'clawback'), 0) AS clawbacks,
       coalesce(sum(e.amount) FILTER (WHERE e.kind = 'adjustment'), 0) AS adjustments,
       coalesce(-sum(e.amount) FILTER (WHERE e.kind = 'payout'), 0) AS paid,
       sum(e.amount) AS balance, count(*) AS entries
FROM ledger_entries e JOIN campaign_creators cc ON cc.id = e.creator_id
WHERE e.org_id = $1 AND ($2::uuid IS NULL OR e.campaign_id = $2) AND ($3::uuid IS NULL OR e.creator_id = $3)
GROUP BY e.campaign_id, e.creator_id, cc.handle, e.currency
ORDER BY e.campaign_id, cc.handle, e.creator_id, e.currency;

-- name: accrued_commission
-- Commission minus clawbacks already on the ledger, per creator of a campaign.
SELECT creator_id, sum(amount) AS accrued, count(*) AS n FROM ledger_entries
WHERE org_id = $1 AND campaign_id = $2 AND kind IN ('commission', 'clawback')
GROUP BY creator_id;

-- name: matured_credits
-- The report's attributed conversions (same rows as campaigns.report_credits) that occurred before a time.
SELECT a.creator_id, a.share, cv.id AS conversion_id, cv.amount, cv.currency, cv.occurred_at,
       coalesce((SELECT sum(r.amount) FROM refunds r WHERE r.conversion_id = cv.id), 0) AS refunded
FROM attributions a JOIN conversions cv ON cv.id = a.conversion_id
WHERE a.campaign_id = $1 AND a.model = $2 AND cv.occurred_at >= $3 AND cv.occurred_at < $4;

-- name: has_source
SELECT EXISTS (SELECT 1 FROM ledger_entries WHERE creator_id = $1 AND source_key = $2);
