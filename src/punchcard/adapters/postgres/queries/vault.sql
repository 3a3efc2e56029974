-- The personal-data vault: ciphertexts, wrapped data keys, lookup hashes, erasures.

-- name: vault_lock_customer
SELECT id FROM customers WHERE tenant_id = %(tenant)s AND id = %(customer)s FOR UPDATE

-- name: vault_customer
SELECT id FROM customers WHERE tenant_id = %(tenant)s AND id = %(customer)s

-- name: vault_erasure
SELECT erased_at, erased_by FROM erasures
 WHERE tenant_id = %(tenant)s AND customer_id = %(customer)s

-- name: vault_record
SELECT p.ciphertext, k.kek_id, k.wrapped
  FROM personal_data p
  LEFT JOIN data_keys k ON k.tenant_id = p.tenant_id AND k.customer_id = p.customer_id
 WHERE p.tenant_id = %(tenant)s AND p.customer_id = %(customer)s

-- name: vault_data_key
SELECT kek_id, wrapped FROM data_keys
 WHERE tenant_id = %(tenant)s AND customer_id = %(customer)s

-- name: vault_save_key
INSERT INTO data_keys (tenant_id, customer_id, kek_id, wrapped)
VALUES (%(tenant)s, %(customer)s, %(kek_id)s, %(wrapped)s)

-- name: vault_save_data
INSERT INTO personal_data (tenant_id, customer_id, ciphertext)
VALUES (%(tenant)s, %(customer)s, %(ciphertext)s)
ON CONFLICT (tenant_id, customer_id)
DO UPDATE SET ciphertext = EXCLUDED.ciphertext, updated_at = now()

-- name: vault_forget_hashes
DELETE FROM lookup_hashes WHERE tenant_id = %(tenant)s AND customer_id = %(customer)s

-- name: vault_save_hash
INSERT INTO lookup_hashes (tenant_id, kind, digest, customer_id)
VALUES (%(tenant)s, %(kind)s, %(digest)s, %(customer)s)

-- name: vault_find_hash
SELECT customer_id FROM lookup_hashes
 WHERE tenant_id = %(tenant)s AND kind = %(kind)s AND digest = %(digest)s

-- name: vault_destroy_key
DELETE FROM data_keys WHERE tenant_id = %(tenant)s AND customer_id = %(customer)s

-- name: vault_record_erasure
INSERT INTO erasures (tenant_id, customer_id, erased_at, erased_by)
VALUES (%(tenant)s, %(customer)s, %(at)s, %(by)s)
RETURNING erased_at, erased_by

-- name: vault_keys_to_rewrap
SELECT customer_id, kek_id, wrapped FROM data_keys
 WHERE tenant_id = %(tenant)s AND kek_id <> %(current)s
 ORDER BY customer_id
 LIMIT %(limit)s
 FOR UPDATE

-- name: vault_rewrap
UPDATE data_keys SET kek_id = %(kek_id)s, wrapped = %(wrapped)s, wrapped_at = now()
 WHERE tenant_id = %(tenant)s AND customer_id = %(customer)s

-- name: vault_keks_in_use
SELECT DISTINCT kek_id FROM data_keys WHERE tenant_id = %(tenant)s

-- name: vault_redemptions
SELECT r.transaction_id, r.option, r.points, r.value, r.order_id, r.hold_id, t.effective_at
  FROM redemptions r
  JOIN transactions t ON t.tenant_id = r.tenant_id AND t.id = r.transaction_id
 WHERE r.tenant_id = %(tenant)s AND r.customer_id = %(customer)s
 ORDER BY r.transaction_id

-- name: vault_share_tenant
SELECT pg_advisory_xact_lock_shared(hashtextextended('punchcard-vault:' || %(tenant)s, 0))

-- name: vault_hold_tenant
SELECT pg_advisory_xact_lock(hashtextextended('punchcard-vault:' || %(tenant)s, 0))
