-- id: writes
-- severity: blocking
DELETE FROM products
