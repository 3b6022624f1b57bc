-- Shortlists: a stored answer to "who reaches the most unique target people for this budget".
CREATE TABLE shortlists (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id          uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    platform        text NOT NULL,
    request         jsonb NOT NULL,
    budget          numeric(14, 2) NOT NULL,
    total_fee       numeric(14, 2) NOT NULL,
    reach           integer NOT NULL,
    baseline_reach  integer NOT NULL,
    method          text NOT NULL,
    picks           jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shortlists_org ON shortlists (org_id, created_at DESC);
