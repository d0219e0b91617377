-- Current state of each order: the transform's rows are applied in order,
-- so the latest event of an order wins.
SELECT order_id, status, amount
FROM order_events
ORDER BY event_time;
