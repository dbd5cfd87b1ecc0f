-- The demo's sample application: a small shop with Supabase-style auth, RLS, enums, jsonb,
-- arrays, identity columns, foreign keys, a view and a function. Deterministic data.
CREATE SCHEMA auth;
CREATE TABLE auth.users (
    id uuid PRIMARY KEY,
    email text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);
CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped', 'cancelled');
CREATE TABLE products (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    price numeric(10, 2) NOT NULL CHECK (price >= 0),
    tags text[] NOT NULL DEFAULT '{}',
    attributes jsonb NOT NULL DEFAULT '{}'
);
CREATE TABLE orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES auth.users (id),
    status order_status NOT NULL,
    note text,
    created_at timestamptz NOT NULL
);
CREATE TABLE order_items (
    order_id bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id integer NOT NULL REFERENCES products (id),
    quantity integer NOT NULL CHECK (quantity > 0),
    unit_price numeric(10, 2) NOT NULL,
    PRIMARY KEY (order_id, product_id)
);
CREATE INDEX orders_user_idx ON orders (user_id, created_at);
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY orders_owner ON orders USING (user_id::text = current_setting('app.user_id', true));
CREATE VIEW order_totals AS
    SELECT o.id, o.user_id, sum(i.quantity * i.unit_price) AS total
    FROM orders o JOIN order_items i ON i.order_id = o.id GROUP BY o.id;
CREATE FUNCTION order_total(bigint) RETURNS numeric LANGUAGE sql STABLE AS
    $$ SELECT coalesce(sum(quantity * unit_price), 0) FROM order_items WHERE order_id = $1 $$;
COMMENT ON TABLE orders IS 'One row per checkout';

INSERT INTO auth.users
SELECT md5('user' || g)::uuid, 'user' || g || '@example.com', timestamptz '2025-01-01' + g * interval '37 minutes'
FROM generate_series(1, 5000) g;
INSERT INTO products (name, price, tags, attributes)
SELECT 'Product ' || g, round((g * 7.31) % 500 + 1, 2), ARRAY['tag' || g % 7, 'tag' || g % 11],
       jsonb_build_object('color', (ARRAY['red', 'green', 'blue'])[g % 3 + 1], 'weight_g', g * 13 % 2000)
FROM generate_series(1, 800) g;
INSERT INTO orders (user_id, status, note, created_at)
SELECT md5('user' || (g * 7919 % 5000 + 1))::uuid, (ARRAY['pending', 'paid', 'shipped', 'cancelled'])[g % 4 + 1]::order_status,
       CASE WHEN g % 5 = 0 THEN 'Gift wrap, please.' || E'\n' || 'Leave at the door' END,
       timestamptz '2025-06-01' + g * interval '3 minutes'
FROM generate_series(1, 40000) g;
INSERT INTO order_items
SELECT o, (o * 31 + k * 17) % 800 + 1, k, round(((o * 31 + k * 17) % 800 + 1) * 7.31 % 500 + 1, 2)
FROM generate_series(1, 40000) o, generate_series(1, 3) k;
