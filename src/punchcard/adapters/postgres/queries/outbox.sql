-- name: claim_cursor
INSERT INTO outbox_cursors (sink) VALUES (%(sink)s) ON CONFLICT (sink) DO NOTHING

-- name: lock_sink
-- An advisory lock, not FOR UPDATE: a row lock would give the reader a transaction
-- id, and an open reader with one holds every sink's snapshot horizon back.
SELECT pg_try_advisory_xact_lock(hashtext('punchcard.outbox.' || %(sink)s))

-- name: sink_cursor
SELECT txid, last_id FROM outbox_cursors WHERE sink = %(sink)s

-- name: events_after
-- Only events of transactions older than any still running: none can appear
-- behind the cursor later.
SELECT id, txid, event_id, tenant_id, type, subject, data, occurred_at
FROM outbox
WHERE (txid, id) > (%(txid)s::xid8, %(last_id)s)
  AND txid < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY txid, id
LIMIT %(limit)s

-- name: advance_cursor
UPDATE outbox_cursors SET txid = %(txid)s::xid8, last_id = %(last_id)s, updated_at = now()
WHERE sink = %(sink)s

-- name: event_by_id
SELECT id, txid, event_id, tenant_id, type, subject, data, occurred_at
FROM outbox WHERE tenant_id = %(tenant)s AND event_id = %(event_id)s

-- name: events_of_tenant
SELECT id, txid, event_id, tenant_id, type, subject, data, occurred_at
FROM outbox
WHERE tenant_id = %(tenant)s AND id < %(before)s
  AND (%(type)s::text IS NULL OR type = %(type)s)
  AND (%(subject)s::text IS NULL OR subject = %(subject)s)
ORDER BY id DESC
LIMIT %(limit)s

-- name: lots_to_warn
-- Active lots expiring within the window that no warning has named yet.
SELECT l.customer_id, l.id, l.remaining, l.expires_at
FROM lots l
WHERE l.tenant_id = %(tenant)s AND l.remaining > 0 AND l.activated_by IS NOT NULL
  AND l.expires_at > %(start)s AND l.expires_at <= %(until)s
  AND NOT EXISTS (SELECT 1 FROM expiry_warnings w
                  WHERE w.tenant_id = l.tenant_id AND w.lot_id = l.id)
ORDER BY l.customer_id, l.expires_at, l.id
LIMIT %(limit)s

-- name: record_warnings
INSERT INTO expiry_warnings (tenant_id, lot_id)
SELECT %(tenant)s, unnest(%(lots)b::bigint[])
ON CONFLICT DO NOTHING
RETURNING lot_id

-- name: add_event
-- Outbox rows in the order given (ids follow it).
INSERT INTO outbox (tenant_id, type, subject, data, occurred_at)
SELECT %(tenant)s, x.type, x.subject, x.data, coalesce(x.occurred_at, now())
  FROM unnest(%(types)b::text[], %(subjects)b::text[], %(data)b::jsonb[],
              %(occurred_at)b::timestamptz[]) WITH ORDINALITY AS x(type, subject, data, occurred_at, n)
 ORDER BY x.n
