-- The current state of each order: its most recent lifecycle event.
-- Events can arrive out of order (a retry, a slow partition) and twice (the same event_id), so
-- the latest event is chosen by when it happened, not by when it arrived. When two events of
-- an order carry the same time, the later lifecycle step wins (created < paid < shipped <
-- cancelled), and then the larger event_id, so that the result never depends on arrival order.
SELECT
  order_id,
  customer_id,
  product_id,
  lower(trim(category)) AS category,
  quantity,
  amount,
  event_type AS status,
  occurred_at AS updated_at
FROM order_events
QUALIFY row_number() OVER (
  PARTITION BY order_id
  ORDER BY
    occurred_at DESC,
    CASE event_type WHEN 'created' THEN 1 WHEN 'paid' THEN 2 WHEN 'shipped' THEN 3 ELSE 4 END DESC,
    event_id DESC
) = 1
