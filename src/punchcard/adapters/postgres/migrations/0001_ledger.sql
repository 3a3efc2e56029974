-- The double-entry ledger: tenants, assets, accounts, the journal, holds,
-- balance projections and the seal chain. docs/database.md lists every
-- constraint and trigger defined here and the invariant each one defends.

-- ------------------------------------------------------------------ guards

CREATE FUNCTION reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'PC001',
              CONSTRAINT = TG_TABLE_NAME || '_append_only',
              HINT = 'post a compensating transaction instead';
END
$$;

-- ------------------------------------------------------------------ configuration

CREATE TABLE tenants (
    id          text PRIMARY KEY CONSTRAINT tenants_id_format
                CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    name        text NOT NULL CHECK (length(name) <= 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE assets (
    tenant_id   text NOT NULL REFERENCES tenants,
    code        text NOT NULL CONSTRAINT assets_code_format
                CHECK (code ~ '^[A-Z][A-Z0-9_]{0,15}$'),
    precision   smallint NOT NULL CHECK (precision BETWEEN 0 AND 18),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, code)
);

CREATE TABLE account_policies (
    tenant_id       text NOT NULL REFERENCES tenants,
    pattern         text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('bounded', 'unbounded')),
    allow_negative  boolean NOT NULL,
    PRIMARY KEY (tenant_id, pattern),
    CONSTRAINT account_policies_unbounded_is_unchecked CHECK (kind = 'bounded' OR allow_negative)
);

-- An account's identity and policy are fixed when it is first used.
CREATE TABLE accounts (
    tenant_id       text NOT NULL REFERENCES tenants,
    id              bigint GENERATED ALWAYS AS IDENTITY,
    address         text NOT NULL CONSTRAINT accounts_address_format
                    CHECK (length(address) <= 255
                           AND address ~ '^[A-Za-z0-9_.@-]{1,64}(:[A-Za-z0-9_.@-]{1,64})*$'),
    kind            text NOT NULL CHECK (kind IN ('bounded', 'unbounded')),
    allow_negative  boolean NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT accounts_address_unique UNIQUE (tenant_id, address),
    CONSTRAINT accounts_unbounded_is_unchecked CHECK (kind = 'bounded' OR allow_negative)
);

CREATE TRIGGER accounts_append_only BEFORE UPDATE OR DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION reject_change();
CREATE TRIGGER assets_append_only BEFORE UPDATE OR DELETE ON assets
    FOR EACH ROW EXECUTE FUNCTION reject_change();
CREATE TRIGGER accounts_no_truncate BEFORE TRUNCATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION reject_change();
CREATE TRIGGER assets_no_truncate BEFORE TRUNCATE ON assets
    FOR EACH STATEMENT EXECUTE FUNCTION reject_change();

-- ------------------------------------------------------------------ journal

CREATE SEQUENCE transaction_ids AS bigint;

-- One row per write. The idempotency key lives on the row it produced, so the
-- unique constraint and the write commit together or not at all.
CREATE TABLE transactions (
    tenant_id        text NOT NULL REFERENCES tenants,
    id               bigint NOT NULL DEFAULT nextval('transaction_ids'),
    kind             text NOT NULL
                     CHECK (kind IN ('post', 'hold', 'capture', 'void', 'expire', 'reversal')),
    idempotency_key  text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    request_hash     bytea NOT NULL CHECK (length(request_hash) = 32),
    effective_at     timestamptz NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    metadata         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    hold_id          bigint,
    reverses_id      bigint,
    -- The writing database transaction: the sealer only seals what no running
    -- transaction can still add to (see docs/ledger.md, "Sealing").
    xid              xid8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT transactions_idempotency_key_unique UNIQUE (tenant_id, idempotency_key),
    CONSTRAINT transactions_reverses_fkey FOREIGN KEY (tenant_id, reverses_id)
        REFERENCES transactions (tenant_id, id),
    CONSTRAINT transactions_hold_link CHECK
        ((kind IN ('capture', 'void', 'expire')) = (hold_id IS NOT NULL)),
    CONSTRAINT transactions_reversal_link CHECK ((kind = 'reversal') = (reverses_id IS NOT NULL))
);

