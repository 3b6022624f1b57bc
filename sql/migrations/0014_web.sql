-- People who log in to the web app, their sessions and invitations; share links; scheduled
-- report digests; outbound webhook subscriptions, events and deliveries.

CREATE TABLE users (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id         uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    email          text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    password_hash  text NOT NULL,
    role           text NOT NULL CHECK (role IN ('admin', 'manager', 'analyst', 'finance')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    disabled_at    timestamptz
);
-- One person, one login: an email address belongs to one user across all orgs.
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE user_sessions (
    id_hash      bytea PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    seen_at      timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);

CREATE TABLE invitations (
    token_hash   bytea PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    email        text NOT NULL,
    role         text NOT NULL CHECK (role IN ('admin', 'manager', 'analyst', 'finance')),
    invited_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz
);

-- Failed logins, per email and per client address, for throttling.
CREATE TABLE login_failures (
    id          bigserial PRIMARY KEY,
    email       text NOT NULL,
    client      text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email ON login_failures (lower(email), at);
CREATE INDEX login_failures_client ON login_failures (client, at);

CREATE TABLE share_links (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id        uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    campaign_id   uuid NOT NULL,
    token_hash    bytea NOT NULL UNIQUE,
    include_costs boolean NOT NULL DEFAULT false,
    created_by    uuid,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz
);
CREATE INDEX share_links_org ON share_links (org_id, created_at);

CREATE TABLE report_schedules (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id        uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    campaign_id   uuid NOT NULL,
    cadence       text NOT NULL CHECK (cadence IN ('weekly', 'monthly')),
    weekday       smallint NOT NULL DEFAULT 0 CHECK (weekday BETWEEN 0 AND 6),
    day_of_month  smallint NOT NULL DEFAULT 1 CHECK (day_of_month BETWEEN 1 AND 28),
    hour          smallint NOT NULL DEFAULT 8 CHECK (hour BETWEEN 0 AND 23),
    minute        smallint NOT NULL DEFAULT 0 CHECK (minute BETWEEN 0 AND 59),
    timezone      text NOT NULL,
    currency      char(3),
    recipients    text[] NOT NULL DEFAULT '{}',
    webhook       boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    next_run_at   timestamptz NOT NULL,
    revoked_at    timestamptz
);
CREATE INDEX report_schedules_due ON report_schedules (next_run_at) WHERE revoked_at IS NULL;

-- One row per schedule per period: the unique key is what makes a digest go out once,
-- whatever restarts or second processes happen around it.
CREATE TABLE report_digests (
    schedule_id   uuid NOT NULL REFERENCES report_schedules (id) ON DELETE CASCADE,
    period_start  date NOT NULL,
    period_end    date NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    retry_at      timestamptz NOT NULL,
    sent_at       timestamptz,
    attempts      integer NOT NULL DEFAULT 0,
    last_error    text,
    PRIMARY KEY (schedule_id, period_start)
);

CREATE TABLE webhook_subscriptions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id       uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    url          text NOT NULL,
    secret       text NOT NULL,
    events       text[] NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    disabled_at  timestamptz
);
CREATE INDEX webhook_subscriptions_org ON webhook_subscriptions (org_id);

CREATE TABLE outbound_events (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id       uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    type         text NOT NULL,
    payload      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbound_events_org ON outbound_events (org_id, created_at);

CREATE TABLE outbound_deliveries (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    subscription_id  uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id         uuid NOT NULL REFERENCES outbound_events (id) ON DELETE CASCADE,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_status      integer,
    last_response    text,
    last_error       text,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX outbound_deliveries_due ON outbound_deliveries (next_attempt_at) WHERE status = 'pending';
