-- name: webhook_endpoint_add
INSERT INTO webhook_endpoints (tenant_id, url, description, secret, event_types)
VALUES (%(tenant)s, %(url)s, %(description)s, %(secret)s, %(event_types)s)
RETURNING tenant_id, id, url, description, secret, previous_secret, previous_until,
          event_types, enabled, disabled_reason, created_at, updated_at

-- name: webhook_endpoints_of_tenant
SELECT tenant_id, id, url, description, secret, previous_secret, previous_until,
       event_types, enabled, disabled_reason, created_at, updated_at
FROM webhook_endpoints WHERE tenant_id = %(tenant)s ORDER BY created_at, id

-- name: webhook_endpoint_get
SELECT tenant_id, id, url, description, secret, previous_secret, previous_until,
       event_types, enabled, disabled_reason, created_at, updated_at
FROM webhook_endpoints WHERE tenant_id = %(tenant)s AND id = %(id)s

-- name: webhook_endpoint_update
-- NULL leaves a field as it is; re-enabling clears the reason.
UPDATE webhook_endpoints SET
    url = coalesce(%(url)s, url),
    description = coalesce(%(description)s, description),
    event_types = coalesce(%(event_types)s, event_types),
    enabled = coalesce(%(enabled)s, enabled),
    disabled_reason = CASE WHEN %(enabled)s::boolean IS NULL THEN disabled_reason
                           WHEN %(enabled)s THEN NULL
                           ELSE coalesce(%(reason)s, 'disabled by an operator') END,
    updated_at = now()
WHERE tenant_id = %(tenant)s AND id = %(id)s
RETURNING tenant_id, id, url, description, secret, previous_secret, previous_until,
          event_types, enabled, disabled_reason, created_at, updated_at

-- name: webhook_endpoint_rotate
UPDATE webhook_endpoints SET
    previous_secret = secret, previous_until = %(previous_until)s,
    secret = %(secret)s, updated_at = now()
WHERE tenant_id = %(tenant)s AND id = %(id)s
RETURNING tenant_id, id, url, description, secret, previous_secret, previous_until,
          event_types, enabled, disabled_reason, created_at, updated_at

-- name: webhook_endpoint_delete
DELETE FROM webhook_endpoints WHERE tenant_id = %(tenant)s AND id = %(id)s RETURNING id

-- name: webhook_endpoint_disable
UPDATE webhook_endpoints SET enabled = false, disabled_reason = %(reason)s, updated_at = now()
WHERE tenant_id = %(tenant)s AND id = %(id)s

-- name: webhook_messages_park
-- An endpoint that is disabled keeps its undelivered messages, parked.
UPDATE webhook_messages SET status = 'disabled', next_attempt_at = NULL
WHERE tenant_id = %(tenant)s AND endpoint_id = %(id)s AND status = 'pending'

-- name: webhook_messages_resume
UPDATE webhook_messages SET status = 'pending', next_attempt_at = %(now)s
WHERE tenant_id = %(tenant)s AND endpoint_id = %(id)s AND status = 'disabled'

-- name: webhook_messages_fan_out
-- One message per event per enabled endpoint of its tenant whose filter takes it
-- and that existed when the event was recorded, in the events' order.
INSERT INTO webhook_messages (tenant_id, endpoint_id, event_id, next_attempt_at)
SELECT e.tenant_id, e.id, o.event_id, %(now)s
FROM unnest(%(event_ids)b::text[]) WITH ORDINALITY AS ev(event_id, n)
JOIN outbox o ON o.event_id = ev.event_id
JOIN webhook_endpoints e ON e.tenant_id = o.tenant_id AND e.enabled
 AND e.created_at <= o.recorded_at
 AND (cardinality(e.event_types) = 0 OR o.type = ANY (e.event_types))
ORDER BY ev.n, e.id
ON CONFLICT (endpoint_id, event_id) WHERE NOT replay DO NOTHING

