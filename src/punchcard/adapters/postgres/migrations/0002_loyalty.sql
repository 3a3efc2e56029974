-- The loyalty programme on top of the ledger: programmes, customers, the
-- operation log (idempotency of every loyalty call), lots and their draws,
-- orders, refunds, redemptions, authorizations and adjustment requests.
-- docs/database.md lists each constraint and trigger and what it defends.

CREATE TABLE programmes (
    tenant_id   text PRIMARY KEY REFERENCES tenants,
    settings    jsonb NOT NULL CHECK (jsonb_typeof(settings) = 'object'),
    version     integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Pseudonymous: an internal id and the merchant's reference, nothing personal.
-- deficit, debt and version are projections kept under the row's lock, which
-- every operation on the customer's lots takes first.
CREATE TABLE customers (
    tenant_id     text NOT NULL REFERENCES tenants,
    id            text NOT NULL CONSTRAINT customers_id_format CHECK (id ~ '^cus_[0-9a-z]{1,60}$'),
    external_ref  text NOT NULL CHECK (length(external_ref) BETWEEN 1 AND 128),
    created_at    timestamptz NOT NULL DEFAULT now(),
    deficit       bigint NOT NULL DEFAULT 0 CHECK (deficit >= 0),
    debt          bigint NOT NULL DEFAULT 0 CHECK (debt >= 0),
    version       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT customers_external_ref_unique UNIQUE (tenant_id, external_ref)
);

-- One row per loyalty call. The key is claimed by inserting the row before any
-- work, so a concurrent retry waits here and then replays the stored result.
CREATE TABLE operations (
    tenant_id        text NOT NULL REFERENCES tenants,
    id               bigint GENERATED ALWAYS AS IDENTITY,
    idempotency_key  text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 300),
    kind             text NOT NULL,
    request_hash     bytea NOT NULL CHECK (length(request_hash) = 32),
    result           jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT operations_key_unique UNIQUE (tenant_id, idempotency_key)
);

CREATE FUNCTION record_result_once() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.result IS NULL AND NEW.result IS NOT NULL
       AND to_jsonb(NEW) - 'result' = to_jsonb(OLD) - 'result' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'operations are append-only except for their one result: % refused', TG_OP
        USING ERRCODE = 'PC001', CONSTRAINT = 'operations_append_only';
END
$$;

CREATE TRIGGER operations_append_only BEFORE UPDATE OR DELETE ON operations
    FOR EACH ROW EXECUTE FUNCTION record_result_once();
CREATE TRIGGER operations_no_truncate BEFORE TRUNCATE ON operations
    FOR EACH STATEMENT EXECUTE FUNCTION reject_change();

-- ------------------------------------------------------------------ lots

CREATE TABLE lots (
    tenant_id       text NOT NULL,
    id              bigint GENERATED ALWAYS AS IDENTITY,
    customer_id     text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('earned', 'bonus', 'engagement', 'transferred',
                                                  'adjusted', 'refunded_redemption')),
    amount          bigint NOT NULL CHECK (amount > 0),
    remaining       bigint NOT NULL,
    issued_at       timestamptz NOT NULL,
    active_from     timestamptz NOT NULL,
    expires_at      timestamptz,
    value_points    bigint NOT NULL CHECK (value_points > 0),
    value_minor     bigint NOT NULL CHECK (value_minor > 0),
    transaction_id  bigint NOT NULL,
    activated_by    bigint,
    order_id        text,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, transaction_id) REFERENCES transactions (tenant_id, id),
    FOREIGN KEY (tenant_id, activated_by) REFERENCES transactions (tenant_id, id),
    -- Consumption never exceeds a lot, and releases never inflate one.
    CONSTRAINT lots_remaining_within_amount CHECK (remaining BETWEEN 0 AND amount)
);

CREATE INDEX lots_open_by_customer ON lots (tenant_id, customer_id) WHERE remaining > 0;
CREATE INDEX lots_open_by_expiry ON lots (tenant_id, expires_at)
    WHERE remaining > 0 AND expires_at IS NOT NULL;
