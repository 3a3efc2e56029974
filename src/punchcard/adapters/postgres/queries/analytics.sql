-- Programme analytics, read from the journal, the orders, the earns' breakdowns
-- and the inputs a ruleset rated them on. See punchcard.domain.finance.analytics.

-- name: analytics_daily
-- Points issued (issuance to a customer) and redeemed (a customer to redeemed),
-- gross, per local day.
SELECT (c.effective_at AT TIME ZONE %(zone)s)::date,
       coalesce(sum(c.amount) FILTER (WHERE s.address = 'program:issuance'), 0)::bigint,
       coalesce(sum(c.amount) FILTER (WHERE d.address = 'program:redeemed'), 0)::bigint
  FROM entries c
  JOIN entries x ON x.tenant_id = c.tenant_id AND x.transaction_id = c.transaction_id
                AND x.posting_index = c.posting_index AND NOT x.is_credit
  JOIN accounts d ON d.tenant_id = c.tenant_id AND d.id = c.account_id
  JOIN accounts s ON s.tenant_id = x.tenant_id AND s.id = x.account_id
 WHERE c.tenant_id = %(tenant)s AND c.is_credit AND c.asset = %(asset)s
   AND c.effective_at >= %(start)s AND c.effective_at < %(end)s
   AND ((s.address = 'program:issuance' AND d.address LIKE 'customer:%%'
         AND (d.address LIKE '%%:points' OR d.address LIKE '%%:pending'))
        OR (d.address = 'program:redeemed' AND s.address LIKE 'customer:%%:points'))
 GROUP BY 1 ORDER BY 1

-- name: analytics_active_members
-- Customers who earned or redeemed in the period, and customers enrolled by its end.
SELECT (SELECT count(DISTINCT split_part(
                 CASE WHEN s.address = 'program:issuance' THEN d.address ELSE s.address END,
                 ':', 2))
          FROM entries c
          JOIN entries x ON x.tenant_id = c.tenant_id AND x.transaction_id = c.transaction_id
                        AND x.posting_index = c.posting_index AND NOT x.is_credit
          JOIN accounts d ON d.tenant_id = c.tenant_id AND d.id = c.account_id
          JOIN accounts s ON s.tenant_id = x.tenant_id AND s.id = x.account_id
         WHERE c.tenant_id = %(tenant)s AND c.is_credit AND c.asset = %(asset)s
           AND c.effective_at >= %(start)s AND c.effective_at < %(end)s
           AND ((s.address = 'program:issuance' AND d.address LIKE 'customer:%%'
                 AND (d.address LIKE '%%:points' OR d.address LIKE '%%:pending'))
                OR (d.address = 'program:redeemed' AND s.address LIKE 'customer:%%:points'))),
       (SELECT count(*) FROM customers
         WHERE tenant_id = %(tenant)s AND created_at < %(end)s)

-- name: analytics_tiers
-- Each member's tier as of the end: the latest change before it (NULL: never moved).
SELECT (SELECT tc.to_tier FROM tier_changes tc
         WHERE tc.tenant_id = c.tenant_id AND tc.customer_id = c.id AND tc.changed_at < %(end)s
         ORDER BY tc.changed_at DESC, tc.id DESC LIMIT 1),
       count(*)
  FROM customers c
 WHERE c.tenant_id = %(tenant)s AND c.created_at < %(end)s
 GROUP BY 1

-- name: analytics_campaigns
-- Points each rule awarded, per ruleset version (NULL: the fixed rate), with the
-- value per point of the lots the earn created (one value per transaction).
SELECT a->>'rule', (t.metadata->'breakdown'->>'ruleset_version')::integer,
       count(DISTINCT t.id), sum((a->>'points')::bigint)::bigint,
       v.value_points, v.value_minor
  FROM transactions t
 CROSS JOIN LATERAL jsonb_array_elements(t.metadata->'breakdown'->'awards') a
  JOIN LATERAL (SELECT l.value_points, l.value_minor FROM lots l
                 WHERE l.tenant_id = t.tenant_id AND l.transaction_id = t.id
                 LIMIT 1) v ON true
 WHERE t.tenant_id = %(tenant)s AND t.metadata->>'operation' = 'earn'
   AND t.effective_at >= %(start)s AND t.effective_at < %(end)s
   AND (a->>'points')::bigint > 0
 GROUP BY 1, 2, 5, 6

-- name: analytics_orders
-- The period's orders: how many, what they cost, the points they earned, and how
-- many kept no line items.
SELECT count(*), coalesce(sum(o.amount), 0)::bigint, coalesce(sum(o.points), 0)::bigint,
       count(*) FILTER (WHERE coalesce(jsonb_array_length(op.inputs->'event'->'items'), 0) = 0)
  FROM orders o
  JOIN operations op ON op.tenant_id = o.tenant_id AND op.id = o.operation_id
 WHERE o.tenant_id = %(tenant)s AND o.occurred_at >= %(start)s AND o.occurred_at < %(end)s

-- name: analytics_category_spend
-- Per category of the items kept with each order: orders and spend.
SELECT i->>'category', count(DISTINCT o.order_id), sum((i->>'amount')::bigint)::bigint
  FROM orders o
  JOIN operations op ON op.tenant_id = o.tenant_id AND op.id = o.operation_id
 CROSS JOIN LATERAL jsonb_array_elements(coalesce(op.inputs->'event'->'items', '[]')) i
 WHERE o.tenant_id = %(tenant)s AND o.occurred_at >= %(start)s AND o.occurred_at < %(end)s
 GROUP BY 1

-- name: analytics_category_points
-- Points of the lines that name an item, by that item's category (the first item
-- of the order with that sku).
SELECT (SELECT i->>'category'
          FROM jsonb_array_elements(coalesce(op.inputs->'event'->'items', '[]')) i
         WHERE i->>'sku' = l->>'item' LIMIT 1),
       sum((l->>'points')::bigint)::bigint
  FROM orders o
  JOIN operations op ON op.tenant_id = o.tenant_id AND op.id = o.operation_id
  JOIN transactions t ON t.tenant_id = o.tenant_id AND t.id = o.transaction_id
 CROSS JOIN LATERAL jsonb_array_elements(coalesce(t.metadata->'breakdown'->'lines', '[]')) l
 WHERE o.tenant_id = %(tenant)s AND o.occurred_at >= %(start)s AND o.occurred_at < %(end)s
   AND l->>'item' IS NOT NULL
 GROUP BY 1
