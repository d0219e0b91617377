-- id: bad-syntax
-- severity: blocking
SELEC message FROM products
