-- id: no-severity
SELECT 'x' AS message
