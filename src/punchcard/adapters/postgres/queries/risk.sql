-- Velocity rules, the review queue, monitors and alerts.

-- name: redemptions_since
-- A customer's completed redemptions, and open holds, recorded since a time.
SELECT (SELECT count(*) FROM redemptions r
          JOIN transactions t ON t.tenant_id = r.tenant_id AND t.id = r.transaction_id
         WHERE r.tenant_id = %(tenant)s AND r.customer_id = %(customer)s
           AND t.recorded_at > %(since)s)
     + (SELECT count(*) FROM authorizations a
          JOIN holds h ON h.tenant_id = a.tenant_id AND h.transaction_id = a.hold_id
          JOIN transactions t ON t.tenant_id = a.tenant_id AND t.id = a.hold_id
         WHERE a.tenant_id = %(tenant)s AND a.customer_id = %(customer)s
           AND h.resolved_by IS NULL AND t.recorded_at > %(since)s),
       (SELECT coalesce(sum(r.points), 0) FROM redemptions r
          JOIN transactions t ON t.tenant_id = r.tenant_id AND t.id = r.transaction_id
         WHERE r.tenant_id = %(tenant)s AND r.customer_id = %(customer)s
           AND t.recorded_at > %(since)s)
     + (SELECT coalesce(sum(a.points), 0) FROM authorizations a
          JOIN holds h ON h.tenant_id = a.tenant_id AND h.transaction_id = a.hold_id
          JOIN transactions t ON t.tenant_id = a.tenant_id AND t.id = a.hold_id
         WHERE a.tenant_id = %(tenant)s AND a.customer_id = %(customer)s
           AND h.resolved_by IS NULL AND t.recorded_at > %(since)s)

-- name: insert_review
INSERT INTO reviews (tenant_id, kind, customer_id, hold_id, points, reasons, window_start,
                     created_at)
VALUES (%(tenant)s, %(kind)s, %(customer)s, %(hold_id)s, %(points)s, %(reasons)s,
        %(window_start)s, %(at)s)
ON CONFLICT ON CONSTRAINT reviews_earning_once_per_window DO NOTHING
RETURNING id

-- name: review
-- The maker of a redemption under review is on its hold's transaction.
SELECT r.id, r.kind, r.customer_id, r.hold_id, r.points, r.reasons, r.status, r.created_at,
       r.decided_by, r.decided_at, r.note, t.metadata->>'requested_by'
  FROM reviews r
  LEFT JOIN transactions t ON t.tenant_id = r.tenant_id AND t.id = r.hold_id
 WHERE r.tenant_id = %(tenant)s AND r.id = %(id)s

-- name: review_of_hold
SELECT id, status FROM reviews WHERE tenant_id = %(tenant)s AND hold_id = %(hold_id)s

-- name: pending_reviews
SELECT r.id, r.kind, r.customer_id, r.hold_id, r.points, r.reasons, r.status, r.created_at,
       r.decided_by, r.decided_at, r.note, t.metadata->>'requested_by'
  FROM reviews r
  LEFT JOIN transactions t ON t.tenant_id = r.tenant_id AND t.id = r.hold_id
 WHERE r.tenant_id = %(tenant)s AND r.status = 'pending'
 ORDER BY r.created_at, r.id LIMIT %(limit)s

-- name: decide_review
UPDATE reviews SET status = %(status)s, decided_by = %(by)s, decided_at = %(at)s,
                   note = %(note)s
 WHERE tenant_id = %(tenant)s AND id = %(id)s AND status = 'pending'

-- name: fast_earners
SELECT customer_id, sum(amount)::bigint FROM lots
 WHERE tenant_id = %(tenant)s AND kind IN ('earned', 'bonus', 'engagement')
   AND issued_at > %(since)s AND issued_at <= %(until)s
 GROUP BY customer_id
HAVING sum(amount) > %(limit)s
 ORDER BY customer_id

-- name: insert_monitor
INSERT INTO monitors (tenant_id, name, measure, customer_id, threshold)
VALUES (%(tenant)s, %(name)s, %(measure)s, %(customer)s, %(threshold)s)
RETURNING id

-- name: list_monitors
SELECT id, name, measure, customer_id, threshold, tripped FROM monitors
 WHERE tenant_id = %(tenant)s ORDER BY id

-- name: tenants_with_monitors
SELECT DISTINCT tenant_id FROM monitors ORDER BY tenant_id

-- name: tenants_scanning_earnings
-- Programmes whose velocity rules limit the points earned in an hour.
SELECT tenant_id FROM programmes
 WHERE settings->'risk'->>'max_earned_points_per_hour' IS NOT NULL ORDER BY tenant_id

-- name: monitors
SELECT id, name, measure, customer_id, threshold, tripped FROM monitors
 WHERE tenant_id = %(tenant)s ORDER BY id
   FOR UPDATE

-- name: set_monitor
UPDATE monitors SET tripped = %(tripped)s WHERE tenant_id = %(tenant)s AND id = %(id)s

-- name: insert_alert
INSERT INTO alerts (tenant_id, kind, subject, detail, raised_at)
VALUES (%(tenant)s, %(kind)s, %(subject)s, %(detail)s, %(at)s)
RETURNING id

-- name: alerts
SELECT id, kind, subject, detail, raised_at FROM alerts
 WHERE tenant_id = %(tenant)s ORDER BY id DESC LIMIT %(limit)s
