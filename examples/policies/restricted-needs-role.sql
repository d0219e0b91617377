-- id: restricted-needs-role
-- severity: warning
-- description: An output contract that publishes restricted properties declares at least one role, so consumers know which access to request.
-- hint: add a `roles:` entry (role, access, description, firstLevelApprovers) to the contract.
SELECT
  format('contract {} publishes restricted properties but declares no role', c.contract_id)
    AS message,
  c.file,
  c.pointer
FROM contracts AS c
WHERE EXISTS (SELECT 1 FROM ports AS p
              WHERE p.direction = 'output' AND p.contract_id = c.contract_id)
  AND EXISTS (SELECT 1 FROM properties AS pr
              WHERE pr.contract_id = c.contract_id AND pr.classification = 'restricted')
  AND NOT EXISTS (SELECT 1 FROM roles AS r WHERE r.contract_id = c.contract_id)