-- name: webhook_messages_replay
INSERT INTO webhook_messages (tenant_id, endpoint_id, event_id, next_attempt_at, replay)
SELECT e.tenant_id, e.id, %(event_id)s, %(now)s, true
FROM webhook_endpoints e
WHERE e.tenant_id = %(tenant)s AND e.enabled
  AND (%(endpoint_id)s::text IS NULL OR e.id = %(endpoint_id)s)
  AND (%(endpoint_id)s::text IS NOT NULL OR cardinality(e.event_types) = 0
       OR %(type)s = ANY (e.event_types))
ORDER BY e.id
RETURNING id

-- name: webhook_messages_claim
-- Due messages, locked so that two workers never take the same one; the claim
-- pushes next_attempt_at past the call's timeout (a worker that dies mid-call
-- leaves the message to be retried then) and is committed before the call.
WITH due AS (
    SELECT id FROM webhook_messages
    WHERE status = 'pending' AND next_attempt_at <= %(now)s
    ORDER BY next_attempt_at, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE webhook_messages m SET attempts = m.attempts + 1, next_attempt_at = %(lease)s
FROM due WHERE m.id = due.id
RETURNING m.id, m.tenant_id, m.endpoint_id, m.event_id, m.attempts

-- name: webhook_message_targets
SELECT e.id, e.url, e.secret,
       CASE WHEN e.previous_until > %(now)s THEN e.previous_secret END
FROM webhook_endpoints e WHERE e.tenant_id = %(tenant)s AND e.id = %(id)s

-- name: webhook_attempt_add
INSERT INTO webhook_attempts (message_id, attempted_at, status_code, duration_ms, outcome,
                              error, response_body)
VALUES (%(message_id)s, %(attempted_at)s, %(status_code)s, %(duration_ms)s, %(outcome)s,
        %(error)s, %(response_body)s)

-- name: webhook_message_finish
UPDATE webhook_messages SET status = %(status)s, next_attempt_at = %(next_attempt_at)s,
    finished_at = CASE WHEN %(status)s IN ('delivered', 'failed') THEN %(now)s::timestamptz END
WHERE id = %(id)s

-- name: webhook_messages_of_endpoint
SELECT m.id, m.endpoint_id, m.event_id, o.type, m.status, m.attempts, m.next_attempt_at,
       m.replay, m.created_at, m.finished_at
FROM webhook_messages m JOIN outbox o ON o.event_id = m.event_id
WHERE m.tenant_id = %(tenant)s AND m.endpoint_id = %(id)s
  AND (%(status)s::text IS NULL OR m.status = %(status)s)
  AND m.id < %(before)s
ORDER BY m.id DESC
LIMIT %(limit)s

-- name: webhook_attempts_of_messages
SELECT a.message_id, a.attempted_at, a.status_code, a.duration_ms, a.outcome, a.error,
       a.response_body
FROM webhook_attempts a
WHERE a.message_id = ANY (%(ids)b::bigint[])
ORDER BY a.message_id, a.id

-- name: webhook_health
-- Per endpoint, the messages created since the start: delivered, still being
-- retried, failed for good, parked by a disabled endpoint.
SELECT e.id,
       count(m.id) FILTER (WHERE m.status = 'delivered'),
       count(m.id) FILTER (WHERE m.status = 'pending' AND m.attempts > 0),
       count(m.id) FILTER (WHERE m.status = 'pending' AND m.attempts = 0),
       count(m.id) FILTER (WHERE m.status = 'failed'),
       count(m.id) FILTER (WHERE m.status = 'disabled'),
       max(m.finished_at) FILTER (WHERE m.status = 'delivered')
FROM webhook_endpoints e
LEFT JOIN webhook_messages m
  ON m.tenant_id = e.tenant_id AND m.endpoint_id = e.id AND m.created_at >= %(since)s
WHERE e.tenant_id = %(tenant)s
GROUP BY e.id, e.created_at
ORDER BY e.created_at, e.id
