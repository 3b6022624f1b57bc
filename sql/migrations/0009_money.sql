-- Money finance can sign off on: amounts with their currency's own exponent (up to 4 decimals, ISO 4217),
-- order status, parked and clamped refunds, replay-proof webhook dedupe, FX provenance, clicks counted
-- unique once per visitor, link and 24 hours across every process.

ALTER TABLE campaigns ALTER COLUMN budget TYPE numeric(24, 4);
ALTER TABLE campaign_creators ALTER COLUMN fee TYPE numeric(24, 4),
    ALTER COLUMN gifted TYPE numeric(24, 4),
    ALTER COLUMN other_costs TYPE numeric(24, 4);
ALTER TABLE conversions ALTER COLUMN amount TYPE numeric(24, 4);

-- What the store says of the order: only 'paid' counts as revenue; 'test' orders never do.
ALTER TABLE conversions ADD COLUMN status text NOT NULL DEFAULT 'paid'
    CHECK (status IN ('pending', 'voided', 'paid', 'test'));

-- A refund keeps what was asked and what was applied (clamped to what was left of the order).
ALTER TABLE refunds ALTER COLUMN amount TYPE numeric(24, 4);
ALTER TABLE refunds DROP CONSTRAINT refunds_amount_check;
ALTER TABLE refunds ADD CONSTRAINT refunds_amount_check CHECK (amount >= 0);
ALTER TABLE refunds ADD COLUMN requested numeric(24, 4);
UPDATE refunds SET requested = amount;
ALTER TABLE refunds ALTER COLUMN requested SET NOT NULL;

-- A delivery is a duplicate when its id was seen, or its body with its topic was.
CREATE TABLE webhook_payloads (
    integration_id  uuid NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    digest          bytea NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (integration_id, digest)
);

-- Refunds and cancellations that arrived before their order; applied when it arrives.
CREATE TABLE parked_events (
    id           bigserial PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    source       text NOT NULL,
    order_key    text NOT NULL,  -- the order id, or 'ref:' || the external reference
    event        jsonb NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX parked_events_order ON parked_events (org_id, source, order_key);

ALTER TABLE fx_rates ADD COLUMN source text NOT NULL DEFAULT 'api';
CREATE INDEX fx_rates_day ON fx_rates (org_id, day);

-- The start of each visitor's current 24-hour window per link: a click is unique when it opens one.
-- One row per (link, visitor) so concurrent writers serialise on it.
CREATE TABLE click_windows (
    creator_id  uuid NOT NULL,
    visitor     bytea NOT NULL,
    started_at  timestamptz NOT NULL,
    PRIMARY KEY (creator_id, visitor)
);
INSERT INTO click_windows (creator_id, visitor, started_at)
SELECT creator_id, visitor, max(at) FROM clicks WHERE is_unique GROUP BY creator_id, visitor;

CREATE INDEX conversions_org_created ON conversions (org_id, occurred_at DESC, id DESC);
