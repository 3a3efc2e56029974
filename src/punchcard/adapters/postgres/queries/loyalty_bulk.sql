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

