-- Campaigns, creators with promo codes and tagged links, clicks, conversions, refunds, FX, webhooks.

CREATE TABLE app_secrets (
    name   text PRIMARY KEY,
    value  bytea NOT NULL
);
-- The salt that makes stored visitor hashes useless outside this deployment (gen_random_uuid is
-- a strong random source and needs no extension).
INSERT INTO app_secrets (name, value)
VALUES ('visitor_salt', uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()));

CREATE TABLE campaigns (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id             uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    slug               text NOT NULL,
    currency           char(3) NOT NULL,
    budget             numeric(14, 2) NOT NULL DEFAULT 0 CHECK (budget >= 0),
    starts_at          timestamptz,
    ends_at            timestamptz,
    destination_url    text NOT NULL,
    hashtag            text,
    attribution_days   integer NOT NULL DEFAULT 30 CHECK (attribution_days BETWEEN 1 AND 365),
    model              text NOT NULL DEFAULT 'last_click' CHECK (model IN ('last_click', 'first_click', 'linear')),
    reference_cpm      numeric(14, 4) NOT NULL DEFAULT 10,
    reference_cpe      numeric(14, 4) NOT NULL DEFAULT 0.10,
    created_at         timestamptz NOT NULL DEFAULT now(),
    archived_at        timestamptz,
    UNIQUE (org_id, slug)
);

CREATE TABLE campaign_creators (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id          uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    campaign_id     uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    account_id      bigint REFERENCES accounts (id) ON DELETE SET NULL,
    platform        text NOT NULL,
    handle          text NOT NULL,
    fee             numeric(14, 2) NOT NULL DEFAULT 0 CHECK (fee >= 0),
    gifted          numeric(14, 2) NOT NULL DEFAULT 0 CHECK (gifted >= 0),
    commission_pct  numeric(7, 4) NOT NULL DEFAULT 0 CHECK (commission_pct BETWEEN 0 AND 100),
    other_costs     numeric(14, 2) NOT NULL DEFAULT 0 CHECK (other_costs >= 0),
    promo_code      text NOT NULL,
    slug            text NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    removed_at      timestamptz
);
-- Promo codes are unique per org, case-insensitively, and stay reserved after a creator is removed.
CREATE UNIQUE INDEX campaign_creators_code ON campaign_creators (org_id, lower(promo_code));
CREATE INDEX campaign_creators_campaign ON campaign_creators (campaign_id);

CREATE TABLE clicks (
    id           bigserial PRIMARY KEY,
    org_id       uuid NOT NULL,
    campaign_id  uuid NOT NULL,
    creator_id   uuid NOT NULL,
    click_id     uuid NOT NULL UNIQUE,
    at           timestamptz NOT NULL,
    visitor      bytea NOT NULL,
    referrer     text,
    bot          boolean NOT NULL,
    is_unique    boolean NOT NULL
);
CREATE INDEX clicks_creator_visitor ON clicks (creator_id, visitor, at);
CREATE INDEX clicks_visitor ON clicks (org_id, visitor, at);

-- Clicks counted per creator and day as they are written, so reports never scan raw clicks.
CREATE TABLE click_daily (
    creator_id   uuid NOT NULL,
    day          date NOT NULL,
    campaign_id  uuid NOT NULL,
    clicks       bigint NOT NULL,
    human        bigint NOT NULL,
    uniq         bigint NOT NULL,
    PRIMARY KEY (creator_id, day)
);
CREATE INDEX click_daily_campaign ON click_daily (campaign_id, day);

CREATE TABLE integrations (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    source      text NOT NULL CHECK (source IN ('shopify', 'woocommerce', 'stripe')),
    name        text NOT NULL DEFAULT '',
    secret      text NOT NULL,  -- write-only: never returned by the API
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
    integration_id  uuid NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    delivery_id     text NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (integration_id, delivery_id)
);

CREATE TABLE fx_rates (
    org_id  uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    day     date NOT NULL,
    base    char(3) NOT NULL,
    quote   char(3) NOT NULL,
    rate    numeric(24, 12) NOT NULL CHECK (rate > 0),
    PRIMARY KEY (org_id, base, quote, day)
);

CREATE TABLE conversions (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id        uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    source        text NOT NULL,
    order_id      text NOT NULL,
    external_ref  text,  -- e.g. a Stripe payment intent, to match later refunds
    occurred_at   timestamptz NOT NULL,
    amount        numeric(14, 2) NOT NULL CHECK (amount >= 0),
    currency      char(3) NOT NULL,
    promo_codes   text[] NOT NULL DEFAULT '{}',
    click_id      uuid,
    ref           text,
    customer_id   text,
    new_customer  boolean,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, source, order_id)
);
CREATE INDEX conversions_org_time ON conversions (org_id, occurred_at);
CREATE INDEX conversions_external ON conversions (org_id, source, external_ref);

CREATE TABLE refunds (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id         uuid NOT NULL,
    conversion_id  uuid NOT NULL REFERENCES conversions (id) ON DELETE CASCADE,
    refund_id      text NOT NULL,
    amount         numeric(14, 2) NOT NULL CHECK (amount > 0),
    occurred_at    timestamptz NOT NULL,
    UNIQUE (conversion_id, refund_id)
);

-- Who got credit for a conversion under the campaign's model, by which method, and why.
CREATE TABLE attributions (
    conversion_id  uuid NOT NULL REFERENCES conversions (id) ON DELETE CASCADE,
    org_id         uuid NOT NULL,
    campaign_id    uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    creator_id     uuid NOT NULL REFERENCES campaign_creators (id) ON DELETE CASCADE,
    model          text NOT NULL,
    method         text NOT NULL CHECK (method IN ('promo_code', 'click_id', 'ref')),
    share          numeric(9, 6) NOT NULL CHECK (share > 0 AND share <= 1),
    reason         text NOT NULL,
    PRIMARY KEY (conversion_id, creator_id, model)
);
CREATE INDEX attributions_campaign ON attributions (campaign_id);

CREATE TABLE campaign_posts (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id       uuid NOT NULL,
    creator_id   uuid NOT NULL REFERENCES campaign_creators (id) ON DELETE CASCADE,
    url          text NOT NULL,
    post_id      bigint REFERENCES posts (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (creator_id, url)
);
