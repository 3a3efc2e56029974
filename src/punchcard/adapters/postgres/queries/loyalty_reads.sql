-- Reads of the loyalty layer.

-- name: programme_tenants
SELECT DISTINCT tenant_id FROM programmes ORDER BY tenant_id

-- name: programme
-- The settings only when they are not the version the caller has parsed already.
SELECT version, CASE WHEN version IS DISTINCT FROM %(known)s::int THEN settings END
  FROM programmes WHERE tenant_id = %(tenant)s

-- name: customer_by_id
SELECT id, external_ref, created_at FROM customers WHERE tenant_id = %(tenant)s AND id = %(id)s

-- name: customer_by_ref
SELECT id, external_ref, created_at FROM customers
 WHERE tenant_id = %(tenant)s AND external_ref = %(external_ref)s

-- name: customer_state
SELECT id, external_ref, deficit, debt, version FROM customers
 WHERE tenant_id = %(tenant)s AND id = %(id)s

-- name: customer_accounts_exist
SELECT EXISTS (SELECT 1 FROM accounts WHERE tenant_id = %(tenant)s AND address LIKE 'customer:%%')

-- name: open_lots
SELECT id, customer_id, kind, amount, remaining, issued_at, active_from, expires_at,
       value_points, value_minor, transaction_id, activated_by, order_id
  FROM lots
 WHERE tenant_id = %(tenant)s AND customer_id = ANY(%(customers)b::text[]) AND remaining > 0

-- name: customer_lots
SELECT id, customer_id, kind, amount, remaining, issued_at, active_from, expires_at,
       value_points, value_minor, transaction_id, activated_by, order_id
  FROM lots
 WHERE tenant_id = %(tenant)s AND customer_id = %(customer)s
   AND (remaining > 0 OR %(include_closed)s)
 ORDER BY id

-- name: order_lots
SELECT id FROM lots WHERE tenant_id = %(tenant)s AND order_id = %(order_id)s

-- name: hold_draws
SELECT lot_id, amount FROM lot_draws
 WHERE tenant_id = %(tenant)s AND transaction_id = %(hold_id)s AND reason = 'hold'
 ORDER BY id

-- name: order_totals
-- Locks the order row: refunds of one order run one at a time.
SELECT o.customer_id, o.amount, o.points,
       (SELECT coalesce(sum(r.points), 0)::bigint FROM redemptions r
         WHERE r.tenant_id = o.tenant_id AND r.order_id = o.order_id
           AND r.customer_id = o.customer_id),
       (SELECT coalesce(sum(f.amount), 0)::bigint FROM refunds f
         WHERE f.tenant_id = o.tenant_id AND f.order_id = o.order_id),
       (SELECT coalesce(sum(f.points_reversed), 0)::bigint FROM refunds f
         WHERE f.tenant_id = o.tenant_id AND f.order_id = o.order_id),
       (SELECT coalesce(sum(f.points_recredited), 0)::bigint FROM refunds f
         WHERE f.tenant_id = o.tenant_id AND f.order_id = o.order_id)
  FROM orders o
 WHERE o.tenant_id = %(tenant)s AND o.order_id = %(order_id)s
   FOR NO KEY UPDATE OF o

-- name: order_customer
SELECT customer_id FROM orders WHERE tenant_id = %(tenant)s AND order_id = %(order_id)s

-- name: authorization
SELECT a.customer_id, a.option, a.points, a.rate_points, a.rate_value, a.order_id, h.resolved_by
  FROM authorizations a
  JOIN holds h ON h.tenant_id = a.tenant_id AND h.transaction_id = a.hold_id
 WHERE a.tenant_id = %(tenant)s AND a.hold_id = %(hold_id)s

-- name: adjustment
SELECT id, customer_id, points, reason, requested_by, requested_at, status, decided_by,
       decided_at, note, transaction_id
  FROM adjustments
 WHERE tenant_id = %(tenant)s AND id = %(id)s

-- name: pending_adjustments
SELECT id, customer_id, points, reason, requested_by, requested_at, status, decided_by,
       decided_at, note, transaction_id
  FROM adjustments
 WHERE tenant_id = %(tenant)s AND status = 'pending'
 ORDER BY requested_at, id
 LIMIT %(limit)s

-- name: customers_due_activation
SELECT DISTINCT tenant_id, customer_id FROM lots
 WHERE activated_by IS NULL AND remaining > 0 AND active_from <= %(as_of)s
   AND (tenant_id, customer_id) > (%(after_tenant)s, %(after_customer)s)
 ORDER BY tenant_id, customer_id
 LIMIT %(limit)s

-- name: customers_due_expiry
SELECT DISTINCT customer_id FROM lots
 WHERE tenant_id = %(tenant)s AND remaining > 0 AND expires_at IS NOT NULL
   AND expires_at <= %(as_of)s AND activated_by IS NOT NULL
   AND customer_id > %(after)s
 ORDER BY customer_id
 LIMIT %(limit)s

-- name: expiring_points
SELECT customer_id, sum(remaining)::bigint, min(expires_at) FROM lots
 WHERE tenant_id = %(tenant)s AND remaining > 0 AND activated_by IS NOT NULL
   AND expires_at > %(as_of)s AND expires_at <= %(until)s
 GROUP BY customer_id
 ORDER BY min(expires_at), customer_id
 LIMIT %(limit)s

-- name: customer_balances
-- Every balance row of the customer's accounts, by address suffix.
SELECT a.address, b.asset,
       coalesce(sum(b.posted_credits - b.posted_debits), 0)::bigint,
       coalesce(sum(b.pending_debits), 0)::bigint
  FROM accounts a
  JOIN balances b ON b.tenant_id = a.tenant_id AND b.account_id = a.id
 WHERE a.tenant_id = %(tenant)s
   AND a.address = ANY(%(addresses)b::text[])
 GROUP BY a.address, b.asset

-- name: expired_authorizations
SELECT a.tenant_id, a.hold_id
  FROM holds h
  JOIN authorizations a ON a.tenant_id = h.tenant_id AND a.hold_id = h.transaction_id
 WHERE h.resolved_by IS NULL AND h.expires_at <= %(now)s
 ORDER BY h.expires_at
 LIMIT %(limit)s

-- name: operation_inputs
SELECT o.kind, o.inputs, o.result FROM operations o
 WHERE o.tenant_id = %(tenant)s AND o.id = %(id)s
