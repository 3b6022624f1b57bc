-- What the crawler stores. Accounts, follows, posts and interactions are public data
-- shared by the whole service; crawls (and their frontier) belong to the org that started them.

CREATE TABLE accounts (
    id               bigserial PRIMARY KEY,
    platform         text NOT NULL CHECK (platform IN ('mastodon', 'bluesky', 'import')),
    host             text NOT NULL,
    external_id      text NOT NULL,
    handle           text NOT NULL,
    -- Accounts that opted out of indexing keep only the columns above.
    opted_out        boolean NOT NULL DEFAULT false,
    display_name     text,
    bio              text,
    has_avatar       boolean,
    followers_count  integer,
    following_count  integer,
    posts_count      integer,
    created_at       timestamptz,
    is_bot           boolean,
    discoverable     boolean,
    noindex          boolean,
    fetched_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (platform, host, external_id)
);
CREATE INDEX accounts_handle ON accounts (lower(handle) text_pattern_ops);

CREATE TABLE follows (
    follower_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    followee_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    seen_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (followee_id, follower_id)
);
CREATE INDEX follows_follower ON follows (follower_id);

CREATE TABLE posts (
    id            bigserial PRIMARY KEY,
    account_id    bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    external_id   text NOT NULL,
    text          text NOT NULL DEFAULT '',
    hashtags      text[] NOT NULL DEFAULT '{}',
    mentions      text[] NOT NULL DEFAULT '{}',
    created_at    timestamptz,
    like_count    integer NOT NULL DEFAULT 0,
    repost_count  integer NOT NULL DEFAULT 0,
    reply_count   integer NOT NULL DEFAULT 0,
    quote_count   integer NOT NULL DEFAULT 0,
    url           text NOT NULL DEFAULT '',
    fetched_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, external_id)
);
CREATE INDEX posts_hashtags ON posts USING gin (hashtags);
CREATE INDEX posts_created ON posts (account_id, created_at DESC);

CREATE TABLE interactions (
    actor_id   bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    post_id    bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('like', 'repost', 'reply', 'quote', 'mention')),
    at         timestamptz,
    PRIMARY KEY (post_id, actor_id, kind)
);
CREATE INDEX interactions_actor ON interactions (actor_id);
CREATE INDEX interactions_author ON interactions (author_id);

CREATE TABLE crawls (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id            uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    platform          text NOT NULL CHECK (platform IN ('mastodon', 'bluesky')),
    base_url          text NOT NULL,
    host              text NOT NULL,
    token             text,  -- write-only: never returned by the API
    seeds             text[] NOT NULL DEFAULT '{}',
    hashtags          text[] NOT NULL DEFAULT '{}',
    max_accounts      integer NOT NULL,
    max_depth         integer NOT NULL,
    max_followers     integer NOT NULL,
    max_following     integer NOT NULL,
    posts_per_account integer NOT NULL,
    since             timestamptz,
    status            text NOT NULL DEFAULT 'queued'
                      CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    error             text,
    accounts          bigint NOT NULL DEFAULT 0,
    follows           bigint NOT NULL DEFAULT 0,
    posts             bigint NOT NULL DEFAULT 0,
    interactions      bigint NOT NULL DEFAULT 0,
    requests          bigint NOT NULL DEFAULT 0,
    retries           bigint NOT NULL DEFAULT 0,
    errors            bigint NOT NULL DEFAULT 0,
    rate_limit_waits  bigint NOT NULL DEFAULT 0,
    enqueued          integer NOT NULL DEFAULT 0,  -- accounts admitted to the frontier, against max_accounts
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    finished_at       timestamptz
);
CREATE INDEX crawls_org ON crawls (org_id, created_at DESC);
CREATE INDEX crawls_active ON crawls (status) WHERE status IN ('queued', 'running');

-- One row per unit of crawl work: expand an account, or read a hashtag timeline.
-- Workers claim rows with FOR UPDATE SKIP LOCKED; a row taken by a backend that no
-- longer exists (its worker died) is claimable again.
CREATE TABLE crawl_frontier (
    crawl_id    uuid NOT NULL REFERENCES crawls (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('seed', 'account', 'hashtag')),
    ref         text NOT NULL,
    depth       integer NOT NULL,
    seq         bigserial,
    state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'taken', 'done', 'failed')),
    taken_by    integer,
    attempts    integer NOT NULL DEFAULT 0,
    error       text,
    PRIMARY KEY (crawl_id, kind, ref)
);
CREATE INDEX crawl_frontier_pending ON crawl_frontier (crawl_id, depth, seq) WHERE state IN ('pending', 'taken');
