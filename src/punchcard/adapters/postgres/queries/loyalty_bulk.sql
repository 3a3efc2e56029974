-- Many earns at once (service_layer/loyalty/bulk.py): one statement per table for
-- a group of events of one tenant, each customer at most once in the group. An
-- UPDATE .. FROM unnest also says = ANY(ids), so that it looks up just those rows
-- by index whatever the statistics say (a hash join would read the tenant's all).

-- name: claim_operations
-- Sorted by key, so two groups claiming overlapping keys cannot deadlock; a key
-- already taken returns no row (the caller replays it or refuses it).
INSERT INTO operations (tenant_id, idempotency_key, kind, request_hash)
SELECT %(tenant)s, x.key, x.kind, x.request_hash
  FROM unnest(%(keys)b::text[], %(kinds)b::text[], %(request_hashes)b::bytea[])
       AS x(key, kind, request_hash)
 ORDER BY x.key
ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
RETURNING id, idempotency_key

-- name: operations_by_keys
SELECT idempotency_key, id, kind, request_hash, result FROM operations
 WHERE tenant_id = %(tenant)s AND idempotency_key = ANY(%(keys)b::text[])

-- name: finish_operations
UPDATE operations AS o SET result = x.result, inputs = x.inputs
  FROM unnest(%(ids)b::bigint[], %(results)b::jsonb[], %(inputs)b::jsonb[]) AS x(id, result, inputs)
 WHERE o.tenant_id = %(tenant)s AND o.id = ANY(%(ids)b::bigint[]) AND o.id = x.id

-- name: published_rulesets
-- Newest first, as lock_customers picks the version active at a time.
SELECT version, activate_at FROM rulesets
 WHERE tenant_id = %(tenant)s AND status = 'published'
 ORDER BY activate_at DESC, version DESC

-- name: rule_usage_many
SELECT x.holder, u.rule_id, u.period_key, u.used
  FROM unnest(%(holders)b::text[], %(rules)b::text[], %(periods)b::text[])
       AS x(holder, rule_id, period_key)
  JOIN rule_usage u ON u.tenant_id = %(tenant)s AND u.holder = x.holder
                   AND u.rule_id = x.rule_id AND u.period_key = x.period_key

-- name: count_events
UPDATE customers AS c
   SET event_counts = c.event_counts || jsonb_build_object(
           x.kind, coalesce((c.event_counts->>x.kind)::bigint, 0) + 1)
  FROM unnest(%(customers)b::text[], %(kinds)b::text[]) AS x(id, kind)
 WHERE c.tenant_id = %(tenant)s AND c.id = ANY(%(customers)b::text[]) AND c.id = x.id

-- name: points_measures
-- points_measure for many customers, each with its own window.
SELECT x.customer_id,
       (SELECT coalesce(sum(amount), 0) FROM lots
         WHERE tenant_id = %(tenant)s AND customer_id = x.customer_id
           AND kind IN ('earned', 'bonus', 'engagement') AND issued_at >= x.since)
     - (SELECT coalesce(sum(points_reversed), 0) FROM refunds
         WHERE tenant_id = %(tenant)s AND customer_id = x.customer_id
           AND recorded_at >= x.since)
  FROM unnest(%(customers)b::text[], %(since)b::timestamptz[]) AS x(customer_id, since)

-- name: spend_measures
SELECT x.customer_id,
       (SELECT coalesce(sum(amount), 0) FROM orders
         WHERE tenant_id = %(tenant)s AND customer_id = x.customer_id
           AND occurred_at >= x.since)
     - (SELECT coalesce(sum(amount), 0) FROM refunds
         WHERE tenant_id = %(tenant)s AND customer_id = x.customer_id
           AND recorded_at >= x.since)
  FROM unnest(%(customers)b::text[], %(since)b::timestamptz[]) AS x(customer_id, since)

-- name: insert_lots_many
-- insert_lots with a transaction per lot; identity values follow the ORDER BY.
INSERT INTO lots
       (tenant_id, customer_id, kind, amount, remaining, issued_at, active_from, expires_at,
        value_points, value_minor, transaction_id, activated_by, order_id)
SELECT %(tenant)s, x.customer_id, x.kind, x.amount, x.amount, x.issued_at, x.active_from,
       x.expires_at, %(value_points)s, %(value_minor)s, x.transaction_id,
       CASE WHEN x.pending THEN NULL ELSE x.transaction_id END, x.order_id
  FROM unnest(%(transaction_ids)b::bigint[], %(customer_ids)b::text[], %(kinds)b::text[],
              %(amounts)b::bigint[], %(issued_at)b::timestamptz[],
              %(active_from)b::timestamptz[], %(expires_at)b::timestamptz[],
              %(pending)b::boolean[], %(order_ids)b::text[])
       WITH ORDINALITY AS x(transaction_id, customer_id, kind, amount, issued_at, active_from,
                            expires_at, pending, order_id, n)
 ORDER BY x.n
RETURNING id

-- name: insert_orders
INSERT INTO orders
       (tenant_id, order_id, customer_id, amount, currency, points, occurred_at, operation_id,
        transaction_id)
SELECT %(tenant)s, x.order_id, x.customer_id, x.amount, x.currency, x.points, x.occurred_at,
       x.operation_id, x.transaction_id
  FROM unnest(%(order_ids)b::text[], %(customer_ids)b::text[], %(amounts)b::bigint[],
              %(currencies)b::text[], %(points)b::bigint[], %(occurred_at)b::timestamptz[],
              %(operation_ids)b::bigint[], %(transaction_ids)b::bigint[])
       AS x(order_id, customer_id, amount, currency, points, occurred_at, operation_id,
            transaction_id)

-- name: add_events
-- Outbox rows in the order given (ids follow it).
INSERT INTO outbox (tenant_id, type, subject, data, occurred_at)
SELECT %(tenant)s, x.type, x.subject, x.data, coalesce(x.occurred_at, now())
  FROM unnest(%(types)b::text[], %(subjects)b::text[], %(data)b::jsonb[],
              %(occurred_at)b::timestamptz[]) WITH ORDINALITY AS x(type, subject, data, occurred_at, n)
 ORDER BY x.n

-- name: set_tiers
INSERT INTO customer_tiers AS t (tenant_id, customer_id, tier, since)
SELECT %(tenant)s, x.customer_id, x.tier, x.since
  FROM unnest(%(customers)b::text[], %(tiers)b::text[], %(since)b::timestamptz[])
       AS x(customer_id, tier, since)
 ORDER BY x.customer_id
ON CONFLICT (tenant_id, customer_id) DO UPDATE SET tier = EXCLUDED.tier, since = EXCLUDED.since

-- name: insert_tier_changes
INSERT INTO tier_changes (tenant_id, customer_id, from_tier, to_tier, reason, measure, changed_at)
SELECT %(tenant)s, x.customer_id, x.from_tier, x.to_tier, x.reason, x.measure, x.changed_at
  FROM unnest(%(customers)b::text[], %(from_tiers)b::text[], %(to_tiers)b::text[],
              %(reasons)b::text[], %(measures)b::bigint[], %(changed_at)b::timestamptz[])
       AS x(customer_id, from_tier, to_tier, reason, measure, changed_at)
