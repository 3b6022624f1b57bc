-- Listening: monitors, the sources they follow (with resumable cursors), mentions, boosts, alerts.

CREATE TABLE listening_monitors (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id          uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- {"name": .., "any": [..], "all": [..], "none": [..]}; competitors: a list of the same
    brand           jsonb NOT NULL,
    competitors     jsonb NOT NULL DEFAULT '[]',
    languages       text[] NOT NULL DEFAULT '{}',
    flagged_terms   text[] NOT NULL DEFAULT '{}',
    alert           jsonb NOT NULL,
    webhook_url     text,
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, name)
);

-- One row per place a monitor listens to; its cursor is written in the same transaction as
-- the mentions it led to, so a killed monitor resumes exactly where its stored work ends.
CREATE TABLE listening_sources (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    monitor_id      uuid NOT NULL REFERENCES listening_monitors (id) ON DELETE CASCADE,
    platform        text NOT NULL CHECK (platform IN ('mastodon', 'bluesky')),
    kind            text NOT NULL CHECK ((platform = 'mastodon' AND kind IN ('public', 'hashtag', 'search'))
                                     OR (platform = 'bluesky' AND kind IN ('search', 'jetstream'))),
    base_url        text NOT NULL,
    stream_url      text,
    query           text NOT NULL DEFAULT '',
    token           text,  -- write-only: never returned by the API
    cursor          text,
    backfilled      boolean NOT NULL DEFAULT false,
    seen            bigint NOT NULL DEFAULT 0,
    matched         bigint NOT NULL DEFAULT 0,
    skipped_opted_out bigint NOT NULL DEFAULT 0,
    error           text,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX listening_sources_monitor ON listening_sources (monitor_id);

CREATE TABLE listening_mentions (
    id              bigserial PRIMARY KEY,
    org_id          uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    monitor_id      uuid NOT NULL REFERENCES listening_monitors (id) ON DELETE CASCADE,
    platform        text NOT NULL,
    uri             text NOT NULL,
    url             text NOT NULL DEFAULT '',
    author_id       text NOT NULL,
    author_handle   text NOT NULL,
    author_followers integer NOT NULL DEFAULT 0,
    text            text NOT NULL,
    language        text NOT NULL,
    hashtags        text[] NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL,
    likes           integer NOT NULL DEFAULT 0,
    reposts         integer NOT NULL DEFAULT 0,
    replies         integer NOT NULL DEFAULT 0,
    -- 'brand' and/or competitor names, and the rule that matched each ("brand: any \"kopi\"")
    subjects        text[] NOT NULL,
    rules           text[] NOT NULL,
    sentiment       text NOT NULL CHECK (sentiment IN ('positive', 'neutral', 'negative')),
    confidence      real NOT NULL,
    model_version   text NOT NULL,
    paid            boolean NOT NULL DEFAULT false,
    ingested_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (monitor_id, platform, uri)
);
CREATE INDEX listening_mentions_time ON listening_mentions (monitor_id, created_at);
CREATE INDEX listening_mentions_author ON listening_mentions (org_id, platform, author_handle);

-- Boosts / reposts of a mention: amplification, each counted once however often it is seen.
CREATE TABLE listening_boosts (
    mention_id      bigint NOT NULL REFERENCES listening_mentions (id) ON DELETE CASCADE,
    uri             text NOT NULL,
    booster_handle  text NOT NULL,
    booster_followers integer NOT NULL DEFAULT 0,
    created_at      timestamptz,
    PRIMARY KEY (mention_id, uri)
);

CREATE TABLE listening_alerts (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id          uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    monitor_id      uuid NOT NULL REFERENCES listening_monitors (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('negative', 'volume')),
    at              timestamptz NOT NULL,
    window_start    timestamptz NOT NULL,
    observed        integer NOT NULL,
    total           integer NOT NULL,
    baseline        double precision NOT NULL,
    sigma           double precision NOT NULL,
    z               double precision NOT NULL,
    evidence        bigint[] NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    delivery_error  text,
    UNIQUE (monitor_id, kind, at)
);
CREATE INDEX listening_alerts_monitor ON listening_alerts (monitor_id, at DESC);
