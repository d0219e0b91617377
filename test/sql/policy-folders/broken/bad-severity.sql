-- id: bad-severity
-- severity: critical
SELECT 'x' AS message
