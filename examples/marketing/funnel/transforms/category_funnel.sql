-- Which age groups browse a product category but do not order it?
--
-- A customer "browsed" a category when they viewed, clicked or added to cart anything in it
-- while logged in (anonymous events have no user_id and cannot be placed in an age group).
-- They "ordered" it when they have an order in it that was not cancelled. Each customer counts
-- once per category, whatever the number of events or orders. Customers without demographics
-- fall in the age group 'unknown'. Only the age group leaves this query: no personal data.
WITH browsed AS (
  SELECT DISTINCT user_id AS customer_id, category
  FROM interactions
  WHERE user_id IS NOT NULL AND category IS NOT NULL
),
ordered AS (
  SELECT DISTINCT customer_id, category
  FROM orders
  WHERE status <> 'cancelled'
),
activity AS (
  SELECT
    coalesce(b.customer_id, o.customer_id) AS customer_id,
    coalesce(b.category, o.category) AS category,
    b.customer_id IS NOT NULL AS did_browse,
    o.customer_id IS NOT NULL AS did_order
  FROM browsed AS b
  FULL OUTER JOIN ordered AS o ON o.customer_id = b.customer_id AND o.category = b.category
)
SELECT
  coalesce(c.age_group, 'unknown') AS age_group,
  a.category,
  count(*) FILTER (WHERE a.did_browse) AS viewers,
  count(*) FILTER (WHERE a.did_order) AS buyers,
  count(*) FILTER (WHERE a.did_browse AND NOT a.did_order) AS browsed_not_ordered,
  CAST(
    count(*) FILTER (WHERE a.did_browse AND a.did_order)
      / nullif(count(*) FILTER (WHERE a.did_browse), 0)
    AS DECIMAL(5, 4)
  ) AS conversion_rate
FROM activity AS a
LEFT JOIN customers AS c ON c.customer_id = a.customer_id
GROUP BY 1, 2
