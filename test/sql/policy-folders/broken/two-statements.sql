-- id: two-statements
-- severity: blocking
SELECT 'x' AS message; DROP TABLE products
