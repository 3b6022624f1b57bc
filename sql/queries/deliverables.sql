-- name: get_brief
SELECT * FROM campaign_briefs WHERE org_id = $1 AND campaign_id = $2;

-- name: put_brief
INSERT INTO campaign_briefs (campaign_id, org_id, text, dos, donts, required_hashtags, required_mentions,
                             disclosure_required)
VALUES ($2, $1, $3, $4, $5, $6, $7, $8)
ON CONFLICT (campaign_id) DO UPDATE SET text = EXCLUDED.text, dos = EXCLUDED.dos, donts = EXCLUDED.donts,
    required_hashtags = EXCLUDED.required_hashtags, required_mentions = EXCLUDED.required_mentions,
    disclosure_required = EXCLUDED.disclosure_required, updated_at = now()
RETURNING *;

-- name: create
INSERT INTO deliverables (org_id, campaign_id, creator_id, kind, platform, title, due_at, fee_share)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING *;

-- name: fee_share_total
SELECT coalesce(sum(fee_share), 0) FROM deliverables WHERE creator_id = $1 AND status <> 'cancelled';

-- name: get
SELECT * FROM deliverables WHERE org_id = $1 AND id = $2;

-- name: get_for_update
SELECT * FROM deliverables WHERE org_id = $1 AND id = $2 FOR UPDATE;

-- name: set_status
UPDATE deliverables SET status = $3, post_url = coalesce($4, post_url), updated_at = now()
WHERE org_id = $1 AND id = $2
RETURNING *;

-- name: add_event
INSERT INTO deliverable_events (org_id, deliverable_id, from_status, to_status, comment, actor_key_id, actor)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *;

-- name: events
SELECT * FROM deliverable_events WHERE org_id = $1 AND deliverable_id = ANY ($2::uuid[]) ORDER BY id;

-- name: list_for_campaign
SELECT d.*, cc.handle FROM deliverables d JOIN campaign_creators cc ON cc.id = d.creator_id
WHERE d.org_id = $1 AND d.campaign_id = $2 ORDER BY d.due_at, d.id;

-- name: overdue
-- Deliverables past their due time that have not gone live (nor been cancelled), oldest first.
SELECT d.*, cc.handle FROM deliverables d JOIN campaign_creators cc ON cc.id = d.creator_id
WHERE d.org_id = $1 AND d.due_at < $2 AND d.status NOT IN ('live', 'verified', 'cancelled')
  AND ($3::uuid IS NULL OR d.campaign_id = $3)
ORDER BY d.due_at, d.id
LIMIT $4;
