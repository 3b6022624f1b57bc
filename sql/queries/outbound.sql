-- name: create_schedule
INSERT INTO report_schedules
    (org_id, campaign_id, cadence, weekday, day_of_month, hour, minute, timezone, currency, recipients, webhook, next_run_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
RETURNING *;

-- name: list_schedules
SELECT * FROM report_schedules WHERE org_id = $1 AND revoked_at IS NULL ORDER BY created_at, id;

-- name: revoke_schedule
UPDATE report_schedules SET revoked_at = now() WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING *;

-- name: due_schedules
-- Schedules whose time has come; SKIP LOCKED lets several processes share the work.
SELECT * FROM report_schedules
WHERE revoked_at IS NULL AND next_run_at <= $1
ORDER BY next_run_at LIMIT $2 FOR UPDATE SKIP LOCKED;

-- name: advance_schedule
UPDATE report_schedules SET next_run_at = $2 WHERE id = $1;

-- name: claim_digest
-- The first claim of a period wins: the primary key makes a digest exist once per period.
-- A failed send is tried again from retry_at on (the scheduler's clock, not the database's).
INSERT INTO report_digests (schedule_id, period_start, period_end, retry_at) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING RETURNING schedule_id;

-- name: unsent_digests
-- Claimed digests whose sending failed, for another try (at most 5).
SELECT d.schedule_id, d.period_start, d.period_end FROM report_digests d
JOIN report_schedules s ON s.id = d.schedule_id AND s.revoked_at IS NULL
WHERE d.sent_at IS NULL AND d.attempts BETWEEN 1 AND 4 AND d.retry_at <= $1
ORDER BY d.created_at LIMIT $2 FOR UPDATE OF d SKIP LOCKED;

-- name: get_schedule
SELECT * FROM report_schedules WHERE id = $1;

-- name: digest_sent
UPDATE report_digests SET sent_at = now(), attempts = attempts + 1, last_error = NULL
WHERE schedule_id = $1 AND period_start = $2;

-- name: digest_failed
UPDATE report_digests SET attempts = attempts + 1, last_error = $3, retry_at = $4
WHERE schedule_id = $1 AND period_start = $2;

-- name: list_digests
SELECT d.schedule_id, d.period_start, d.period_end, d.created_at, d.sent_at, d.attempts, d.last_error
FROM report_digests d JOIN report_schedules s ON s.id = d.schedule_id
WHERE s.org_id = $1 AND d.schedule_id = $2 ORDER BY d.period_start DESC LIMIT 100;

-- name: create_subscription
INSERT INTO webhook_subscriptions (org_id, url, secret, events) VALUES ($1, $2, $3, $4)
RETURNING id, url, events, created_at, disabled_at;

-- name: list_subscriptions
SELECT id, url, events, created_at, disabled_at FROM webhook_subscriptions
WHERE org_id = $1 AND disabled_at IS NULL ORDER BY created_at, id;

-- name: disable_subscription
UPDATE webhook_subscriptions SET disabled_at = now() WHERE org_id = $1 AND id = $2 AND disabled_at IS NULL
RETURNING id, url, events, created_at, disabled_at;

-- name: insert_event
-- One event, and one pending delivery to every live subscription of the org that wants its type.
WITH e AS (
    INSERT INTO outbound_events (org_id, type, payload) VALUES ($1, $2, $3::jsonb) RETURNING id, org_id, type
), d AS (
    INSERT INTO outbound_deliveries (subscription_id, event_id)
    SELECT s.id, e.id FROM webhook_subscriptions s, e
    WHERE s.org_id = e.org_id AND s.disabled_at IS NULL AND e.type = ANY (s.events)
)
SELECT id FROM e;

-- name: due_deliveries
SELECT d.id, d.attempts, s.url, s.secret, e.id AS event_id, e.type, e.payload::text AS payload,
       e.created_at AS event_at
FROM outbound_deliveries d
JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.disabled_at IS NULL
JOIN outbound_events e ON e.id = d.event_id
WHERE d.status = 'pending' AND d.next_attempt_at <= $1
ORDER BY d.next_attempt_at LIMIT $2 FOR UPDATE OF d SKIP LOCKED;

-- name: delivery_result
UPDATE outbound_deliveries
SET status = $2, attempts = attempts + 1, next_attempt_at = $3, last_status = $4, last_response = $5,
    last_error = $6, delivered_at = CASE WHEN $2 = 'delivered' THEN now() ELSE delivered_at END
WHERE id = $1;

-- name: list_deliveries
-- The org's delivery log, newest first, paged by (created_at, id).
SELECT d.id, d.subscription_id, d.event_id, e.type AS event_type, d.status, d.attempts, d.next_attempt_at,
       d.last_status, d.last_response, d.last_error, d.delivered_at, d.created_at
FROM outbound_deliveries d
JOIN webhook_subscriptions s ON s.id = d.subscription_id
JOIN outbound_events e ON e.id = d.event_id
WHERE s.org_id = $1 AND ($2::text IS NULL OR d.status = $2)
  AND ($3::timestamptz IS NULL OR (d.created_at, d.id) < ($3, $4::uuid))
ORDER BY d.created_at DESC, d.id DESC LIMIT $5;

-- name: replay_delivery
UPDATE outbound_deliveries d SET status = 'pending', next_attempt_at = now()
FROM webhook_subscriptions s
WHERE d.id = $2 AND s.id = d.subscription_id AND s.org_id = $1
RETURNING d.id;

-- name: create_share
INSERT INTO share_links (org_id, campaign_id, token_hash, include_costs, created_by, expires_at)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id, campaign_id, include_costs, created_at, expires_at, revoked_at;

-- name: list_shares
SELECT id, campaign_id, include_costs, created_at, expires_at, revoked_at FROM share_links
WHERE org_id = $1 AND campaign_id = $2 ORDER BY created_at DESC, id;

-- name: revoke_share
UPDATE share_links SET revoked_at = coalesce(revoked_at, now()) WHERE org_id = $1 AND id = $2
RETURNING id, campaign_id, include_costs, created_at, expires_at, revoked_at;

-- name: share_by_token
SELECT id, org_id, campaign_id, include_costs, created_at, expires_at, revoked_at FROM share_links
WHERE token_hash = $1;