CREATE INDEX lots_pending_by_activation ON lots (active_from)
    WHERE activated_by IS NULL AND remaining > 0;
CREATE INDEX lots_by_order ON lots (tenant_id, order_id) WHERE order_id IS NOT NULL;

-- Only remaining changes, and activated_by is written once.
CREATE FUNCTION lots_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND to_jsonb(NEW) - 'remaining' - 'activated_by' = to_jsonb(OLD) - 'remaining' - 'activated_by'
       AND (OLD.activated_by IS NULL OR NEW.activated_by = OLD.activated_by) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'lots change only by draws, releases and their one activation: % refused', TG_OP
        USING ERRCODE = 'PC001', CONSTRAINT = 'lots_append_only';
END
$$;

CREATE TRIGGER lots_append_only BEFORE UPDATE OR DELETE ON lots
    FOR EACH ROW EXECUTE FUNCTION lots_guard();
CREATE TRIGGER lots_no_truncate BEFORE TRUNCATE ON lots
    FOR EACH STATEMENT EXECUTE FUNCTION reject_change();

-- Which lots each transaction consumed (or released), immutably.
CREATE TABLE lot_draws (
    tenant_id       text NOT NULL,
    id              bigint GENERATED ALWAYS AS IDENTITY,
    lot_id          bigint NOT NULL,
    transaction_id  bigint NOT NULL,
    amount          bigint NOT NULL CHECK (amount > 0),
    reason          text NOT NULL CHECK (reason IN ('redeem', 'hold', 'convert', 'transfer',
                        'exchange', 'expire', 'refund', 'cancel', 'adjust', 'repay', 'settle',
                        'release')),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, lot_id) REFERENCES lots (tenant_id, id),
    FOREIGN KEY (tenant_id, transaction_id) REFERENCES transactions (tenant_id, id)
);

CREATE INDEX lot_draws_by_lot ON lot_draws (tenant_id, lot_id);
CREATE INDEX lot_draws_by_transaction ON lot_draws (tenant_id, transaction_id);

CREATE TRIGGER lot_draws_append_only BEFORE UPDATE OR DELETE ON lot_draws
    FOR EACH ROW EXECUTE FUNCTION reject_change();
CREATE TRIGGER lot_draws_no_truncate BEFORE TRUNCATE ON lot_draws
    FOR EACH STATEMENT EXECUTE FUNCTION reject_change();

-- ------------------------------------------------------------------ orders and refunds

CREATE TABLE orders (
    tenant_id       text NOT NULL,
    order_id        text NOT NULL,
    customer_id     text NOT NULL,
    amount          bigint NOT NULL CHECK (amount >= 0),
    currency        text NOT NULL,
    points          bigint NOT NULL CHECK (points >= 0),
    occurred_at     timestamptz NOT NULL,
    operation_id    bigint NOT NULL,
    transaction_id  bigint,
    PRIMARY KEY (tenant_id, order_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, operation_id) REFERENCES operations (tenant_id, id),
    FOREIGN KEY (tenant_id, transaction_id) REFERENCES transactions (tenant_id, id),
    CONSTRAINT orders_points_need_a_transaction CHECK ((points > 0) = (transaction_id IS NOT NULL))
);

CREATE TABLE refunds (
    tenant_id          text NOT NULL,
    operation_id       bigint NOT NULL,
    refund_id          text NOT NULL,
    order_id           text NOT NULL,
    amount             bigint NOT NULL CHECK (amount > 0),
    points_reversed    bigint NOT NULL CHECK (points_reversed >= 0),
    points_recredited  bigint NOT NULL CHECK (points_recredited >= 0),
    transaction_id     bigint,
    PRIMARY KEY (tenant_id, operation_id),
    CONSTRAINT refunds_refund_id_unique UNIQUE (tenant_id, refund_id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, order_id),
    FOREIGN KEY (tenant_id, operation_id) REFERENCES operations (tenant_id, id),
    FOREIGN KEY (tenant_id, transaction_id) REFERENCES transactions (tenant_id, id)
);

