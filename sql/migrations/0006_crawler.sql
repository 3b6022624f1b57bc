-- Crawler on real servers: one rate budget per host, counters that mean one thing each,
-- deletions that propagate, stopped crawls.

-- One row per host: the budget every crawl, worker and process shares. Times are Unix seconds.
CREATE TABLE host_budgets (
    host          text PRIMARY KEY,
    lim           integer,            -- requests per window, as the server says (NULL: no limit seen)
    remaining     integer,            -- left in the current window, minus our reservations in flight
    reset_at      double precision NOT NULL DEFAULT 0,
    known_reset   double precision,   -- the latest Reset a server answer named
    window_secs   double precision,   -- learnt from two consecutive Reset times
    hold_until    double precision NOT NULL DEFAULT 0,  -- after a 429 or Remaining 0: nothing before this
    next_slot     double precision NOT NULL DEFAULT 0,  -- requests are spread over what is left of the window
    leases        double precision[] NOT NULL DEFAULT '{}',  -- expiry of each reservation in flight
    rounded_reset boolean NOT NULL DEFAULT false,       -- Reset comes rounded to the second
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Removed edges and interactions are kept with the time they were last seen.
ALTER TABLE follows ADD COLUMN first_seen_at timestamptz NOT NULL DEFAULT now();
CREATE TABLE follows_ended (
    follower_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    followee_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    first_seen_at timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    ended_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX follows_ended_followee ON follows_ended (followee_id);
CREATE INDEX follows_ended_follower ON follows_ended (follower_id);

ALTER TABLE interactions ADD COLUMN seen_at timestamptz NOT NULL DEFAULT now();
CREATE TABLE interactions_ended (
    actor_id     bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    post_id      bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id    bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind         text NOT NULL,
    at           timestamptz,
    last_seen_at timestamptz NOT NULL,
    ended_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX interactions_ended_post ON interactions_ended (post_id);
CREATE INDEX interactions_ended_actor ON interactions_ended (actor_id);

ALTER TABLE posts ADD COLUMN seen_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE posts ADD COLUMN deleted_at timestamptz;

-- When an account's followers, follows and posts were last read: a re-crawl can skip fresh ones.
ALTER TABLE accounts ADD COLUMN expanded_at timestamptz;

-- Crawls: a stopped crawl (Ctrl-C) stays stopped until resumed; counters that mean one thing each.
ALTER TABLE crawls DROP CONSTRAINT crawls_status_check;
ALTER TABLE crawls ADD CONSTRAINT crawls_status_check
    CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled', 'stopped'));
ALTER TABLE crawls
    ADD COLUMN fresh_for           integer,
    ADD COLUMN accounts_expanded   bigint NOT NULL DEFAULT 0,
    ADD COLUMN accounts_fresh      bigint NOT NULL DEFAULT 0,
    ADD COLUMN accounts_seen       bigint NOT NULL DEFAULT 0,
    ADD COLUMN accounts_updated    bigint NOT NULL DEFAULT 0,
    ADD COLUMN accounts_opted_out  bigint NOT NULL DEFAULT 0,
    ADD COLUMN follows_known       bigint NOT NULL DEFAULT 0,
    ADD COLUMN follows_ended       bigint NOT NULL DEFAULT 0,
    ADD COLUMN posts_updated       bigint NOT NULL DEFAULT 0,
    ADD COLUMN posts_deleted       bigint NOT NULL DEFAULT 0,
    ADD COLUMN interactions_ended  bigint NOT NULL DEFAULT 0,
    ADD COLUMN wait_seconds        double precision NOT NULL DEFAULT 0;

-- Replies are not in an author's post list (we read it without replies): never judged deleted by it.
ALTER TABLE posts ADD COLUMN reply boolean NOT NULL DEFAULT false;
