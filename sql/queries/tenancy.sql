-- name: create_org
INSERT INTO orgs (name) VALUES ($1) RETURNING id, name, reporting_currency, created_at;

-- name: get_org
SELECT id, name, reporting_currency, created_at FROM orgs WHERE id = $1;

-- name: count_orgs
SELECT count(*) FROM orgs;

-- name: create_key
INSERT INTO api_keys (org_id, name, prefix, secret_hash, role) VALUES ($1, $2, $3, $4, $5)
RETURNING id, org_id, name, prefix, role, created_at, last_used_at, revoked_at;

-- name: list_keys
-- Every key of one org, newest first; the secret is never stored, only its hash.
SELECT id, org_id, name, prefix, role, created_at, last_used_at, revoked_at
FROM api_keys WHERE org_id = $1 ORDER BY created_at DESC, id;

-- name: revoke_key
UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
WHERE org_id = $1 AND id = $2
RETURNING id, org_id, name, prefix, role, created_at, last_used_at, revoked_at;

-- name: authenticate
-- The live key with this hash; touching last_used_at at most once a minute keeps reads cheap.
WITH k AS (
    SELECT id, org_id, role FROM api_keys WHERE secret_hash = $1 AND revoked_at IS NULL
), touched AS (
    UPDATE api_keys a SET last_used_at = now() FROM k
    WHERE a.id = k.id AND (a.last_used_at IS NULL OR a.last_used_at < now() - interval '1 minute')
)
SELECT k.id, k.org_id, k.role, o.name AS org_name FROM k JOIN orgs o ON o.id = k.org_id;

-- name: org_by_name
SELECT id FROM orgs WHERE name = $1;
