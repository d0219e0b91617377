#include "governance/default_policies.h"

#include <string>

namespace quanta::governance {
namespace {

// Each policy's text as a user would write it in a policy folder (docs/policies.md). They are
// queries over the tables of product_metadata.h; an edit here is covered by the SQL tests in
// test/sql/policies/.

constexpr std::string_view kOwnerRequired = R"sql(-- id: owner-required
-- severity: blocking
-- description: every data product names an owner in its team; a contract that no loaded product publishes names one in its own team
-- hint: add a member to `team.members` with `role: owner` (data owner, product owner and data product owner count too)
WITH owners AS (
  SELECT DISTINCT owner_kind, file
  FROM team_members
  WHERE lower(trim(role)) IN ('owner', 'data owner', 'product owner', 'data product owner',
                              'data-owner', 'product-owner', 'data-product-owner')
    AND (date_out IS NULL OR TRY_CAST(date_out AS DATE) IS NULL
         OR TRY_CAST(date_out AS DATE) > current_date)
),
contract_owned AS (
  SELECT c.contract_id, c.file, o.file IS NOT NULL AS has_owner
  FROM contracts c
  LEFT JOIN owners o ON o.owner_kind = 'contract' AND o.file = c.file
),
-- A product without an owner of its own is still owned when every port's contract is (a
-- port whose contract is not loaded counts as unowned).
ports_owned AS (
  SELECT pt.file, bool_and(coalesce(co.has_owner, false)) AS all_owned
  FROM ports pt
  LEFT JOIN (SELECT contract_id, bool_or(has_owner) AS has_owner
             FROM contract_owned GROUP BY contract_id) co ON co.contract_id = pt.contract_id
  GROUP BY pt.file
),
published AS (
  SELECT DISTINCT pt.contract_id
  FROM ports pt JOIN products p ON p.file = pt.file
  WHERE pt.contract_id IS NOT NULL
)
SELECT format('data product ''{}'' has no owner: no member of its team has the role owner',
              coalesce(p.product_id, p.name, p.file)) AS message,
       p.file, '/team' AS pointer
FROM products p
LEFT JOIN owners o ON o.owner_kind = 'product' AND o.file = p.file
LEFT JOIN ports_owned po ON po.file = p.file
WHERE o.file IS NULL AND NOT coalesce(po.all_owned, false)
UNION ALL
SELECT format('contract ''{}'' has no owner: no member of its team has the role owner',
              coalesce(co.contract_id, co.file)) AS message,
       co.file, '/team' AS pointer
FROM contract_owned co
LEFT JOIN published pb ON pb.contract_id = co.contract_id
WHERE NOT co.has_owner AND pb.contract_id IS NULL
)sql";

constexpr std::string_view kSemanticVersion = R"sql(-- id: semantic-version
-- severity: blocking
-- description: every data product and contract has a semantic version (MAJOR.MINOR.PATCH)
-- hint: write `version: 1.0.0`; raise MAJOR for a breaking change, MINOR for an addition, PATCH for a fix (quote the version when YAML could read it as a number)
WITH documents AS (
  SELECT 'data product' AS kind, coalesce(product_id, name, file) AS label, version, file,
         pointer
  FROM products
  UNION ALL
  SELECT 'contract', coalesce(contract_id, name, file), version, file, pointer
  FROM contracts
)
SELECT CASE WHEN version IS NULL
            THEN format('{} ''{}'' has no version', kind, label)
            ELSE format('{} ''{}'' has version ''{}'', which is not a semantic version',
                        kind, label, version)
       END AS message,
       file, pointer || '/version' AS pointer
FROM documents
WHERE version IS NULL
   OR NOT regexp_full_match(version,
        '(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?')
)sql";

