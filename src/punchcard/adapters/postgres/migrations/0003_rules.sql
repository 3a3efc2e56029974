-- The rules engine: versioned rulesets under maker-checker, the counters that
-- caps and campaign budgets draw on, customer tiers and their history, and the
-- customer facts rules can read. docs/database.md lists each rule below.

-- A draft may change; a submitted one waits for a second person; a published
-- one never changes again. The active version is the published one with the
-- latest activate_at that has passed.
CREATE TABLE rulesets (
    tenant_id     text NOT NULL REFERENCES tenants,
    version       integer NOT NULL CHECK (version >= 1),
    status        text NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft', 'submitted', 'published')),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    document      jsonb NOT NULL CHECK (jsonb_typeof(document) = 'object'),
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    submitted_by  text,
    submitted_at  timestamptz,
    approved_by   text,
    approved_at   timestamptz,
    activate_at   timestamptz,
    PRIMARY KEY (tenant_id, version),
    CONSTRAINT rulesets_maker_is_not_checker CHECK (approved_by <> submitted_by),
    CONSTRAINT rulesets_status_complete CHECK (
        (status = 'draft' AND submitted_by IS NULL AND approved_by IS NULL)
        OR (status = 'submitted' AND submitted_by IS NOT NULL AND approved_by IS NULL)
        OR (status = 'published' AND submitted_by IS NOT NULL AND approved_by IS NOT NULL
            AND activate_at IS NOT NULL))
);

CREATE INDEX rulesets_published ON rulesets (tenant_id, activate_at DESC, version DESC)
    WHERE status = 'published';

CREATE FUNCTION rulesets_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status <> 'published' THEN  -- drafts and submissions
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'rulesets are never deleted, and a published one never changes: % refused',
        TG_OP
        USING ERRCODE = 'PC001', CONSTRAINT = 'rulesets_append_only';
END
$$;

CREATE TRIGGER rulesets_append_only BEFORE UPDATE OR DELETE ON rulesets
    FOR EACH ROW EXECUTE FUNCTION rulesets_guard();
CREATE TRIGGER rulesets_no_truncate BEFORE TRUNCATE ON rulesets
    FOR EACH STATEMENT EXECUTE FUNCTION reject_change();

-- Points a capped or budgeted rule has given: per customer and period for caps
-- (the customer's lock serializes them), per rule for budgets ('*', locked
-- FOR UPDATE by each earn that would draw on it).
CREATE TABLE rule_usage (
    tenant_id    text NOT NULL REFERENCES tenants,
    rule_id      text NOT NULL,
    holder       text NOT NULL,
    period_key   text NOT NULL,
    used         bigint NOT NULL CHECK (used >= 0),
    PRIMARY KEY (tenant_id, rule_id, holder, period_key)
);

CREATE TABLE customer_tiers (
    tenant_id    text NOT NULL,
    customer_id  text NOT NULL,
    tier         text NOT NULL,
    since        timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, customer_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);

CREATE TABLE tier_changes (
    tenant_id    text NOT NULL,
    id           bigint GENERATED ALWAYS AS IDENTITY,
    customer_id  text NOT NULL,
    from_tier    text,
    to_tier      text NOT NULL,
    reason       text NOT NULL CHECK (reason IN ('qualified', 'review', 'ruleset')),
    measure      bigint NOT NULL,
    changed_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);

CREATE INDEX tier_changes_by_customer ON tier_changes (tenant_id, customer_id, id);

CREATE TRIGGER tier_changes_append_only BEFORE UPDATE OR DELETE ON tier_changes
    FOR EACH ROW EXECUTE FUNCTION reject_change();
CREATE TRIGGER tier_changes_no_truncate BEFORE TRUNCATE ON tier_changes
    FOR EACH STATEMENT EXECUTE FUNCTION reject_change();

-- What rules can read about a customer: the merchant's pseudonymous attributes
-- (e.g. birthday_month) and counts of earlier events.
ALTER TABLE customers
    ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}'
        CHECK (jsonb_typeof(attributes) = 'object'),
    ADD COLUMN event_counts jsonb NOT NULL DEFAULT '{}'
        CHECK (jsonb_typeof(event_counts) = 'object');

-- When a refund happened, and whose order it was, for the qualifying measure of
-- tiers: one index range per customer, whatever the planner knows of the tenant.
ALTER TABLE refunds ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now(),
                    ADD COLUMN customer_id text;
CREATE INDEX refunds_by_customer ON refunds (tenant_id, customer_id, recorded_at);
CREATE INDEX orders_by_customer ON orders (tenant_id, customer_id, occurred_at);
CREATE INDEX lots_by_customer_issued ON lots (tenant_id, customer_id, issued_at);

-- What an earn was rated on (the event, the customer's tier, attributes, counts
-- and counters), written with its result, so the earn can be recomputed later.
ALTER TABLE operations ADD COLUMN inputs jsonb;

CREATE OR REPLACE FUNCTION record_result_once() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.result IS NULL AND NEW.result IS NOT NULL
       AND OLD.inputs IS NULL
       AND to_jsonb(NEW) - 'result' - 'inputs' = to_jsonb(OLD) - 'result' - 'inputs' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'operations are append-only except for their one result: % refused', TG_OP
        USING ERRCODE = 'PC001', CONSTRAINT = 'operations_append_only';
END
$$;
