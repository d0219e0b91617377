-- id: status-active
-- severity: warning
-- description: products and contracts that others use are active
-- hint: set `status: active` once the product is in use
SELECT format('contract ''{}'' is {}', contract_id, status) AS message, file,
       '/status' AS pointer
FROM contracts
WHERE status IS DISTINCT FROM 'active'
