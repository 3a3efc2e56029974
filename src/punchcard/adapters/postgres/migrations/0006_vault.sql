-- The personal-data vault: customers' personal data, encrypted under a data key of
-- their own (AES-256-GCM); that key wrapped by the tenant's key-encryption key,
-- which lives outside the database (the key provider); keyed hashes to find a
-- customer by e-mail; and the record of each erasure. Nothing here is plaintext.
-- Erasure deletes the customer's data key and lookup hashes: the ciphertext left
-- behind can no longer be decrypted by anyone.

CREATE TABLE personal_data (
    tenant_id    text NOT NULL,
    customer_id  text NOT NULL,
    ciphertext   bytea NOT NULL CHECK (length(ciphertext) BETWEEN 28 AND 65536),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, customer_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);

CREATE TABLE data_keys (
    tenant_id    text NOT NULL,
    customer_id  text NOT NULL,
    kek_id       text NOT NULL CHECK (length(kek_id) BETWEEN 1 AND 200),
    wrapped      bytea NOT NULL CHECK (length(wrapped) BETWEEN 28 AND 4096),
    created_at   timestamptz NOT NULL DEFAULT now(),
    wrapped_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, customer_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);

CREATE INDEX data_keys_by_kek ON data_keys (tenant_id, kek_id);

CREATE TABLE lookup_hashes (
    tenant_id    text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('email')),
    digest       bytea NOT NULL CHECK (length(digest) = 32),
    customer_id  text NOT NULL,
    CONSTRAINT lookup_hashes_unique PRIMARY KEY (tenant_id, kind, digest),
    CONSTRAINT lookup_hashes_one_per_kind UNIQUE (tenant_id, customer_id, kind),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);

-- Who erased whose data and when: no personal data, and never deleted.
CREATE TABLE erasures (
    tenant_id    text NOT NULL,
    customer_id  text NOT NULL,
    erased_at    timestamptz NOT NULL DEFAULT now(),
    erased_by    text NOT NULL CHECK (length(erased_by) BETWEEN 1 AND 200),
    PRIMARY KEY (tenant_id, customer_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);

CREATE TRIGGER erasures_append_only
    BEFORE UPDATE OR DELETE ON erasures
    FOR EACH ROW EXECUTE FUNCTION reject_change();
