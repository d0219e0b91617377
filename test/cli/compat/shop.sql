-- Tables of the web shop, as PostgreSQL would have them.
CREATE TYPE order_status AS ENUM ('created', 'paid', 'shipped');

CREATE TABLE orders (
    order_id uuid PRIMARY KEY,
    status order_status NOT NULL,
    amount numeric(10,2),
    attributes jsonb,
    placed_at timestamp with time zone NOT NULL
);
COMMENT ON TABLE orders IS 'Orders as they are now';
COMMENT ON COLUMN orders.amount IS 'Gross amount in EUR';

CREATE TABLE order_lines (
    order_id uuid NOT NULL,
    line_no integer NOT NULL,
    sku text NOT NULL,
    PRIMARY KEY (order_id, line_no)
);
