-- Attributed revenue rolled up per campaign, model, creator, currency and day, so a report over any number of
-- orders reads a few thousand rows (clicks already have click_daily).
--
-- credit_state remembers what each conversion contributes under each model to each campaign: for an order
-- credited to one creator alone, its row is summed into credit_daily; an order split over several credits
-- keeps a row without creator (the report splits it exactly from its attributions). Triggers on
-- conversions, attributions and refunds refresh the state of every conversion a statement touched: take
-- back what it contributed, add what it contributes now. So replays (ignored by the unique keys), refunds,
-- cancellations, late orders, re-attribution and deletions all keep the rollup equal to a recomputation
-- from the raw rows (tests/integration/campaigns/test_report_rollup.py holds it so).

CREATE TABLE credit_state (
    conversion_id  uuid NOT NULL,
    model          text NOT NULL,
    campaign_id    uuid NOT NULL,
    creator_id     uuid,             -- NULL: the order is split over several credits under this model
    share          numeric(9, 6),
    currency       text NOT NULL,
    day            date NOT NULL,    -- the order's UTC day
    amount         numeric NOT NULL,
    refunded       numeric NOT NULL,
    PRIMARY KEY (conversion_id, model, campaign_id)
);
CREATE INDEX credit_state_split ON credit_state (campaign_id, model, day) WHERE creator_id IS NULL;

CREATE TABLE credit_daily (
    campaign_id  uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    model        text NOT NULL,
    day          date NOT NULL,
    creator_id   uuid NOT NULL,
    share        numeric(9, 6) NOT NULL,
    currency     text NOT NULL,
    amount       numeric NOT NULL,
    refunded     numeric NOT NULL,
    orders       bigint NOT NULL,
    PRIMARY KEY (campaign_id, model, day, creator_id, share, currency)
);
-- Rows whose last order went away are deleted at once; the partial index finds them without a scan.
CREATE INDEX credit_daily_empty ON credit_daily (campaign_id) WHERE orders = 0;

-- What the given conversions contribute now (paid orders only), one row per conversion, model and campaign.
CREATE FUNCTION credit_contributions(ids uuid[])
RETURNS TABLE (conversion_id uuid, model text, campaign_id uuid, creator_id uuid, share numeric, currency text,
               day date, amount numeric, refunded numeric)
LANGUAGE sql STABLE AS $$
    WITH a AS (
        SELECT a.conversion_id, a.model, a.campaign_id, a.creator_id, a.share,
               count(*) OVER (PARTITION BY a.conversion_id, a.model) AS credits
        FROM attributions a WHERE a.conversion_id = ANY (ids)
    ), r AS (
        SELECT r.conversion_id, sum(r.amount) AS refunded FROM refunds r WHERE r.conversion_id = ANY (ids)
        GROUP BY r.conversion_id
    )
    SELECT DISTINCT ON (a.conversion_id, a.model, a.campaign_id)
           a.conversion_id, a.model, a.campaign_id,
           CASE WHEN a.credits = 1 THEN a.creator_id END, CASE WHEN a.credits = 1 THEN a.share END,
           btrim(cv.currency), (cv.occurred_at AT TIME ZONE 'UTC')::date, cv.amount, coalesce(r.refunded, 0)
    FROM a JOIN conversions cv ON cv.id = a.conversion_id
    LEFT JOIN r ON r.conversion_id = a.conversion_id
    WHERE cv.status = 'paid'
    ORDER BY a.conversion_id, a.model, a.campaign_id
$$;

