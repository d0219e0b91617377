-- Current demographics of each customer, from the provider's drops.
-- A drop can hold several records of one customer, and a later drop updates an earlier one:
-- keep the most recently updated record. Emails are normalised (trimmed, lower case), country
-- codes upper-cased, and the age group is derived from the birth date at the date of the
-- record, so that it never depends on the day the pipeline runs.
WITH latest AS (
  SELECT
    *,
    date_part('year', age(CAST(updated_at AT TIME ZONE 'UTC' AS DATE), birth_date)) AS age_years
  FROM demographic_drops
  QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY updated_at DESC) = 1
)
SELECT
  customer_id,
  lower(trim(email)) AS email,
  birth_date,
  CASE
    WHEN birth_date IS NULL THEN 'unknown'
    WHEN age_years < 18 THEN 'under-18'
    WHEN age_years < 25 THEN '18-24'
    WHEN age_years < 35 THEN '25-34'
    WHEN age_years < 45 THEN '35-44'
    WHEN age_years < 55 THEN '45-54'
    WHEN age_years < 65 THEN '55-64'
    ELSE '65+'
  END AS age_group,
  upper(trim(country)) AS country,
  gender,
  income_band,
  updated_at
FROM latest
