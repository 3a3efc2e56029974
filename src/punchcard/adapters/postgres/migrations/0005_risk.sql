-- Risk and monitoring: the review queue (flagged redemptions held for a person,
-- and customers flagged by the earnings scan), balance monitors, and the alerts
-- monitors and scheduled verification raise.

CREATE TABLE reviews (
    tenant_id     text NOT NULL,
    id            bigint GENERATED ALWAYS AS IDENTITY,
    kind          text NOT NULL CHECK (kind IN ('redemption', 'earning')),
    customer_id   text NOT NULL,
    hold_id       bigint,
    points        bigint NOT NULL CHECK (points >= 0),
    reasons       text[] NOT NULL CHECK (cardinality(reasons) >= 1),
    window_start  timestamptz,
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'approved', 'rejected')),
    created_at    timestamptz NOT NULL,
    decided_by    text,
    decided_at    timestamptz,
    note          text CHECK (length(note) <= 500),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, hold_id) REFERENCES holds (tenant_id, transaction_id),
    CONSTRAINT reviews_redemption_has_hold CHECK ((kind = 'redemption') = (hold_id IS NOT NULL)),
    CONSTRAINT reviews_decision_complete CHECK ((status = 'pending') = (decided_by IS NULL)),
    CONSTRAINT reviews_earning_once_per_window UNIQUE (tenant_id, kind, customer_id, window_start)
);

CREATE INDEX reviews_pending ON reviews (tenant_id, created_at) WHERE status = 'pending';
CREATE UNIQUE INDEX reviews_one_per_hold ON reviews (tenant_id, hold_id) WHERE hold_id IS NOT NULL;

CREATE FUNCTION decide_review_once() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status = 'pending'
       AND to_jsonb(NEW) - 'status' - 'decided_by' - 'decided_at' - 'note'
         = to_jsonb(OLD) - 'status' - 'decided_by' - 'decided_at' - 'note' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'reviews are decided once and never changed: % refused', TG_OP
        USING ERRCODE = 'PC001', CONSTRAINT = 'reviews_append_only';
END
$$;

CREATE TRIGGER reviews_append_only BEFORE UPDATE OR DELETE ON reviews
    FOR EACH ROW EXECUTE FUNCTION decide_review_once();
CREATE TRIGGER reviews_no_truncate BEFORE TRUNCATE ON reviews
    FOR EACH STATEMENT EXECUTE FUNCTION reject_change();

CREATE TABLE monitors (
    tenant_id    text NOT NULL REFERENCES tenants,
    id           bigint GENERATED ALWAYS AS IDENTITY,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    measure      text NOT NULL CHECK (measure IN ('programme_liability', 'customer_balance')),
    customer_id  text,
    threshold    bigint NOT NULL CHECK (threshold >= 0),
    tripped      boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT monitors_customer_measure CHECK (
        (measure = 'customer_balance') = (customer_id IS NOT NULL))
);

CREATE TABLE alerts (
    tenant_id  text NOT NULL REFERENCES tenants,
    id         bigint GENERATED ALWAYS AS IDENTITY,
    kind       text NOT NULL CHECK (kind IN ('monitor', 'verify')),
    subject    text NOT NULL,
    detail     jsonb NOT NULL DEFAULT '{}',
    raised_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TRIGGER alerts_append_only BEFORE UPDATE OR DELETE ON alerts
    FOR EACH ROW EXECUTE FUNCTION reject_change();