constexpr std::string_view kPersonalDataClassified = R"sql(-- id: personal-data-classified
-- severity: blocking
-- description: a property whose name or tags suggest personal data (email, phone, birth date, address, person names, national ids...) has a classification other than public or none
-- hint: set `classification:` to restricted, confidential or another non-public class so that ports mask it for consumers without a grant; if it is not personal data, classify it internal
WITH named AS (
  SELECT *,
         -- the leaf name in snake case between underscores: customerEmail -> _customer_email_
         '_' || regexp_replace(
                  lower(regexp_replace(string_split(property, '.')[-1], '([a-z0-9])([A-Z])',
                                       '\1_\2', 'g')),
                  '[^a-z0-9]+', '_', 'g') || '_' AS words
  FROM properties
),
personal AS (
  SELECT *,
         CASE WHEN list_has_any(list_transform(coalesce(tags, []::VARCHAR[]), t -> lower(t)),
                                ['pii', 'personal', 'personal-data', 'personal_data', 'gdpr',
                                 'sensitive', 'phi'])
              THEN 'its tags'
              ELSE 'its name'
         END AS reason
  FROM named
  WHERE regexp_matches(words,
          '_(e_?mail|phone|mobile|telephone|birth|birth_?date|birth_?day|dob|ssn|social_security|passport|national_id|tax_id|address|street|zip|zip_?code|post_?code|postal_code|iban|first_?name|last_?name|sur_?name|full_?name|given_?name|family_?name|middle_?name|maiden_?name|(customer|person|user|contact|employee|patient|client)_?name|username|gender|ethnicity)_')
     OR list_has_any(list_transform(coalesce(tags, []::VARCHAR[]), t -> lower(t)),
                     ['pii', 'personal', 'personal-data', 'personal_data', 'gdpr', 'sensitive',
                      'phi'])
)
SELECT CASE WHEN classification IS NULL OR trim(classification) = ''
            THEN format('property ''{}'' of ''{}'' in contract ''{}'' looks like personal data ({}) but has no classification',
                        property, object, coalesce(contract_id, file), reason)
            ELSE format('property ''{}'' of ''{}'' in contract ''{}'' looks like personal data ({}) but is classified ''{}''',
                        property, object, coalesce(contract_id, file), reason, classification)
       END AS message,
       file, pointer
FROM personal
WHERE classification IS NULL
   OR lower(trim(classification)) IN ('', 'public', 'none', 'unclassified')
)sql";

constexpr std::string_view kPropertyDescribed = R"sql(-- id: property-described
-- severity: warning
-- description: every property of every contract has a description, so that consumers know what its values mean
-- hint: add `description:` saying what the value means, its unit and where it comes from
SELECT format('property ''{}'' of ''{}'' in contract ''{}'' has no description',
              property, object, coalesce(contract_id, file)) AS message,
       file, pointer
FROM properties
WHERE description IS NULL OR trim(description) = ''
)sql";

constexpr std::string_view kSlaDeclared = R"sql(-- id: sla-declared
-- severity: warning
-- description: the contract of every output port declares a latency and a retention SLA
-- hint: add to `slaProperties` e.g. `- {property: latency, value: 1, unit: h}` and `- {property: retention, value: 3, unit: y}`
WITH output_contracts AS (
  SELECT c.contract_id, c.file, string_agg(DISTINCT pt.name, ', ' ORDER BY pt.name) AS ports
  FROM ports pt
  JOIN products p ON p.file = pt.file
  JOIN contracts c ON c.contract_id = pt.contract_id
  WHERE pt.direction = 'output'
  GROUP BY c.contract_id, c.file
),
required_sla(sla) AS (VALUES ('latency'), ('retention')),
declared AS (
  SELECT DISTINCT file, lower(trim(property)) AS sla FROM sla_properties WHERE value IS NOT NULL
)
SELECT format('contract ''{}'' of output port ''{}'' declares no {} SLA', oc.contract_id,
              oc.ports, r.sla) AS message,
       oc.file, '/slaProperties' AS pointer
FROM output_contracts oc
CROSS JOIN required_sla r
LEFT JOIN declared d ON d.file = oc.file AND d.sla = r.sla
WHERE d.file IS NULL
ORDER BY oc.contract_id, r.sla
)sql";

struct BuiltIn {
  std::string_view id;
  std::string_view text;
};

constexpr BuiltIn kBuiltIns[] = {
    {"owner-required", kOwnerRequired},
    {"semantic-version", kSemanticVersion},
    {"personal-data-classified", kPersonalDataClassified},
    {"property-described", kPropertyDescribed},
    {"sla-declared", kSlaDeclared},
};

}  // namespace

PolicySet DefaultPolicies() {
  PolicySet set;
  for (const BuiltIn& built_in : kBuiltIns) {
    std::string file = std::string(kBuiltInPolicyFolder) + "/" + std::string(built_in.id) + ".sql";
    ParsedPolicy parsed = ParsePolicy(built_in.text, file);
    if (parsed.error) {
      set.errors.push_back(std::move(*parsed.error));
    } else {
      set.policies.push_back(std::move(*parsed.policy));
    }
  }
  return set;
}

}  // namespace quanta::governance
