-- id: pii-restricted
-- severity: blocking
-- description: The shop classifies every property tagged pii as restricted, so that every port masks it for consumers without a grant.
-- hint: set `classification: restricted` on the property, or remove the pii tag if it holds no personal data.
SELECT
  format('property {}.{} is tagged pii but classified {}', object, property,
         coalesce(classification, 'nothing')) AS message,
  file,
  pointer
FROM properties
WHERE list_contains(tags, 'pii') AND coalesce(classification, '') <> 'restricted'
