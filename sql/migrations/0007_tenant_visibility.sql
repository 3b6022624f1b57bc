-- Who may see crawled data. Accounts, follows, posts and interactions are stored once, but an org
-- sees an account only when one of its own crawls stored it (a visibility row), or when a token-less
-- crawl of a server on the operator's shared list stored it (accounts.shared). A follow, post or
-- interaction is visible when every account it joins is. An org admin "deleting" an account only
-- hides it from that org (hidden_at); erasure for everyone is an operator action, logged below.

ALTER TABLE accounts ADD COLUMN shared boolean NOT NULL DEFAULT false;
ALTER TABLE crawls ADD COLUMN shared boolean NOT NULL DEFAULT false;

CREATE TABLE account_visibility (
    org_id      uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    seen_at     timestamptz NOT NULL DEFAULT now(),
    hidden_at   timestamptz,
    PRIMARY KEY (org_id, account_id)
);
CREATE INDEX account_visibility_account ON account_visibility (account_id);

-- Data stored before this migration: visible to the orgs that crawled the server it came from.
INSERT INTO account_visibility (org_id, account_id)
SELECT DISTINCT c.org_id, a.id FROM accounts a JOIN crawls c ON c.platform = a.platform AND c.host = a.host
ON CONFLICT DO NOTHING;

-- Every erasure and every hide, kept after the account's data is gone (no foreign key to accounts).
CREATE TABLE account_erasures (
    id           bigserial PRIMARY KEY,
    account_id   bigint NOT NULL,
    platform     text NOT NULL,
    host         text NOT NULL,
    external_id  text NOT NULL,
    handle       text NOT NULL,
    scope        text NOT NULL CHECK (scope IN ('org', 'everyone')),
    org_id       uuid REFERENCES orgs (id) ON DELETE SET NULL,
    actor        text NOT NULL,
    reason       text NOT NULL DEFAULT '',
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_erasures_account ON account_erasures (account_id, at);
