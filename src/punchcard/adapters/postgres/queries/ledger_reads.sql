-- Reads of the ledger: every one is an index lookup or an index range.

-- name: tenant_exists
SELECT 1 FROM tenants WHERE id = %(tenant)s

-- name: insert_tenant
INSERT INTO tenants (id, name) VALUES (%(tenant)s, %(name)s)
ON CONFLICT (id) DO NOTHING

-- name: tenant_ids
SELECT id FROM tenants ORDER BY id

-- name: assets
SELECT code, precision FROM assets WHERE tenant_id = %(tenant)s

-- name: insert_asset
INSERT INTO assets (tenant_id, code, precision) VALUES (%(tenant)s, %(code)s, %(precision)s)
ON CONFLICT (tenant_id, code) DO NOTHING

-- name: upsert_account_policy
INSERT INTO account_policies (tenant_id, pattern, kind, allow_negative)
VALUES (%(tenant)s, %(pattern)s, %(kind)s, %(allow_negative)s)
ON CONFLICT (tenant_id, pattern) DO UPDATE
   SET kind = EXCLUDED.kind, allow_negative = EXCLUDED.allow_negative

-- name: account_by_address
SELECT id, address, kind, allow_negative FROM accounts
 WHERE tenant_id = %(tenant)s AND address = %(address)s

-- name: balance
SELECT coalesce(sum(posted_debits), 0)::bigint, coalesce(sum(posted_credits), 0)::bigint,
       coalesce(sum(pending_debits), 0)::bigint, coalesce(sum(pending_credits), 0)::bigint
  FROM balances
 WHERE tenant_id = %(tenant)s AND account_id = %(account_id)s AND asset = %(asset)s

-- name: balance_as_of
SELECT coalesce(sum(amount) FILTER (WHERE NOT is_credit), 0)::bigint,
       coalesce(sum(amount) FILTER (WHERE is_credit), 0)::bigint
  FROM entries
 WHERE tenant_id = %(tenant)s AND account_id = %(account_id)s AND asset = %(asset)s
   AND effective_at <= %(as_of)s

-- name: history_first_page
SELECT transaction_id, posting_index, asset, amount, is_credit, effective_at
  FROM entries
 WHERE tenant_id = %(tenant)s AND account_id = %(account_id)s AND asset = %(asset)s
 ORDER BY effective_at DESC, transaction_id DESC, posting_index DESC
 LIMIT %(limit)s

-- name: history_next_page
SELECT transaction_id, posting_index, asset, amount, is_credit, effective_at
  FROM entries
 WHERE tenant_id = %(tenant)s AND account_id = %(account_id)s AND asset = %(asset)s
   AND (effective_at, transaction_id, posting_index)
       < (%(after_effective_at)s, %(after_transaction_id)s, %(after_posting_index)s)
 ORDER BY effective_at DESC, transaction_id DESC, posting_index DESC
 LIMIT %(limit)s

-- name: transaction_by_id
SELECT id, kind, idempotency_key, effective_at, recorded_at, metadata, hold_id, reverses_id
  FROM transactions
 WHERE tenant_id = %(tenant)s AND id = %(id)s

-- name: transaction_postings
SELECT d.posting_index, src.address, dst.address, d.asset, d.amount
  FROM entries d
  JOIN entries c ON c.tenant_id = d.tenant_id AND c.transaction_id = d.transaction_id
                AND c.posting_index = d.posting_index AND c.is_credit
  JOIN accounts src ON src.tenant_id = d.tenant_id AND src.id = d.account_id
  JOIN accounts dst ON dst.tenant_id = c.tenant_id AND dst.id = c.account_id
 WHERE d.tenant_id = %(tenant)s AND d.transaction_id = %(id)s AND NOT d.is_credit
 ORDER BY d.posting_index

-- name: hold_by_id
SELECT h.transaction_id, s.address, d.address, h.asset, h.amount, h.expires_at,
       h.resolved_by, r.kind
  FROM holds h
  JOIN accounts s ON s.tenant_id = h.tenant_id AND s.id = h.source_id
  JOIN accounts d ON d.tenant_id = h.tenant_id AND d.id = h.destination_id
  LEFT JOIN transactions r ON r.tenant_id = h.tenant_id AND r.id = h.resolved_by
 WHERE h.tenant_id = %(tenant)s AND h.transaction_id = %(id)s