CREATE INDEX refunds_by_order ON refunds (tenant_id, order_id);

-- Completed redemptions: a direct redeem or a capture. The order they paid for,
-- if any, lets a refund of that order give the points back.
CREATE TABLE redemptions (
    tenant_id       text NOT NULL,
    transaction_id  bigint NOT NULL,
    customer_id     text NOT NULL,
    option          text NOT NULL,
    points          bigint NOT NULL CHECK (points > 0),
    value           bigint NOT NULL CHECK (value >= 0),
    order_id        text,
    hold_id         bigint,
    PRIMARY KEY (tenant_id, transaction_id),
    FOREIGN KEY (tenant_id, transaction_id) REFERENCES transactions (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);

CREATE INDEX redemptions_by_order ON redemptions (tenant_id, order_id) WHERE order_id IS NOT NULL;

-- Redemption holds: what the loyalty layer must know to capture, void or expire one.
CREATE TABLE authorizations (
    tenant_id    text NOT NULL,
    hold_id      bigint NOT NULL,
    customer_id  text NOT NULL,
    option       text NOT NULL,
    points       bigint NOT NULL CHECK (points > 0),
    -- The option's rate when the points were held: a capture values them at it.
    rate_points  bigint NOT NULL CHECK (rate_points > 0),
    rate_value   bigint NOT NULL CHECK (rate_value > 0),
    order_id     text,
    PRIMARY KEY (tenant_id, hold_id),
    FOREIGN KEY (tenant_id, hold_id) REFERENCES holds (tenant_id, transaction_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);

-- ------------------------------------------------------------------ adjustments

CREATE TABLE adjustments (
    tenant_id       text NOT NULL,
    id              bigint GENERATED ALWAYS AS IDENTITY,
    customer_id     text NOT NULL,
    points          bigint NOT NULL CHECK (points <> 0),
    reason          text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    requested_by    text NOT NULL,
    requested_at    timestamptz NOT NULL DEFAULT now(),
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by      text,
    decided_at      timestamptz,
    note            text CHECK (length(note) <= 500),
    transaction_id  bigint,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, transaction_id) REFERENCES transactions (tenant_id, id),
    -- Maker-checker: the database itself refuses a self-approval.
    CONSTRAINT adjustments_maker_is_not_checker CHECK (decided_by <> requested_by),
    CONSTRAINT adjustments_decision_complete CHECK (
        (status = 'pending') = (decided_by IS NULL AND decided_at IS NULL)
        AND (status = 'approved') = (transaction_id IS NOT NULL))
);

CREATE INDEX adjustments_pending ON adjustments (tenant_id, requested_at) WHERE status = 'pending';

CREATE FUNCTION decide_adjustment_once() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status = 'pending'
       AND to_jsonb(NEW) - 'status' - 'decided_by' - 'decided_at' - 'note' - 'transaction_id'
         = to_jsonb(OLD) - 'status' - 'decided_by' - 'decided_at' - 'note' - 'transaction_id' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'adjustments are decided once and never changed: % refused', TG_OP
        USING ERRCODE = 'PC001', CONSTRAINT = 'adjustments_append_only';
END
$$;

CREATE TRIGGER adjustments_append_only BEFORE UPDATE OR DELETE ON adjustments
    FOR EACH ROW EXECUTE FUNCTION decide_adjustment_once();
CREATE TRIGGER adjustments_no_truncate BEFORE TRUNCATE ON adjustments
    FOR EACH STATEMENT EXECUTE FUNCTION reject_change();

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['orders', 'refunds', 'redemptions', 'authorizations'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I
                        FOR EACH ROW EXECUTE FUNCTION reject_change()', t || '_append_only', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I
                        FOR EACH STATEMENT EXECUTE FUNCTION reject_change()', t || '_no_truncate', t);
    END LOOP;
END
$$;
