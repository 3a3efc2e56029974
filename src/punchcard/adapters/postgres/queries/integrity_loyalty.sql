-- Verification of the loyalty layer: lots against their draws, lots against the
-- ledger's balances, refunds against their orders, holds against their draws.
-- Each query returns one line per problem.

-- name: has_programme
SELECT EXISTS (SELECT 1 FROM programmes WHERE tenant_id = %(tenant)s)

-- name: lot_problems
WITH net AS (
    SELECT lot_id, sum(CASE WHEN reason = 'release' THEN -amount ELSE amount END) AS taken
      FROM lot_draws WHERE tenant_id = %(tenant)s GROUP BY lot_id
)
SELECT CASE
         WHEN coalesce(n.taken, 0) > l.amount OR coalesce(n.taken, 0) < 0 THEN
           format('lot %%s of %%s: draws of %%s exceed its amount %%s',
                  l.id, l.customer_id, coalesce(n.taken, 0), l.amount)
         ELSE
           format('lot %%s of %%s: remaining is %%s, but its amount %%s less its draws is %%s',
                  l.id, l.customer_id, l.remaining, l.amount, l.amount - coalesce(n.taken, 0))
       END
  FROM lots l
  LEFT JOIN net n ON n.lot_id = l.id
 WHERE l.tenant_id = %(tenant)s
   AND (l.remaining <> l.amount - coalesce(n.taken, 0)
        OR coalesce(n.taken, 0) > l.amount OR coalesce(n.taken, 0) < 0)
 ORDER BY l.id

-- name: lot_balance_problems
-- Per customer: active lots less a negative balance's deficit = the points
-- account's available balance; pending lots = the pending account; the clawback
-- debt = minus the clawback account.
WITH asset AS (
    SELECT settings->>'points_asset' AS code FROM programmes WHERE tenant_id = %(tenant)s
), lot_sums AS (
    SELECT customer_id,
           coalesce(sum(remaining) FILTER (WHERE activated_by IS NOT NULL), 0) AS active,
           coalesce(sum(remaining) FILTER (WHERE activated_by IS NULL), 0) AS pending
      FROM lots WHERE tenant_id = %(tenant)s AND remaining > 0
     GROUP BY customer_id
), bal AS (
    SELECT a.address, sum(b.posted_credits - b.posted_debits) AS posted,
           sum(b.pending_debits) AS held
      FROM accounts a
      JOIN balances b ON b.tenant_id = a.tenant_id AND b.account_id = a.id
     WHERE a.tenant_id = %(tenant)s AND a.address LIKE 'customer:%%'
       AND b.asset = (SELECT code FROM asset)
     GROUP BY a.address
), compared AS (
    SELECT c.id, c.deficit, c.debt,
           coalesce(s.active, 0) AS active_lots, coalesce(s.pending, 0) AS pending_lots,
           coalesce(p.posted, 0) - coalesce(p.held, 0) AS available,
           coalesce(q.posted, 0) AS pending_balance, -coalesce(k.posted, 0) AS owed
      FROM customers c
      LEFT JOIN lot_sums s ON s.customer_id = c.id
      LEFT JOIN bal p ON p.address = 'customer:' || c.id || ':points'
      LEFT JOIN bal q ON q.address = 'customer:' || c.id || ':pending'
      LEFT JOIN bal k ON k.address = 'customer:' || c.id || ':clawback'
     WHERE c.tenant_id = %(tenant)s
)
SELECT format('%%s: active lots %%s less deficit %%s is not the available balance %%s',
              id, active_lots, deficit, available)
  FROM compared WHERE active_lots - deficit <> available
UNION ALL
SELECT format('%%s: pending lots %%s are not the pending balance %%s', id, pending_lots,
              pending_balance)
  FROM compared WHERE pending_lots <> pending_balance
UNION ALL
SELECT format('%%s: recorded debt %%s is not the clawback balance %%s', id, debt, owed)
  FROM compared WHERE debt <> owed

-- name: refund_problems
WITH r AS (
    SELECT order_id, sum(amount) AS amount, sum(points_reversed) AS reversed,
           sum(points_recredited) AS recredited
      FROM refunds WHERE tenant_id = %(tenant)s GROUP BY order_id
), d AS (
    SELECT r.order_id, sum(r.points) AS points
      FROM redemptions r
      JOIN orders o ON o.tenant_id = r.tenant_id AND o.order_id = r.order_id
                   AND o.customer_id = r.customer_id
     WHERE r.tenant_id = %(tenant)s
     GROUP BY r.order_id
)
SELECT format('order %%s: refunds of %%s (%%s points reversed, %%s re-credited) exceed the order '
              '(%%s, %%s points earned, %%s redeemed on it)', o.order_id, r.amount, r.reversed,
              r.recredited, o.amount, o.points, coalesce(d.points, 0))
  FROM orders o
  JOIN r ON r.order_id = o.order_id
  LEFT JOIN d ON d.order_id = o.order_id
 WHERE o.tenant_id = %(tenant)s
   AND (r.amount > o.amount OR r.reversed > o.points OR r.recredited > coalesce(d.points, 0))

-- name: authorization_problems
-- A hold draws exactly its points from lots; once resolved, what it captured
-- plus what it released adds back up to them.
WITH drawn AS (
    SELECT transaction_id, sum(amount) AS points
      FROM lot_draws WHERE tenant_id = %(tenant)s AND reason = 'hold' GROUP BY transaction_id
), released AS (
    SELECT transaction_id, sum(amount) AS points
      FROM lot_draws WHERE tenant_id = %(tenant)s AND reason = 'release' GROUP BY transaction_id
)
SELECT format('authorization %%s: drew %%s points from lots for a hold of %%s, captured %%s, '
              'released %%s', a.hold_id, coalesce(dr.points, 0), a.points,
              coalesce(rd.points, 0), coalesce(rl.points, 0))
  FROM authorizations a
  JOIN holds h ON h.tenant_id = a.tenant_id AND h.transaction_id = a.hold_id
  LEFT JOIN drawn dr ON dr.transaction_id = a.hold_id
  LEFT JOIN released rl ON rl.transaction_id = h.resolved_by
  LEFT JOIN redemptions rd ON rd.tenant_id = a.tenant_id AND rd.transaction_id = h.resolved_by
 WHERE a.tenant_id = %(tenant)s
   AND (coalesce(dr.points, 0) <> a.points
        OR (h.resolved_by IS NOT NULL
            AND coalesce(rd.points, 0) + coalesce(rl.points, 0) <> a.points))
