-- API keys and the Idempotency-Key store.

-- name: insert_api_key
INSERT INTO api_keys (id, tenant_id, name, secret_hash, roles, rate_limit, created_by)
VALUES (%(id)s, %(tenant)s, %(name)s, %(secret_hash)s, %(roles)s, %(rate_limit)s, %(by)s)

-- name: api_key
SELECT id, tenant_id, name, secret_hash, roles, rate_limit, created_at, created_by, revoked_at
  FROM api_keys WHERE id = %(id)s

-- name: api_keys
SELECT id, tenant_id, name, secret_hash, roles, rate_limit, created_at, created_by, revoked_at
  FROM api_keys WHERE tenant_id = %(tenant)s ORDER BY created_at, id

-- name: revoke_api_key
UPDATE api_keys SET revoked_at = %(at)s
 WHERE tenant_id = %(tenant)s AND id = %(id)s AND revoked_at IS NULL

-- name: claim_idempotency_key
-- Claims a new key, or takes over one whose first attempt was abandoned in flight.
INSERT INTO http_idempotency AS h (tenant_id, key, fingerprint)
VALUES (%(tenant)s, %(key)s, %(fingerprint)s)
ON CONFLICT (tenant_id, key) DO UPDATE
   SET updated_at = now()
 WHERE h.state = 'in_flight' AND h.updated_at < now() - %(lease)s::interval
   AND h.fingerprint = EXCLUDED.fingerprint
RETURNING 1

-- name: idempotency_record
SELECT fingerprint, state, response_status, response_body FROM http_idempotency
 WHERE tenant_id = %(tenant)s AND key = %(key)s

-- name: finish_idempotency_key
UPDATE http_idempotency
   SET state = 'done', response_status = %(status)s, response_body = %(body)s,
       updated_at = now()
 WHERE tenant_id = %(tenant)s AND key = %(key)s

-- name: release_idempotency_key
DELETE FROM http_idempotency WHERE tenant_id = %(tenant)s AND key = %(key)s AND state = 'in_flight'

-- name: forget_idempotency_keys
DELETE FROM http_idempotency WHERE created_at < %(before)s
