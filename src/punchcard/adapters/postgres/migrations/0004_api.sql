-- The HTTP API: keys (stored as hashes, one tenant each, with roles) and the
-- responses kept for Idempotency-Key replays.

CREATE TABLE api_keys (
    id           text PRIMARY KEY CHECK (id ~ '^key_[0-9a-z]{12}$'),
    tenant_id    text NOT NULL REFERENCES tenants,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    secret_hash  bytea NOT NULL CHECK (length(secret_hash) = 32),
    roles        text[] NOT NULL CHECK (cardinality(roles) >= 1
                   AND roles <@ ARRAY['ingest', 'operator', 'approver', 'auditor', 'admin']),
    rate_limit   integer NOT NULL DEFAULT 100 CHECK (rate_limit BETWEEN 1 AND 100000),
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text NOT NULL,
    revoked_at   timestamptz
);

CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, created_at);

-- One row per (tenant, Idempotency-Key): claimed before the request runs, the
-- response stored when it finishes. A claim left in flight by a crashed process
-- can be taken over once it is older than the lease.
CREATE TABLE http_idempotency (
    tenant_id        text NOT NULL REFERENCES tenants,
    key              text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    fingerprint      bytea NOT NULL CHECK (length(fingerprint) = 32),
    state            text NOT NULL DEFAULT 'in_flight' CHECK (state IN ('in_flight', 'done')),
    response_status  integer,
    response_body    jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key),
    CONSTRAINT http_idempotency_done_has_response
        CHECK ((state = 'done') = (response_status IS NOT NULL))
);

CREATE INDEX http_idempotency_by_age ON http_idempotency (created_at);
