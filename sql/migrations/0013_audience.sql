-- Audience segments: what the platforms say about a post's language and an account's place,
-- and the segments an org saves to use as ranking targets and filters.
ALTER TABLE posts ADD COLUMN IF NOT EXISTS lang text;          -- the platform's language tag (BCP 47), if any
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS location text;   -- a profile "location" field, if the platform has one

CREATE TABLE audience_segments (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    platform    text NOT NULL,
    definition  jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, name)
);
CREATE INDEX audience_segments_org ON audience_segments (org_id, created_at DESC);