-- A hold is resolved (captured, voided or expired) by exactly one transaction.
CREATE UNIQUE INDEX transactions_resolves_hold_once ON transactions (tenant_id, hold_id)
    WHERE hold_id IS NOT NULL;
CREATE INDEX transactions_reversals ON transactions (tenant_id, reverses_id)
    WHERE reverses_id IS NOT NULL;
CREATE INDEX transactions_seal_order ON transactions (tenant_id, xid, id);

CREATE TRIGGER transactions_append_only BEFORE UPDATE OR DELETE ON transactions
    FOR EACH ROW EXECUTE FUNCTION reject_change();
CREATE TRIGGER transactions_no_truncate BEFORE TRUNCATE ON transactions
    FOR EACH STATEMENT EXECUTE FUNCTION reject_change();

-- Each posting is stored as two legs: the debit of its source (is_credit false)
-- and the credit of its destination (is_credit true).
CREATE TABLE entries (
    tenant_id       text NOT NULL,
    transaction_id  bigint NOT NULL,
    posting_index   smallint NOT NULL CHECK (posting_index >= 0),
    is_credit       boolean NOT NULL,
    account_id      bigint NOT NULL,
    asset           text NOT NULL,
    amount          bigint NOT NULL CONSTRAINT entries_amount_positive CHECK (amount > 0),
    effective_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, transaction_id, posting_index, is_credit),
    FOREIGN KEY (tenant_id, transaction_id) REFERENCES transactions (tenant_id, id),
    FOREIGN KEY (tenant_id, account_id) REFERENCES accounts (tenant_id, id),
    FOREIGN KEY (tenant_id, asset) REFERENCES assets (tenant_id, code)
);

-- Account history and point-in-time balances are one index range each.
CREATE INDEX entries_account_history ON entries
    (tenant_id, account_id, asset, effective_at, transaction_id, posting_index)
    INCLUDE (is_credit, amount);

CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries
    FOR EACH ROW EXECUTE FUNCTION reject_change();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries
    FOR EACH STATEMENT EXECUTE FUNCTION reject_change();

-- SET search_path: the check must find its tables whatever the committing
-- session's search_path is (psql, pgbench, another service).
CREATE FUNCTION check_transaction_balanced() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    unbalanced text;
BEGIN
    SELECT asset INTO unbalanced
      FROM entries
     WHERE tenant_id = NEW.tenant_id AND transaction_id = NEW.transaction_id
     GROUP BY asset
    HAVING sum(CASE WHEN is_credit THEN amount ELSE -amount END) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'transaction % of tenant % does not sum to zero in %',
            NEW.transaction_id, NEW.tenant_id, unbalanced
            USING ERRCODE = 'check_violation', CONSTRAINT = 'entries_balanced_per_asset';
    END IF;
    RETURN NULL;
END
$$;

-- Checked at COMMIT, once all legs of the transaction are in.
CREATE CONSTRAINT TRIGGER entries_balanced_per_asset AFTER INSERT ON entries
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION check_transaction_balanced();

-- ------------------------------------------------------------------ holds

CREATE TABLE holds (
    tenant_id       text NOT NULL,
    transaction_id  bigint NOT NULL,
    source_id       bigint NOT NULL,
    destination_id  bigint NOT NULL,
    asset           text NOT NULL,
    amount          bigint NOT NULL CONSTRAINT holds_amount_positive CHECK (amount > 0),
    expires_at      timestamptz,
    -- Written once, by the capture, void or expiry that resolves the hold.
    resolved_by     bigint,
    PRIMARY KEY (tenant_id, transaction_id),
    FOREIGN KEY (tenant_id, transaction_id) REFERENCES transactions (tenant_id, id),
    FOREIGN KEY (tenant_id, source_id) REFERENCES accounts (tenant_id, id),
    FOREIGN KEY (tenant_id, destination_id) REFERENCES accounts (tenant_id, id),
    FOREIGN KEY (tenant_id, asset) REFERENCES assets (tenant_id, code),
    FOREIGN KEY (tenant_id, resolved_by) REFERENCES transactions (tenant_id, id),
    CONSTRAINT holds_distinct_accounts CHECK (source_id <> destination_id)
);

