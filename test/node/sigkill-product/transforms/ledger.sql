-- One row per accepted entry, unchanged.
SELECT event_id, batch_id, kind, amount, occurred_at
FROM entries
