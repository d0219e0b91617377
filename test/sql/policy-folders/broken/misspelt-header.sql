-- id: misspelt-header
-- severity: warning
-- descripton: a typo in a header key is an error, not a comment
SELECT 'x' AS message
