-- Rulesets, their usage counters and customer tiers.

-- name: lock_ruleset_versions
SELECT pg_advisory_xact_lock(hashtextextended('punchcard.rulesets:' || %(tenant)s, 0))

-- name: insert_ruleset
INSERT INTO rulesets (tenant_id, version, name, document, created_by, created_at)
SELECT %(tenant)s, coalesce(max(version), 0) + 1, %(name)s, %(document)s, %(by)s, %(at)s
  FROM rulesets WHERE tenant_id = %(tenant)s
RETURNING version

-- name: update_draft
UPDATE rulesets SET name = %(name)s, document = %(document)s
 WHERE tenant_id = %(tenant)s AND version = %(version)s AND status = 'draft'

-- name: submit_ruleset
UPDATE rulesets
   SET status = 'submitted', submitted_by = %(by)s, submitted_at = %(at)s,
       activate_at = %(activate_at)s
 WHERE tenant_id = %(tenant)s AND version = %(version)s AND status = 'draft'

-- name: withdraw_ruleset
UPDATE rulesets
   SET status = 'draft', submitted_by = NULL, submitted_at = NULL, activate_at = NULL
 WHERE tenant_id = %(tenant)s AND version = %(version)s AND status = 'submitted'

-- name: approve_ruleset
UPDATE rulesets
   SET status = 'published', approved_by = %(by)s, approved_at = %(at)s,
       activate_at = greatest(coalesce(activate_at, %(at)s), %(at)s)
 WHERE tenant_id = %(tenant)s AND version = %(version)s AND status = 'submitted'

-- name: ruleset
SELECT version, status, name, document, created_by, created_at, submitted_by, submitted_at,
       approved_by, approved_at, activate_at
  FROM rulesets WHERE tenant_id = %(tenant)s AND version = %(version)s

-- name: rulesets
SELECT version, status, name, document, created_by, created_at, submitted_by, submitted_at,
       approved_by, approved_at, activate_at
  FROM rulesets WHERE tenant_id = %(tenant)s ORDER BY version DESC LIMIT %(limit)s

-- name: active_ruleset_version
SELECT version FROM rulesets
 WHERE tenant_id = %(tenant)s AND status = 'published' AND activate_at <= %(at)s
 ORDER BY activate_at DESC, version DESC
 LIMIT 1

-- name: rule_usage
SELECT rule_id, period_key, used FROM rule_usage
 WHERE tenant_id = %(tenant)s AND holder = %(holder)s
   AND (rule_id, period_key) IN (SELECT * FROM unnest(%(rules)b::text[], %(periods)b::text[]))

-- name: open_budgets
INSERT INTO rule_usage (tenant_id, rule_id, holder, period_key, used)
SELECT %(tenant)s, r, '*', 'budget', 0 FROM unnest(%(rules)b::text[]) AS r ORDER BY r
ON CONFLICT DO NOTHING

-- name: lock_budgets
-- Sorted, so two earns drawing on the same budgets cannot deadlock.
SELECT rule_id, used FROM rule_usage
 WHERE tenant_id = %(tenant)s AND holder = '*' AND period_key = 'budget'
   AND rule_id = ANY(%(rules)b::text[])
 ORDER BY rule_id
   FOR UPDATE

-- name: add_usage
INSERT INTO rule_usage AS u (tenant_id, rule_id, holder, period_key, used)
SELECT %(tenant)s, x.rule_id, x.holder, x.period_key, x.used
  FROM unnest(%(rules)b::text[], %(holders)b::text[], %(periods)b::text[], %(used)b::bigint[])
       AS x(rule_id, holder, period_key, used)
 ORDER BY x.rule_id, x.holder, x.period_key
ON CONFLICT (tenant_id, rule_id, holder, period_key) DO UPDATE SET used = u.used + EXCLUDED.used

-- name: customer_profile
SELECT c.attributes, c.event_counts, t.tier, t.since
  FROM customers c
  LEFT JOIN customer_tiers t ON t.tenant_id = c.tenant_id AND t.customer_id = c.id
 WHERE c.tenant_id = %(tenant)s AND c.id = %(customer)s

-- name: count_event
UPDATE customers
   SET event_counts = event_counts || jsonb_build_object(
           %(kind)s::text, coalesce((event_counts->>%(kind)s)::bigint, 0) + 1)
 WHERE tenant_id = %(tenant)s AND id = %(customer)s

-- name: set_attributes
UPDATE customers SET attributes = %(attributes)s
 WHERE tenant_id = %(tenant)s AND id = %(customer)s

-- name: tier_history
SELECT from_tier, to_tier, reason, measure, changed_at FROM tier_changes
 WHERE tenant_id = %(tenant)s AND customer_id = %(customer)s
 ORDER BY id

-- name: tiers_due_review
SELECT customer_id, tier, since FROM customer_tiers
 WHERE tenant_id = %(tenant)s AND customer_id > %(after)s AND since <= %(before)s
 ORDER BY customer_id
 LIMIT %(limit)s

-- name: points_measure
-- Qualifying points per customer since its window opened: what earns issued,
-- less what refunds recorded since then took back.
SELECT x.customer_id,
       (SELECT coalesce(sum(amount), 0) FROM lots
         WHERE tenant_id = %(tenant)s AND customer_id = x.customer_id
           AND kind IN ('earned', 'bonus', 'engagement') AND issued_at >= x.since)
     - (SELECT coalesce(sum(points_reversed), 0) FROM refunds
         WHERE tenant_id = %(tenant)s AND customer_id = x.customer_id
           AND recorded_at >= x.since)
  FROM unnest(%(customers)b::text[], %(since)b::timestamptz[]) AS x(customer_id, since)

-- name: spend_measure
SELECT x.customer_id,
       (SELECT coalesce(sum(amount), 0) FROM orders
         WHERE tenant_id = %(tenant)s AND customer_id = x.customer_id
           AND occurred_at >= x.since)
     - (SELECT coalesce(sum(amount), 0) FROM refunds
         WHERE tenant_id = %(tenant)s AND customer_id = x.customer_id
           AND recorded_at >= x.since)
  FROM unnest(%(customers)b::text[], %(since)b::timestamptz[]) AS x(customer_id, since)

-- name: set_tier
INSERT INTO customer_tiers AS t (tenant_id, customer_id, tier, since)
SELECT %(tenant)s, x.customer_id, x.tier, x.since
  FROM unnest(%(customers)b::text[], %(tiers)b::text[], %(since)b::timestamptz[])
       AS x(customer_id, tier, since)
 ORDER BY x.customer_id
ON CONFLICT (tenant_id, customer_id) DO UPDATE SET tier = EXCLUDED.tier, since = EXCLUDED.since

-- name: insert_tier_change
INSERT INTO tier_changes (tenant_id, customer_id, from_tier, to_tier, reason, measure, changed_at)
SELECT %(tenant)s, x.customer_id, x.from_tier, x.to_tier, x.reason, x.measure, x.changed_at
  FROM unnest(%(customers)b::text[], %(from_tiers)b::text[], %(to_tiers)b::text[],
              %(reasons)b::text[], %(measures)b::bigint[], %(changed_at)b::timestamptz[])
       AS x(customer_id, from_tier, to_tier, reason, measure, changed_at)
