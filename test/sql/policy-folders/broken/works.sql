-- id: works
-- severity: warning
-- A good policy next to broken ones still runs.
SELECT 'product ' || product_id || ' seen' AS message FROM products
