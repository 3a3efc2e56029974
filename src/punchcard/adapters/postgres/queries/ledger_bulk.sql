-- Many posts at once (Journal.post_many): one statement per table for the lot.

-- name: insert_transactions
-- Sorted by key, so two writers claiming overlapping keys cannot deadlock; a key
-- already taken (or taken twice in the lot) returns no row and is replayed.
INSERT INTO transactions (tenant_id, kind, idempotency_key, request_hash, effective_at, metadata)
SELECT %(tenant)s, 'post', x.key, x.request_hash, x.effective_at, x.metadata
  FROM unnest(%(keys)b::text[], %(request_hashes)b::bytea[], %(effective_at)b::timestamptz[],
              %(metadata)b::jsonb[]) AS x(key, request_hash, effective_at, metadata)
 ORDER BY x.key
ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
RETURNING id, idempotency_key, recorded_at

-- name: insert_entries_many
INSERT INTO entries
       (tenant_id, transaction_id, posting_index, is_credit, account_id, asset, amount,
        effective_at)
SELECT %(tenant)s, e.transaction_id, e.posting_index, e.is_credit, e.account_id, e.asset,
       e.amount, e.effective_at
  FROM unnest(%(transaction_id)b::bigint[], %(posting_index)b::smallint[],
              %(is_credit)b::boolean[], %(account_id)b::bigint[], %(asset)b::text[],
              %(amount)b::bigint[], %(effective_at)b::timestamptz[])
       AS e(transaction_id, posting_index, is_credit, account_id, asset, amount, effective_at)

-- name: change_bounded_balances
-- One change per (account, asset). Callers hold the owners' locks (the loyalty
-- layer locks customers first), so the rows are not locked in a set order here.
-- The balances_no_overdraft CHECK refuses the statement if any row would overdraw.
-- Returns the rows found. The = ANY makes an index scan of just these accounts,
-- whatever the statistics say of the tenant's size (a hash join would read them all).
UPDATE balances AS b
   SET posted_debits   = b.posted_debits   + x.posted_debits,
       posted_credits  = b.posted_credits  + x.posted_credits,
       pending_debits  = b.pending_debits  + x.pending_debits,
       pending_credits = b.pending_credits + x.pending_credits
  FROM unnest(%(account_id)b::bigint[], %(asset)b::text[], %(posted_debits)b::bigint[],
              %(posted_credits)b::bigint[], %(pending_debits)b::bigint[],
              %(pending_credits)b::bigint[])
       AS x(account_id, asset, posted_debits, posted_credits, pending_debits, pending_credits)
 WHERE b.tenant_id = %(tenant)s AND b.account_id = ANY(%(account_id)b::bigint[])
   AND b.account_id = x.account_id AND b.asset = x.asset AND b.slot = 0
RETURNING b.account_id, b.asset

-- name: open_bounded_balances
INSERT INTO balances (tenant_id, account_id, asset, slot, allow_negative)
SELECT %(tenant)s, x.account_id, x.asset, 0, x.allow_negative
  FROM unnest(%(account_id)b::bigint[], %(asset)b::text[], %(allow_negative)b::boolean[])
       AS x(account_id, asset, allow_negative)
 ORDER BY x.account_id, x.asset
ON CONFLICT (tenant_id, account_id, asset, slot) DO NOTHING