CREATE FUNCTION credit_refresh(ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    -- One writer per conversion at a time, so what is taken back is exactly what the last writer added
    -- (each statement below sees what committed before it: a volatile function takes a new snapshot).
    PERFORM 1 FROM conversions WHERE id = ANY (ids) ORDER BY id FOR NO KEY UPDATE;
    WITH gone AS (
        DELETE FROM credit_state s WHERE s.conversion_id = ANY (ids) RETURNING s.*
    )
    INSERT INTO credit_daily AS d (campaign_id, model, day, creator_id, share, currency, amount, refunded, orders)
    SELECT g.campaign_id, g.model, g.day, g.creator_id, g.share, g.currency, -sum(g.amount), -sum(g.refunded),
           -count(*)
    FROM gone g WHERE g.creator_id IS NOT NULL AND EXISTS (SELECT 1 FROM campaigns c WHERE c.id = g.campaign_id)
    GROUP BY g.campaign_id, g.model, g.day, g.creator_id, g.share, g.currency
    ORDER BY g.campaign_id, g.model, g.day, g.creator_id, g.share, g.currency
    ON CONFLICT (campaign_id, model, day, creator_id, share, currency) DO UPDATE
        SET amount = d.amount + EXCLUDED.amount, refunded = d.refunded + EXCLUDED.refunded,
            orders = d.orders + EXCLUDED.orders;
    WITH fresh AS (
        INSERT INTO credit_state SELECT * FROM credit_contributions(ids) RETURNING *
    )
    INSERT INTO credit_daily AS d (campaign_id, model, day, creator_id, share, currency, amount, refunded, orders)
    SELECT f.campaign_id, f.model, f.day, f.creator_id, f.share, f.currency, sum(f.amount), sum(f.refunded), count(*)
    FROM fresh f WHERE f.creator_id IS NOT NULL
    GROUP BY f.campaign_id, f.model, f.day, f.creator_id, f.share, f.currency
    ORDER BY f.campaign_id, f.model, f.day, f.creator_id, f.share, f.currency
    ON CONFLICT (campaign_id, model, day, creator_id, share, currency) DO UPDATE
        SET amount = d.amount + EXCLUDED.amount, refunded = d.refunded + EXCLUDED.refunded,
            orders = d.orders + EXCLUDED.orders;
    DELETE FROM credit_daily WHERE orders = 0;
END
$$;

CREATE FUNCTION credit_refresh_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'conversions' THEN
        PERFORM credit_refresh(ARRAY(SELECT DISTINCT id FROM changed_new));
    ELSE
        PERFORM credit_refresh(ARRAY(SELECT DISTINCT conversion_id FROM changed_new));
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION credit_refresh_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'conversions' THEN
        PERFORM credit_refresh(ARRAY(SELECT DISTINCT id FROM changed_old));
    ELSE
        PERFORM credit_refresh(ARRAY(SELECT DISTINCT conversion_id FROM changed_old));
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION credit_refresh_both() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'conversions' THEN
        PERFORM credit_refresh(ARRAY(SELECT id FROM changed_new UNION SELECT id FROM changed_old));
    ELSE
        PERFORM credit_refresh(ARRAY(SELECT conversion_id FROM changed_new UNION SELECT conversion_id FROM changed_old));
    END IF;
    RETURN NULL;
END
$$;

-- A conversion is inserted before its credits, so its insert changes nothing; its updates and deletes do.
CREATE TRIGGER conversions_credit_update AFTER UPDATE ON conversions
    REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new
    FOR EACH STATEMENT EXECUTE FUNCTION credit_refresh_both();
CREATE TRIGGER conversions_credit_delete AFTER DELETE ON conversions
    REFERENCING OLD TABLE AS changed_old FOR EACH STATEMENT EXECUTE FUNCTION credit_refresh_old();
CREATE TRIGGER attributions_credit_insert AFTER INSERT ON attributions
    REFERENCING NEW TABLE AS changed_new FOR EACH STATEMENT EXECUTE FUNCTION credit_refresh_new();
CREATE TRIGGER attributions_credit_update AFTER UPDATE ON attributions
    REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new
    FOR EACH STATEMENT EXECUTE FUNCTION credit_refresh_both();
CREATE TRIGGER attributions_credit_delete AFTER DELETE ON attributions
    REFERENCING OLD TABLE AS changed_old FOR EACH STATEMENT EXECUTE FUNCTION credit_refresh_old();
CREATE TRIGGER refunds_credit_insert AFTER INSERT ON refunds
    REFERENCING NEW TABLE AS changed_new FOR EACH STATEMENT EXECUTE FUNCTION credit_refresh_new();
CREATE TRIGGER refunds_credit_update AFTER UPDATE ON refunds
    REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new
    FOR EACH STATEMENT EXECUTE FUNCTION credit_refresh_both();
CREATE TRIGGER refunds_credit_delete AFTER DELETE ON refunds
    REFERENCING OLD TABLE AS changed_old FOR EACH STATEMENT EXECUTE FUNCTION credit_refresh_old();

-- What was there before this migration.
SELECT credit_refresh(ARRAY(SELECT id FROM conversions));
