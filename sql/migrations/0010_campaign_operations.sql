-- Campaign operations: creators on any platform, briefs, deliverables with history, tracked content with
-- metric snapshots, per-org disclosure markers, a durable job queue and the append-only payout ledger.

-- Creators on platforms Sorot cannot crawl: a handle and profile URL, an optional crawled account,
-- follower counts as reported (never shown as measured), and the currency the creator is paid in.
UPDATE campaign_creators SET platform = 'other'
WHERE platform NOT IN ('instagram', 'tiktok', 'youtube', 'x', 'threads', 'facebook', 'twitch', 'linkedin',
                       'mastodon', 'bluesky', 'other');
ALTER TABLE campaign_creators
    ADD COLUMN profile_url text,
    ADD COLUMN suggested_account_id bigint REFERENCES accounts (id) ON DELETE SET NULL,
    ADD COLUMN reported_followers bigint CHECK (reported_followers >= 0),
    ADD COLUMN reported_followers_source text,
    ADD COLUMN reported_followers_at timestamptz,
    ADD COLUMN payout_currency char(3),
    ADD CONSTRAINT campaign_creators_platform CHECK (platform IN ('instagram', 'tiktok', 'youtube', 'x', 'threads',
        'facebook', 'twitch', 'linkedin', 'mastodon', 'bluesky', 'other'));

-- Per-campaign settings of the operations side.
ALTER TABLE campaigns
    ADD COLUMN commission_hold_days integer NOT NULL DEFAULT 30 CHECK (commission_hold_days BETWEEN 0 AND 365),
    ADD COLUMN fee_milestone text NOT NULL DEFAULT 'live' CHECK (fee_milestone IN ('approved', 'live'));

-- Per-campaign overrides of the documented per-platform reach rates used to estimate reach.
CREATE TABLE campaign_reach_rates (
    campaign_id  uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    platform     text NOT NULL,
    rate         numeric(7, 6) NOT NULL CHECK (rate > 0 AND rate <= 1),
    PRIMARY KEY (campaign_id, platform)
);

CREATE TABLE campaign_briefs (
    campaign_id          uuid PRIMARY KEY REFERENCES campaigns (id) ON DELETE CASCADE,
    org_id               uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    text                 text NOT NULL DEFAULT '',
    dos                  text[] NOT NULL DEFAULT '{}',
    donts                text[] NOT NULL DEFAULT '{}',
    required_hashtags    text[] NOT NULL DEFAULT '{}',
    required_mentions    text[] NOT NULL DEFAULT '{}',
    disclosure_required  boolean NOT NULL DEFAULT true,
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE deliverables (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id       uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    campaign_id  uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    creator_id   uuid NOT NULL REFERENCES campaign_creators (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('post', 'story', 'video', 'live', 'other')),
    platform     text NOT NULL,
    title        text NOT NULL DEFAULT '',
    due_at       timestamptz NOT NULL,
    fee_share    numeric(7, 4) NOT NULL DEFAULT 0 CHECK (fee_share BETWEEN 0 AND 100),
    status       text NOT NULL DEFAULT 'planned'
                 CHECK (status IN ('planned', 'submitted', 'changes_requested', 'approved', 'live', 'verified',
                                   'cancelled')),
    post_url     text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deliverables_campaign ON deliverables (campaign_id, due_at);
CREATE INDEX deliverables_open ON deliverables (org_id, due_at) WHERE status NOT IN ('live', 'verified', 'cancelled');

CREATE TABLE deliverable_events (
    id              bigserial PRIMARY KEY,
    org_id          uuid NOT NULL,
    deliverable_id  uuid NOT NULL REFERENCES deliverables (id) ON DELETE CASCADE,
    from_status     text,
    to_status       text NOT NULL,
    comment         text NOT NULL DEFAULT '',
    actor_key_id    uuid,
    actor           text NOT NULL,
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deliverable_events_of ON deliverable_events (deliverable_id, id);

-- Tracked posts: any platform, registered by URL, detected in crawled data or imported.
ALTER TABLE campaign_posts
    ADD COLUMN platform text,
    ADD COLUMN caption text,
    ADD COLUMN posted_at timestamptz,
    ADD COLUMN paid_label boolean NOT NULL DEFAULT false,
    ADD COLUMN origin text NOT NULL DEFAULT 'manual' CHECK (origin IN ('manual', 'detected', 'imported'));
CREATE INDEX campaign_posts_url ON campaign_posts (org_id, url);

CREATE TABLE post_snapshots (
    id          bigserial PRIMARY KEY,
    org_id      uuid NOT NULL,
    post_id     uuid NOT NULL REFERENCES campaign_posts (id) ON DELETE CASCADE,
    taken_at    timestamptz NOT NULL,
    source      text NOT NULL CHECK (source IN ('crawled', 'reported', 'imported')),
    -- The scheduled refresh a crawled snapshot answers ('+1h', '+24h', ...): one per post and slot.
    slot        text,
    views       bigint CHECK (views >= 0),
    reach       bigint CHECK (reach >= 0),
    impressions bigint CHECK (impressions >= 0),
    likes       bigint CHECK (likes >= 0),
    comments    bigint CHECK (comments >= 0),
    shares      bigint CHECK (shares >= 0),
    saves       bigint CHECK (saves >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (post_id, source, taken_at)
);
CREATE UNIQUE INDEX post_snapshots_slot ON post_snapshots (post_id, slot) WHERE slot IS NOT NULL;

-- Disclosure markers per org; an org without rows uses the documented defaults.
CREATE TABLE disclosure_markers (
    org_id  uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    marker  text NOT NULL CHECK (length(marker) BETWEEN 2 AND 100),
    PRIMARY KEY (org_id, marker)
);

-- A durable job queue. A worker claims a due job with FOR UPDATE SKIP LOCKED inside the transaction that
-- also does the job's writes and marks it done, so a worker killed mid-job leaves the job untouched.
CREATE TABLE jobs (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL,
    key         text NOT NULL UNIQUE,
    args        jsonb NOT NULL DEFAULT '{}'::jsonb,
    run_at      timestamptz NOT NULL DEFAULT now(),
    status      text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'done', 'failed')),
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX jobs_due ON jobs (run_at) WHERE status = 'queued';

-- The payout ledger. Amounts are signed in the creator's favour (payouts are negative) and carry their
-- currency; the sum of a creator's entries is the balance owed. Rows are never changed or removed.
CREATE TABLE ledger_entries (
    id               bigserial PRIMARY KEY,
    org_id           uuid NOT NULL REFERENCES orgs (id),
    campaign_id      uuid NOT NULL REFERENCES campaigns (id),
    creator_id       uuid NOT NULL REFERENCES campaign_creators (id),
    kind             text NOT NULL CHECK (kind IN ('fee', 'commission', 'clawback', 'adjustment', 'payout')),
    amount           numeric(20, 6) NOT NULL,
    currency         char(3) NOT NULL,
    effective_at     timestamptz NOT NULL,
    reason           text NOT NULL DEFAULT '',
    -- Payouts: what reached the creator, in their payout currency, at a stated rate.
    reference        text,
    paid_amount      numeric(20, 6),
    paid_currency    char(3),
    rate             numeric(24, 12),
    -- What produced the entry ('fee:<deliverable>', 'commission:<as_of>', ...): never twice.
    source_key       text NOT NULL,
    actor            text NOT NULL DEFAULT 'system',
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (creator_id, source_key)
);
CREATE INDEX ledger_entries_campaign ON ledger_entries (org_id, campaign_id, creator_id, id);

CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only();
