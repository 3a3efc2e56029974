-- Finance reports, read from the journal, lots and draws.

-- name: holdings_as_of
-- What customers held (points and pending accounts) at an effective time.
SELECT coalesce(sum(CASE WHEN e.is_credit THEN e.amount ELSE -e.amount END), 0)::bigint
  FROM entries e
  JOIN accounts a ON a.tenant_id = e.tenant_id AND a.id = e.account_id
 WHERE e.tenant_id = %(tenant)s AND e.asset = %(asset)s AND e.effective_at < %(at)s
   AND a.address LIKE 'customer:%%' AND (a.address LIKE '%%:points' OR a.address LIKE '%%:pending')

-- name: holdings_now
-- The same total from the balances the ledger keeps (the projection).
SELECT coalesce(sum(b.posted_credits - b.posted_debits), 0)::bigint
  FROM balances b
  JOIN accounts a ON a.tenant_id = b.tenant_id AND a.id = b.account_id
 WHERE b.tenant_id = %(tenant)s AND b.asset = %(asset)s
   AND a.address LIKE 'customer:%%' AND (a.address LIKE '%%:points' OR a.address LIKE '%%:pending')

-- name: period_postings
SELECT s.address, d.address, c.amount
  FROM entries c
  JOIN entries x ON x.tenant_id = c.tenant_id AND x.transaction_id = c.transaction_id
                AND x.posting_index = c.posting_index AND NOT x.is_credit
  JOIN accounts d ON d.tenant_id = c.tenant_id AND d.id = c.account_id
  JOIN accounts s ON s.tenant_id = x.tenant_id AND s.id = x.account_id
 WHERE c.tenant_id = %(tenant)s AND c.is_credit AND c.asset = %(asset)s
   AND c.effective_at >= %(start)s AND c.effective_at < %(end)s

-- name: issued_by_kind
SELECT kind, sum(amount)::bigint FROM lots
 WHERE tenant_id = %(tenant)s AND kind IN ('earned', 'bonus', 'engagement')
   AND issued_at >= %(start)s AND issued_at < %(end)s
 GROUP BY kind ORDER BY kind

-- name: all_open_lots
SELECT id, customer_id, kind, amount, remaining, issued_at, active_from, expires_at,
       value_points, value_minor, transaction_id, activated_by, order_id
  FROM lots WHERE tenant_id = %(tenant)s AND remaining > 0

-- name: held_by_open_holds
-- Points open redemption holds drew from lots, with each lot's value per point.
SELECT sum(d.amount)::bigint, l.value_points, l.value_minor
  FROM lot_draws d
  JOIN holds h ON h.tenant_id = d.tenant_id AND h.transaction_id = d.transaction_id
  JOIN lots l ON l.tenant_id = d.tenant_id AND l.id = d.lot_id
 WHERE d.tenant_id = %(tenant)s AND d.reason = 'hold' AND h.resolved_by IS NULL
 GROUP BY l.value_points, l.value_minor

-- name: fates
-- Points whose fate is known: redeemed (net of refunded redemptions) and expired.
SELECT coalesce(sum(amount) FILTER (WHERE reason IN ('redeem', 'hold')), 0)::bigint
     - coalesce(sum(amount) FILTER (WHERE reason = 'release'), 0)::bigint,
       coalesce(sum(amount) FILTER (WHERE reason = 'expire'), 0)::bigint
  FROM lot_draws WHERE tenant_id = %(tenant)s

-- name: orders_in_period
SELECT order_id, amount, points FROM orders
 WHERE tenant_id = %(tenant)s AND occurred_at >= %(start)s AND occurred_at < %(end)s

-- name: orders_by_id
SELECT order_id, amount, points FROM orders
 WHERE tenant_id = %(tenant)s AND order_id = ANY(%(ids)b::text[])

-- name: lot_events
-- Points lots gained and lost before the end (and from the start, unless it is
-- null), by kind of event and value per point. A lot counts when the transaction
-- that created it is effective, a draw when its transaction is, except a hold's
-- draws, which count when the hold is resolved (until then the points are still
-- held; a void's or expiry's releases give them back at the same moment). An
-- activation moves what a pending lot still had (only cancellations draw one).
SELECT event, detail, operation, sum(points)::bigint, value_points, value_minor FROM (
    SELECT 'lot' AS event, l.kind AS detail, t.metadata->>'operation' AS operation,
           l.amount AS points, l.value_points, l.value_minor
      FROM lots l
      JOIN transactions t ON t.tenant_id = l.tenant_id AND t.id = l.transaction_id
     WHERE l.tenant_id = %(tenant)s AND t.effective_at < %(end)s
       AND (%(start)s::timestamptz IS NULL OR t.effective_at >= %(start)s)
    UNION ALL
    SELECT 'draw', d.reason, NULL, d.amount, l.value_points, l.value_minor
      FROM lot_draws d
      JOIN lots l ON l.tenant_id = d.tenant_id AND l.id = d.lot_id
      LEFT JOIN holds h ON d.reason = 'hold' AND h.tenant_id = d.tenant_id
                       AND h.transaction_id = d.transaction_id
      JOIN transactions t ON t.tenant_id = d.tenant_id
                         AND t.id = CASE WHEN d.reason = 'hold' THEN h.resolved_by
                                         ELSE d.transaction_id END
     WHERE d.tenant_id = %(tenant)s AND t.effective_at < %(end)s
       AND (%(start)s::timestamptz IS NULL OR t.effective_at >= %(start)s)
    UNION ALL
    SELECT 'activate', l.kind, NULL,
           l.amount - coalesce((SELECT sum(c.amount) FROM lot_draws c
                                 WHERE c.tenant_id = l.tenant_id AND c.lot_id = l.id
                                   AND c.reason = 'cancel'), 0),
           l.value_points, l.value_minor
      FROM lots l
      JOIN transactions t ON t.tenant_id = l.tenant_id AND t.id = l.activated_by
     WHERE l.tenant_id = %(tenant)s AND l.activated_by <> l.transaction_id
       AND t.effective_at < %(end)s
       AND (%(start)s::timestamptz IS NULL OR t.effective_at >= %(start)s)
) moved
 GROUP BY event, detail, operation, value_points, value_minor
 ORDER BY event, detail, operation, value_points, value_minor

-- name: period_write_offs
-- Each refund's write-off in a period, beside the lots its order's earn created.
SELECT t.id, x.amount, coalesce(l.amount, 0), coalesce(l.value_points, 1),
       coalesce(l.value_minor, 0)
  FROM entries x
  JOIN accounts a ON a.tenant_id = x.tenant_id AND a.id = x.account_id
  JOIN transactions t ON t.tenant_id = x.tenant_id AND t.id = x.transaction_id
  LEFT JOIN orders o ON o.tenant_id = t.tenant_id AND o.order_id = t.metadata->>'order_id'
  LEFT JOIN lots l ON l.tenant_id = o.tenant_id AND l.transaction_id = o.transaction_id
 WHERE x.tenant_id = %(tenant)s AND NOT x.is_credit AND x.asset = %(asset)s
   AND a.address = 'program:writeoff'
   AND x.effective_at >= %(start)s AND x.effective_at < %(end)s