CREATE INDEX holds_open_by_expiry ON holds (expires_at)
    WHERE resolved_by IS NULL AND expires_at IS NOT NULL;

ALTER TABLE transactions ADD CONSTRAINT transactions_hold_fkey
    FOREIGN KEY (tenant_id, hold_id) REFERENCES holds (tenant_id, transaction_id);

CREATE FUNCTION resolve_hold_once() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.resolved_by IS NULL AND NEW.resolved_by IS NOT NULL
       AND to_jsonb(NEW) - 'resolved_by' = to_jsonb(OLD) - 'resolved_by' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'holds are append-only except for their one resolution: % refused', TG_OP
        USING ERRCODE = 'PC001', CONSTRAINT = 'holds_append_only';
END
$$;

CREATE TRIGGER holds_append_only BEFORE UPDATE OR DELETE ON holds
    FOR EACH ROW EXECUTE FUNCTION resolve_hold_once();
CREATE TRIGGER holds_no_truncate BEFORE TRUNCATE ON holds
    FOR EACH STATEMENT EXECUTE FUNCTION reject_change();

-- ------------------------------------------------------------------ balance projections

-- Derived from entries and open holds, updated in the same transaction, and
-- recomputed by `punchcard verify`. Bounded accounts have one row (slot 0) that
-- every debit locks; unbounded system accounts spread their balance over up to
-- 32 slots so concurrent writers never queue on one row.
CREATE TABLE balances (
    tenant_id        text NOT NULL,
    account_id       bigint NOT NULL,
    asset            text NOT NULL,
    slot             smallint NOT NULL DEFAULT 0 CHECK (slot BETWEEN 0 AND 31),
    allow_negative   boolean NOT NULL,
    posted_debits    bigint NOT NULL DEFAULT 0,
    posted_credits   bigint NOT NULL DEFAULT 0,
    pending_debits   bigint NOT NULL DEFAULT 0,
    pending_credits  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, account_id, asset, slot),
    FOREIGN KEY (tenant_id, account_id) REFERENCES accounts (tenant_id, id),
    -- The overdraft guard: a bounded account that may not go negative never
    -- shows less than zero available (posted minus held), whatever the race.
    CONSTRAINT balances_no_overdraft
        CHECK (allow_negative OR posted_credits - posted_debits - pending_debits >= 0)
);

-- ------------------------------------------------------------------ seal chain

-- seq n of a tenant's chain: hash = sha256(hash of n-1 || n || canonical transaction).
CREATE TABLE seals (
    tenant_id       text NOT NULL REFERENCES tenants,
    seq             bigint NOT NULL CHECK (seq >= 1),
    transaction_id  bigint NOT NULL,
    xid             xid8 NOT NULL,
    hash            bytea NOT NULL CHECK (length(hash) = 32),
    sealed_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, seq),
    CONSTRAINT seals_transaction_once UNIQUE (tenant_id, transaction_id),
    FOREIGN KEY (tenant_id, transaction_id) REFERENCES transactions (tenant_id, id)
);

CREATE TRIGGER seals_append_only BEFORE UPDATE OR DELETE ON seals
    FOR EACH ROW EXECUTE FUNCTION reject_change();
CREATE TRIGGER seals_no_truncate BEFORE TRUNCATE ON seals
    FOR EACH STATEMENT EXECUTE FUNCTION reject_change();
