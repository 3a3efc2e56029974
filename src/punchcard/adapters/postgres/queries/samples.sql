-- Samples for simulation: the inputs of the tenant's latest rated earns.

-- name: recent_earn_inputs
SELECT o.inputs FROM operations o
 WHERE o.tenant_id = %(tenant)s AND o.inputs IS NOT NULL
 ORDER BY o.id DESC
 LIMIT %(limit)s
