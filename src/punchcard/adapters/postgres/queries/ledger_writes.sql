-- Writes of the ledger engine. Every one runs inside the caller's unit of work;
-- none commits.

-- name: insert_transaction
-- The idempotency key is claimed by the row itself: a concurrent writer of the
-- same key waits here until the first commits, then finds nothing to insert.
INSERT INTO transactions
       (tenant_id, kind, idempotency_key, request_hash, effective_at, metadata,
        hold_id, reverses_id)
VALUES (%(tenant)s, %(kind)s, %(key)s, %(request_hash)s, %(effective_at)s, %(metadata)s,
        %(hold_id)s, %(reverses_id)s)
ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
RETURNING id, recorded_at

-- name: transaction_by_key
SELECT id, request_hash FROM transactions
 WHERE tenant_id = %(tenant)s AND idempotency_key = %(key)s

-- name: accounts_by_address
SELECT id, address, kind, allow_negative FROM accounts
 WHERE tenant_id = %(tenant)s AND address = ANY(%(addresses)b::text[])

-- name: account_policies
SELECT pattern, kind, allow_negative FROM account_policies WHERE tenant_id = %(tenant)s

-- name: create_accounts
-- Sorted, so that two writers creating the same new accounts cannot deadlock.
INSERT INTO accounts (tenant_id, address, kind, allow_negative)
SELECT %(tenant)s, a.address, a.kind, a.allow_negative
  FROM unnest(%(addresses)b::text[], %(kinds)b::text[], %(allow_negative)b::boolean[])
       AS a(address, kind, allow_negative)
 ORDER BY a.address
ON CONFLICT (tenant_id, address) DO NOTHING

-- name: insert_entries
INSERT INTO entries
       (tenant_id, transaction_id, posting_index, is_credit, account_id, asset, amount,
        effective_at)
SELECT %(tenant)s, %(transaction_id)s, e.posting_index, e.is_credit, e.account_id, e.asset,
       e.amount, %(effective_at)s
  FROM unnest(%(posting_index)b::smallint[], %(is_credit)b::boolean[],
              %(account_id)b::bigint[], %(asset)b::text[], %(amount)b::bigint[])
       AS e(posting_index, is_credit, account_id, asset, amount)

-- name: change_bounded_balance
-- Locks the account's single balance row; the balances_no_overdraft CHECK
-- refuses the new row version if it would overdraw.
UPDATE balances
   SET posted_debits   = posted_debits   + %(posted_debits)s,
       posted_credits  = posted_credits  + %(posted_credits)s,
       pending_debits  = pending_debits  + %(pending_debits)s,
       pending_credits = pending_credits + %(pending_credits)s
 WHERE tenant_id = %(tenant)s AND account_id = %(account_id)s AND asset = %(asset)s
   AND slot = 0
RETURNING 1

-- name: open_bounded_balance
-- A zero row to update: INSERT .. ON CONFLICT DO UPDATE would test the CHECK on
-- the proposed row before noticing the conflict, failing debits of a new row.
INSERT INTO balances (tenant_id, account_id, asset, slot, allow_negative)
VALUES (%(tenant)s, %(account_id)s, %(asset)s, 0, %(allow_negative)s)
ON CONFLICT (tenant_id, account_id, asset, slot) DO NOTHING

-- name: change_free_slot
-- An unbounded account's change goes to whichever of its slots no one else
-- holds right now, so concurrent writers never wait for each other.
WITH free AS MATERIALIZED (
    SELECT slot FROM balances
     WHERE tenant_id = %(tenant)s AND account_id = %(account_id)s AND asset = %(asset)s
     ORDER BY slot
     LIMIT 1
       FOR UPDATE SKIP LOCKED
)
UPDATE balances AS b
   SET posted_debits   = b.posted_debits   + %(posted_debits)s,
       posted_credits  = b.posted_credits  + %(posted_credits)s,
       pending_debits  = b.pending_debits  + %(pending_debits)s,
       pending_credits = b.pending_credits + %(pending_credits)s
  FROM free
 WHERE b.tenant_id = %(tenant)s AND b.account_id = %(account_id)s AND b.asset = %(asset)s
   AND b.slot = free.slot
RETURNING b.slot

-- name: change_slot
-- Every existing slot is busy (or there is none yet): open a slot number not in
-- use, so this writer does not queue either; when all 32 exist, join a random one.
INSERT INTO balances AS b
       (tenant_id, account_id, asset, slot, allow_negative,
        posted_debits, posted_credits, pending_debits, pending_credits)
SELECT %(tenant)s, %(account_id)s, %(asset)s,
       coalesce((SELECT s FROM generate_series(0, 31) AS s
                  WHERE NOT EXISTS (SELECT 1 FROM balances x
                                     WHERE x.tenant_id = %(tenant)s
                                       AND x.account_id = %(account_id)s
                                       AND x.asset = %(asset)s AND x.slot = s)
                  ORDER BY random()
                  LIMIT 1),
                %(slot)s),
       true, %(posted_debits)s, %(posted_credits)s, %(pending_debits)s, %(pending_credits)s
ON CONFLICT (tenant_id, account_id, asset, slot) DO UPDATE
   SET posted_debits   = b.posted_debits   + EXCLUDED.posted_debits,
       posted_credits  = b.posted_credits  + EXCLUDED.posted_credits,
       pending_debits  = b.pending_debits  + EXCLUDED.pending_debits,
       pending_credits = b.pending_credits + EXCLUDED.pending_credits

-- name: insert_hold
INSERT INTO holds
       (tenant_id, transaction_id, source_id, destination_id, asset, amount, expires_at)
VALUES (%(tenant)s, %(transaction_id)s, %(source_id)s, %(destination_id)s, %(asset)s,
        %(amount)s, %(expires_at)s)

-- name: resolve_hold
-- Locks the hold and records its one resolution.
UPDATE holds AS h SET resolved_by = %(transaction_id)s
  FROM accounts s, accounts d
 WHERE h.tenant_id = %(tenant)s AND h.transaction_id = %(hold_id)s AND h.resolved_by IS NULL
   AND s.tenant_id = h.tenant_id AND s.id = h.source_id
   AND d.tenant_id = h.tenant_id AND d.id = h.destination_id
RETURNING s.address, d.address, h.asset, h.amount, h.expires_at

-- name: lock_transaction
-- Serializes reversals of one original, so their total can be checked.
SELECT kind FROM transactions
 WHERE tenant_id = %(tenant)s AND id = %(id)s
   FOR NO KEY UPDATE

-- name: reversed_so_far
SELECT e.posting_index, sum(e.amount)::bigint
  FROM transactions t
  JOIN entries e ON e.tenant_id = t.tenant_id AND e.transaction_id = t.id AND e.is_credit
 WHERE t.tenant_id = %(tenant)s AND t.reverses_id = %(id)s
 GROUP BY e.posting_index

-- name: expired_open_holds
-- Redemption holds are left to the loyalty sweep, which also gives their lots back.
SELECT tenant_id, transaction_id FROM holds h
 WHERE resolved_by IS NULL AND expires_at <= %(now)s
   AND NOT EXISTS (SELECT 1 FROM authorizations a
                    WHERE a.tenant_id = h.tenant_id AND a.hold_id = h.transaction_id)
 ORDER BY expires_at
 LIMIT %(limit)s
