-- id: unknown-table
-- severity: blocking
SELECT 'x' AS message
FROM product_owners
