-- id: no-message
-- severity: warning
SELECT product_id, file FROM products
