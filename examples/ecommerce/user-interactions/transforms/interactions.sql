-- One row per interaction event.
-- The front end retries a POST when it gets no answer, so one event can arrive twice: keep the
-- first copy of each event_id. Categories are normalised (trimmed, lower case), and the raw
-- user agent is reduced to a device class so that consumers never see the full string.
SELECT
  event_id,
  user_id,
  session_id,
  lower(event_type) AS event_type,
  product_id,
  lower(trim(category)) AS category,
  page_url,
  CASE
    WHEN user_agent IS NULL OR trim(user_agent) = '' THEN 'unknown'
    WHEN user_agent ILIKE '%ipad%' OR user_agent ILIKE '%tablet%' THEN 'tablet'
    WHEN user_agent ILIKE '%mobile%' OR user_agent ILIKE '%android%' THEN 'mobile'
    ELSE 'desktop'
  END AS device,
  occurred_at
FROM web_events
QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY occurred_at) = 1
