-- Sealing and verification: the hash chain and the recomputation of every
-- projection from the journal.

-- name: try_seal_lock
SELECT pg_try_advisory_xact_lock(hashtextextended('punchcard.seal:' || %(tenant)s, 0))

-- name: seal_head
SELECT seq, xid::text AS xid_text, transaction_id, hash FROM seals
 WHERE tenant_id = %(tenant)s
 ORDER BY seq DESC
 LIMIT 1

-- name: seal_candidates
-- Only transactions older than every running one (xid below the snapshot's
-- xmin) are final: none of them can still commit, so none can appear later
-- behind the chain's head.
-- (The text form gets its own name: a bare "ORDER BY xid" would sort the text.)
SELECT t.id, t.xid::text AS xid_text FROM transactions t
 WHERE t.tenant_id = %(tenant)s
   AND (t.xid, t.id) > (%(after_xid)s::xid8, %(after_id)s)
   AND t.xid < pg_snapshot_xmin(pg_current_snapshot())
 ORDER BY t.xid, t.id
 LIMIT %(limit)s

-- name: material_transactions
SELECT id, kind, idempotency_key, request_hash, effective_at, recorded_at, metadata, hold_id,
       reverses_id, xid::text AS xid_text
  FROM transactions
 WHERE tenant_id = %(tenant)s AND id = ANY(%(ids)b::bigint[])

-- name: material_entries
SELECT e.transaction_id, e.posting_index, e.is_credit, a.address, e.asset, e.amount,
       e.effective_at
  FROM entries e
  LEFT JOIN accounts a ON a.tenant_id = e.tenant_id AND a.id = e.account_id
 WHERE e.tenant_id = %(tenant)s AND e.transaction_id = ANY(%(ids)b::bigint[])

-- name: material_holds
SELECT h.transaction_id, s.address, d.address, h.asset, h.amount, h.expires_at
  FROM holds h
  LEFT JOIN accounts s ON s.tenant_id = h.tenant_id AND s.id = h.source_id
  LEFT JOIN accounts d ON d.tenant_id = h.tenant_id AND d.id = h.destination_id
 WHERE h.tenant_id = %(tenant)s AND h.transaction_id = ANY(%(ids)b::bigint[])

-- name: insert_seals
INSERT INTO seals (tenant_id, seq, transaction_id, xid, hash)
SELECT %(tenant)s, s.seq, s.transaction_id, s.xid::xid8, s.hash
  FROM unnest(%(seq)b::bigint[], %(transaction_id)b::bigint[], %(xid)b::text[],
              %(hash)b::bytea[]) AS s(seq, transaction_id, xid, hash)

-- name: seals_page
SELECT seq, transaction_id, xid::text AS xid_text, hash FROM seals
 WHERE tenant_id = %(tenant)s AND seq > %(after)s
 ORDER BY seq
 LIMIT %(limit)s

-- name: unsealed_behind_head
-- A transaction the sealer must already have seen but that has no seal was
-- inserted behind the service's back.
SELECT t.id FROM transactions t
 WHERE t.tenant_id = %(tenant)s AND (t.xid, t.id) <= (%(xid)s::xid8, %(id)s)
   AND NOT EXISTS (SELECT 1 FROM seals s
                    WHERE s.tenant_id = t.tenant_id AND s.transaction_id = t.id)
 ORDER BY t.id
 LIMIT 20

-- name: unsealed_count
SELECT count(*) FROM transactions t
 WHERE t.tenant_id = %(tenant)s
   AND NOT EXISTS (SELECT 1 FROM seals s
                    WHERE s.tenant_id = t.tenant_id AND s.transaction_id = t.id)

-- name: unbalanced_transactions
SELECT transaction_id, asset, sum(CASE WHEN is_credit THEN amount ELSE -amount END)::bigint
  FROM entries
 WHERE tenant_id = %(tenant)s
 GROUP BY transaction_id, asset
HAVING sum(CASE WHEN is_credit THEN amount ELSE -amount END) <> 0
 ORDER BY transaction_id
 LIMIT 20

-- name: asset_totals
SELECT asset, sum(CASE WHEN is_credit THEN amount ELSE -amount END)::bigint
  FROM entries
 WHERE tenant_id = %(tenant)s
 GROUP BY asset
 ORDER BY asset

