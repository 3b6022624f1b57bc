-- name: create_user
INSERT INTO users (org_id, email, password_hash, role) VALUES ($1, $2, $3, $4)
RETURNING id, org_id, email, role, created_at, disabled_at;

-- name: user_for_login
-- The live user with this email (case-insensitive) and its password hash.
SELECT id, org_id, email, role, created_at, disabled_at, password_hash
FROM users WHERE lower(email) = lower($1) AND disabled_at IS NULL;

-- name: set_password_hash
UPDATE users SET password_hash = $2 WHERE id = $1;

-- name: list_users
SELECT id, org_id, email, role, created_at, disabled_at FROM users WHERE org_id = $1 ORDER BY email;

-- name: create_session
INSERT INTO user_sessions (id_hash, user_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4);

-- name: session_user
-- The person behind a live session; touches seen_at at most once a minute.
WITH s AS (
    SELECT id_hash, user_id, csrf_token FROM user_sessions
    WHERE id_hash = $1 AND revoked_at IS NULL AND expires_at > now()
), touched AS (
    UPDATE user_sessions u SET seen_at = now() FROM s
    WHERE u.id_hash = s.id_hash AND u.seen_at < now() - interval '1 minute'
)
SELECT u.id AS user_id, u.org_id, o.name AS org_name, u.email, u.role, s.csrf_token
FROM s JOIN users u ON u.id = s.user_id AND u.disabled_at IS NULL JOIN orgs o ON o.id = u.org_id;

-- name: revoke_session
UPDATE user_sessions SET revoked_at = now() WHERE id_hash = $1 AND revoked_at IS NULL;

-- name: revoke_user_sessions
-- Logout everywhere: every live session of one user.
UPDATE user_sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL;

-- name: record_login_failure
INSERT INTO login_failures (email, client) VALUES (lower($1), $2);

-- name: recent_login_failures
-- Failures in the last $3 seconds for this email, and for this client address.
SELECT
    (SELECT count(*) FROM login_failures WHERE lower(email) = lower($1) AND at > now() - make_interval(secs => $3)) AS by_email,
    (SELECT count(*) FROM login_failures WHERE client = $2 AND at > now() - make_interval(secs => $3)) AS by_client;

-- name: clear_login_failures
DELETE FROM login_failures WHERE lower(email) = lower($1);

-- name: create_invitation
INSERT INTO invitations (token_hash, org_id, email, role, invited_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6);

-- name: take_invitation
-- Accepting marks the invitation used, so one link makes one user.
UPDATE invitations SET accepted_at = now()
WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > now()
RETURNING org_id, email, role;

-- name: count_users
SELECT count(*) FROM users;
