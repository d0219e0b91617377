-- id: snake-case-properties
-- severity: blocking
-- description: property names are snake_case so that every SQL client can use them unquoted
-- Property names are checked leaf by leaf; nested paths use dots.
SELECT format('property ''{}'' is not snake_case', property) AS message,
       file, pointer,
       format('rename it to {}', lower(regexp_replace(string_split(property, '.')[-1],
                                                      '([a-z0-9])([A-Z])', '\1_\2', 'g')))
         AS hint
FROM properties
WHERE NOT regexp_full_match(string_split(property, '.')[-1], '[a-z][a-z0-9_]*')