-- name: balance_drift
-- Every stored balance against the journal: posted from entries, pending from
-- the holds not yet resolved.
WITH journal AS (
    SELECT account_id, asset,
           sum(amount) FILTER (WHERE NOT is_credit) AS posted_debits,
           sum(amount) FILTER (WHERE is_credit) AS posted_credits,
           0 AS pending_debits, 0 AS pending_credits
      FROM entries WHERE tenant_id = %(tenant)s
     GROUP BY account_id, asset
    UNION ALL
    SELECT source_id, asset, 0, 0, amount, 0
      FROM holds WHERE tenant_id = %(tenant)s AND resolved_by IS NULL
    UNION ALL
    SELECT destination_id, asset, 0, 0, 0, amount
      FROM holds WHERE tenant_id = %(tenant)s AND resolved_by IS NULL
), expected AS (
    SELECT account_id, asset,
           coalesce(sum(posted_debits), 0) AS posted_debits,
           coalesce(sum(posted_credits), 0) AS posted_credits,
           sum(pending_debits) AS pending_debits, sum(pending_credits) AS pending_credits
      FROM journal GROUP BY account_id, asset
), stored AS (
    SELECT account_id, asset,
           sum(posted_debits) AS posted_debits, sum(posted_credits) AS posted_credits,
           sum(pending_debits) AS pending_debits, sum(pending_credits) AS pending_credits
      FROM balances WHERE tenant_id = %(tenant)s
     GROUP BY account_id, asset
)
SELECT coalesce(a.address, '#' || account_id::text), asset,
       ARRAY[coalesce(e.posted_debits, 0), coalesce(e.posted_credits, 0),
             coalesce(e.pending_debits, 0), coalesce(e.pending_credits, 0)]::bigint[],
       ARRAY[coalesce(s.posted_debits, 0), coalesce(s.posted_credits, 0),
             coalesce(s.pending_debits, 0), coalesce(s.pending_credits, 0)]::bigint[]
  FROM expected e
  FULL JOIN stored s USING (account_id, asset)
  LEFT JOIN accounts a ON a.tenant_id = %(tenant)s AND a.id = account_id
 WHERE (coalesce(e.posted_debits, 0), coalesce(e.posted_credits, 0),
        coalesce(e.pending_debits, 0), coalesce(e.pending_credits, 0))
       IS DISTINCT FROM
       (coalesce(s.posted_debits, 0), coalesce(s.posted_credits, 0),
        coalesce(s.pending_debits, 0), coalesce(s.pending_credits, 0))
 ORDER BY 1, 2
 LIMIT 20

-- name: structural_problems
-- Cross-table facts the schema cannot express as constraints.
SELECT 'entry effective time differs from its transaction: ' || e.transaction_id
  FROM entries e JOIN transactions t ON t.tenant_id = e.tenant_id AND t.id = e.transaction_id
 WHERE e.tenant_id = %(tenant)s AND e.effective_at <> t.effective_at
UNION ALL
SELECT 'hold ' || h.transaction_id || ' is marked resolved by ' || h.resolved_by
       || ', which does not resolve it'
  FROM holds h
  LEFT JOIN transactions t ON t.tenant_id = h.tenant_id AND t.id = h.resolved_by
 WHERE h.tenant_id = %(tenant)s AND h.resolved_by IS NOT NULL
   AND t.hold_id IS DISTINCT FROM h.transaction_id
UNION ALL
SELECT 'transaction ' || t.id || ' resolves hold ' || t.hold_id || ', which does not say so'
  FROM transactions t
  JOIN holds h ON h.tenant_id = t.tenant_id AND h.transaction_id = t.hold_id
 WHERE t.tenant_id = %(tenant)s AND h.resolved_by IS DISTINCT FROM t.id
UNION ALL
SELECT 'bounded account ' || a.address || ' has a balance outside slot 0'
  FROM balances b JOIN accounts a ON a.tenant_id = b.tenant_id AND a.id = b.account_id
 WHERE b.tenant_id = %(tenant)s AND a.kind = 'bounded' AND b.slot <> 0
UNION ALL
SELECT 'balance of ' || a.address || ' in ' || b.asset || ' disagrees with the account policy'
  FROM balances b JOIN accounts a ON a.tenant_id = b.tenant_id AND a.id = b.account_id
 WHERE b.tenant_id = %(tenant)s AND b.allow_negative <> a.allow_negative
UNION ALL
SELECT 'account ' || a.address || ' may not go negative but has ' || b.asset || ' available '
       || (b.posted_credits - b.posted_debits - b.pending_debits)
  FROM balances b JOIN accounts a ON a.tenant_id = b.tenant_id AND a.id = b.account_id
 WHERE b.tenant_id = %(tenant)s AND NOT a.allow_negative
   AND b.posted_credits - b.posted_debits - b.pending_debits < 0
LIMIT 20
