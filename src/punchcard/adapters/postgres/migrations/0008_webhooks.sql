-- Webhooks (Standard Webhooks): endpoints a tenant registers, one message per
-- endpoint per event, one attempt row per HTTP call. The "webhooks" outbox
-- cursor fans committed events out to messages; a worker delivers due messages
-- after commit (never inside a ledger transaction) and records each attempt.

CREATE TABLE webhook_endpoints (
    tenant_id        text NOT NULL REFERENCES tenants,
    id               text NOT NULL DEFAULT 'whe_' || replace(gen_random_uuid()::text, '-', ''),
    url              text NOT NULL CONSTRAINT webhook_endpoints_url_format
                     CHECK (url ~ '^https?://[^\s/?#]+' AND length(url) <= 2000),
    description      text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
    -- Secrets sign, so they are kept as Standard Webhooks writes them (whsec_ and
    -- base64). During a rotation the previous one signs too, until it expires.
    secret           text NOT NULL CONSTRAINT webhook_endpoints_secret_format
                     CHECK (secret ~ '^whsec_[A-Za-z0-9+/]{32,88}={0,2}$'),
    previous_secret  text CONSTRAINT webhook_endpoints_previous_secret_format
                     CHECK (previous_secret ~ '^whsec_[A-Za-z0-9+/]{32,88}={0,2}$'),
    previous_until   timestamptz,
    event_types      text[] NOT NULL DEFAULT '{}' CHECK (cardinality(event_types) <= 50),
    enabled          boolean NOT NULL DEFAULT true,
    disabled_reason  text CHECK (length(disabled_reason) <= 500),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT webhook_endpoints_id_unique UNIQUE (id),
    CONSTRAINT webhook_endpoints_disabled_has_reason
        CHECK (enabled = (disabled_reason IS NULL)),
    CONSTRAINT webhook_endpoints_rotation
        CHECK ((previous_secret IS NULL) = (previous_until IS NULL))
);

CREATE TABLE webhook_messages (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id        text NOT NULL,
    endpoint_id      text NOT NULL,
    event_id         text NOT NULL REFERENCES outbox (event_id),
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'failed', 'disabled')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz,
    replay           boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints ON DELETE CASCADE,
    -- only a pending message is due; a finished one says when it finished
    CONSTRAINT webhook_messages_due_when_pending
        CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL)),
    CONSTRAINT webhook_messages_finished
        CHECK ((status IN ('delivered', 'failed')) = (finished_at IS NOT NULL))
);

-- Fan-out creates a message once per endpoint and event; replays add more.
CREATE UNIQUE INDEX webhook_messages_once ON webhook_messages (endpoint_id, event_id)
    WHERE NOT replay;
CREATE INDEX webhook_messages_due ON webhook_messages (next_attempt_at, id)
    WHERE status = 'pending';
CREATE INDEX webhook_messages_of_endpoint ON webhook_messages (tenant_id, endpoint_id, id);

CREATE TABLE webhook_attempts (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id       bigint NOT NULL REFERENCES webhook_messages ON DELETE CASCADE,
    attempted_at     timestamptz NOT NULL,
    status_code      integer CHECK (status_code BETWEEN 100 AND 599),
    duration_ms      integer NOT NULL CHECK (duration_ms >= 0),
    outcome          text NOT NULL
                     CHECK (outcome IN ('delivered', 'retrying', 'failed', 'disabled')),
    error            text CHECK (length(error) <= 500),
    response_body    text CHECK (length(response_body) <= 1000),
    CHECK (status_code IS NOT NULL OR error IS NOT NULL)
);

CREATE INDEX webhook_attempts_of_message ON webhook_attempts (message_id, id);
