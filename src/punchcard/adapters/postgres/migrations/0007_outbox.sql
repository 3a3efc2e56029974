-- The outbox: every state change writes its events here, in the same transaction
-- as the change, and dispatchers deliver them after commit (webhooks, NATS).
-- Rows carry pseudonymous ids only, never personal data.
--
-- Dispatchers read in (txid, id) order and keep a cursor per sink. An event
-- becomes readable once its transaction is older than every transaction still
-- running (pg_snapshot_xmin), so a slow transaction that commits after a faster
-- one can never slip in behind a cursor that has moved past it.

CREATE TABLE outbox (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id    text NOT NULL REFERENCES tenants,
    event_id     text NOT NULL DEFAULT 'evt_' || replace(gen_random_uuid()::text, '-', '')
                 CONSTRAINT outbox_event_id_unique UNIQUE,
    type         text NOT NULL CONSTRAINT outbox_type_format
                 CHECK (type ~ '^[a-z][a-z_]{0,30}\.[a-z][a-z_]{0,30}$'),
    subject      text CHECK (length(subject) <= 200),
    data         jsonb NOT NULL CHECK (jsonb_typeof(data) = 'object'),
    occurred_at  timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    txid         xid8 NOT NULL DEFAULT pg_current_xact_id()
);

CREATE INDEX outbox_in_commit_order ON outbox (txid, id);
CREATE INDEX outbox_by_tenant ON outbox (tenant_id, id);

CREATE TRIGGER outbox_append_only BEFORE UPDATE OR DELETE ON outbox
    FOR EACH ROW EXECUTE FUNCTION reject_change();
CREATE TRIGGER outbox_no_truncate BEFORE TRUNCATE ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION reject_change();

-- How far each sink (webhooks, nats, ...) has read the outbox.
CREATE TABLE outbox_cursors (
    sink         text PRIMARY KEY CHECK (sink ~ '^[a-z][a-z0-9_-]{0,62}$'),
    txid         xid8 NOT NULL DEFAULT '0',
    last_id      bigint NOT NULL DEFAULT 0,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Which lots an expiry warning (points.expiring_soon) has already been sent for.
CREATE TABLE expiry_warnings (
    tenant_id    text NOT NULL,
    lot_id       bigint NOT NULL,
    warned_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, lot_id),
    FOREIGN KEY (tenant_id, lot_id) REFERENCES lots (tenant_id, id)
);
