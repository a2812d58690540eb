-- A one-order INSERT (a checkout) updates its customer's summary row in place, without SPI
-- (extension/customer_totals_row.cpp); whatever that path leaves to the executor goes through
-- the SPI UPDATE as before. Both paths must give the same figures.
\ir tests/regress/setup.psql
INSERT INTO cartwatch.customers (customer_id, email)
SELECT n, 'fast' || n || '@example.com' FROM generate_series(1001, 1008) AS n;

-- The plan the SPI path prepares, as a memory context of this backend: present once the SPI
-- UPDATE ran in this session, absent while every order took the fast path.
CREATE FUNCTION public.spi_update_prepared() RETURNS boolean LANGUAGE sql AS $$
    SELECT count(*) > 0 FROM pg_backend_memory_contexts
     WHERE ident LIKE 'UPDATE cartwatch.customer_totals AS t   SET orders_count = t.orders_count + 1%'
$$;
-- The same for an order's status or total changed (change_one_order).
CREATE FUNCTION public.spi_change_prepared() RETURNS boolean LANGUAGE sql AS $$
    SELECT count(*) > 0 FROM pg_backend_memory_contexts
     WHERE ident LIKE 'UPDATE cartwatch.customer_totals AS t %orders_value = t.orders_value + $5 - $3%'
$$;
\set figures 'orders_count, valid_orders, invalid_orders, orders_value, paid_value, cancelled_value, first_order_at, last_order_at'

-- The same orders for customer 1001 (READ COMMITTED: the fast path) and for 1002 (REPEATABLE
-- READ: the SPI UPDATE): every status, totals with and without cents, an order earlier than the
-- first, one later than the last, one at the same moment. The rows are compared as text, so
-- that a value with other digits after the point (1.5 for 1.50) would show.
CREATE TABLE public.twin_orders (n integer, status text, total numeric, placed_at timestamptz);
INSERT INTO twin_orders VALUES
    (1, 'pending', 10.00, '2026-11-10 10:00+00'), (2, 'paid', 20.50, '2026-11-12 10:00+00'),
    (3, 'shipped', 0.01, '2026-11-01 10:00+00'), (4, 'delivered', 1234.56, '2026-11-15 10:00+00'),
    (5, 'cancelled', 7, '2026-11-15 10:00+00'), (6, 'returned', 99.99, '2026-10-01 00:00+00'),
    (7, 'refunded', 0, '2026-12-01 00:00+00'), (8, 'paid', 5.25, '2026-11-11 11:11+00');
\c
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
DO $$
DECLARE o record;
BEGIN
    FOR o IN SELECT * FROM twin_orders ORDER BY n LOOP
        INSERT INTO cartwatch.orders (customer_id, status, total, placed_at)
        VALUES (1001, o.status, o.total, o.placed_at);
    END LOOP;
END $$;
SELECT public.spi_update_prepared() AS spi_after_fast_path;
BEGIN ISOLATION LEVEL REPEATABLE READ;
INSERT INTO cartwatch.orders (customer_id, status, total, placed_at)
SELECT 1002, status, total, placed_at FROM twin_orders WHERE n = 1;
COMMIT;
SELECT public.spi_update_prepared() AS spi_after_repeatable_read;
-- The other seven, one REPEATABLE READ transaction each.
SELECT format('BEGIN ISOLATION LEVEL REPEATABLE READ; INSERT INTO cartwatch.orders (customer_id, status, total, placed_at) SELECT 1002, status, total, placed_at FROM twin_orders WHERE n = %s; COMMIT;', n)
  FROM twin_orders WHERE n > 1 ORDER BY n \gexec
SELECT customer_id, :figures FROM cartwatch.customer_totals WHERE customer_id IN (1001, 1002) ORDER BY 1;
SELECT count(DISTINCT ROW(:figures)::text) AS distinct_rows
  FROM cartwatch.customer_totals WHERE customer_id IN (1001, 1002);
SELECT * FROM cartwatch.check_customer_summary();

-- Then every order of both changes status or total, one UPDATE each: paid, returned, refunded,
-- a valid order that stays valid with another total, a total alone (cents to none), a cancelled
-- one that stays cancelled.
CREATE TABLE public.twin_changes (n integer, status text, total numeric);
INSERT INTO twin_changes VALUES
    (1, 'paid', 10.00), (2, 'returned', 20.50), (3, 'delivered', 3.10), (4, 'cancelled', 1234.56),
    (5, 'refunded', 7.77), (6, 'pending', 99.99), (7, 'shipped', 15), (8, 'paid', 6);
\c
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
DO $$
DECLARE c record;
BEGIN
    FOR c IN SELECT * FROM twin_changes ORDER BY n LOOP
        UPDATE cartwatch.orders SET status = c.status, total = c.total
         WHERE order_id = (SELECT order_id FROM cartwatch.orders WHERE customer_id = 1001
                            ORDER BY order_id OFFSET c.n - 1 LIMIT 1);
    END LOOP;
END $$;
SELECT public.spi_change_prepared() AS spi_after_fast_changes;
SELECT format('BEGIN ISOLATION LEVEL REPEATABLE READ; UPDATE cartwatch.orders SET status = %L, total = %s WHERE order_id = (SELECT order_id FROM cartwatch.orders WHERE customer_id = 1002 ORDER BY order_id OFFSET %s LIMIT 1); COMMIT;', status, total, n - 1)
  FROM twin_changes ORDER BY n \gexec
SELECT public.spi_change_prepared() AS spi_after_repeatable_read_changes;
SELECT customer_id, :figures FROM cartwatch.customer_totals WHERE customer_id IN (1001, 1002) ORDER BY 1;
SELECT count(DISTINCT ROW(:figures)::text) AS distinct_rows
  FROM cartwatch.customer_totals WHERE customer_id IN (1001, 1002);
SELECT * FROM cartwatch.check_customer_summary();

-- Several orders of one customer in one transaction, one statement each: each sees the row the
-- previous one left. A savepoint rolled back takes its order's addition with it.
BEGIN;
INSERT INTO cartwatch.orders (customer_id, status, total, placed_at) VALUES (1003, 'paid', 1, '2026-11-20 10:00+00');
INSERT INTO cartwatch.orders (customer_id, status, total, placed_at) VALUES (1003, 'paid', 2, '2026-11-20 11:00+00');
SAVEPOINT before_third;
INSERT INTO cartwatch.orders (customer_id, status, total, placed_at) VALUES (1003, 'cancelled', 4, '2026-11-20 12:00+00');
ROLLBACK TO before_third;
INSERT INTO cartwatch.orders (customer_id, status, total, placed_at) VALUES (1003, 'pending', 8, '2026-11-20 09:00+00');
COMMIT;
SELECT customer_id, :figures FROM cartwatch.customer_totals WHERE customer_id = 1003;

-- 300 versions of one row in one transaction fill its page: the later updates cannot be HOT
-- and insert primary-key entries, through which the row is still found.
DO $$
BEGIN
    FOR n IN 1..300 LOOP
        INSERT INTO cartwatch.orders (customer_id, status, total, placed_at)
        VALUES (1004, 'paid', n, '2026-11-01'::timestamptz + n * interval '1 minute');
    END LOOP;
END $$;
SET enable_seqscan = off;
SELECT customer_id, :figures FROM cartwatch.customer_totals WHERE customer_id = 1004;
RESET enable_seqscan;

-- A customer and its first order in one transaction: the summary row is this transaction's own,
-- so its foreign key is checked again, as after the SPI UPDATE.
BEGIN;
INSERT INTO cartwatch.customers (customer_id, email) VALUES (1009, 'fast1009@example.com');
INSERT INTO cartwatch.orders (customer_id, status, total, placed_at) VALUES (1009, 'delivered', 30, '2026-11-20 10:00+00');
COMMIT;
SELECT customer_id, :figures FROM cartwatch.customer_totals WHERE customer_id = 1009;

-- No summary row (history loaded with the triggers off): the SPI path recounts the customer.
DELETE FROM cartwatch.customer_totals WHERE customer_id = 1005;
INSERT INTO cartwatch.orders (customer_id, status, total, placed_at) VALUES (1005, 'shipped', 12.34, '2026-11-20 10:00+00');
SELECT customer_id, :figures FROM cartwatch.customer_totals WHERE customer_id = 1005;

-- What the executor does and the fast path does not, on the summary table, sends the order
-- through the SPI UPDATE: row security (forced, so that it applies to the owner too), and a
-- shop's own trigger, which still fires.
\c
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
ALTER TABLE cartwatch.customer_totals ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY everyone ON cartwatch.customer_totals USING (true);
INSERT INTO cartwatch.orders (customer_id, status, total, placed_at) VALUES (1006, 'paid', 3, '2026-11-20 10:00+00');
SELECT public.spi_update_prepared() AS spi_with_row_security;
DROP POLICY everyone ON cartwatch.customer_totals;
ALTER TABLE cartwatch.customer_totals NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
\c
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE FUNCTION public.shop_totals_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'customer % now has % orders', NEW.customer_id, NEW.orders_count;
    RETURN NULL;
END $$;
CREATE TRIGGER shop_totals_log AFTER UPDATE ON cartwatch.customer_totals
    FOR EACH ROW EXECUTE FUNCTION public.shop_totals_log();
INSERT INTO cartwatch.orders (customer_id, status, total, placed_at) VALUES (1007, 'paid', 3, '2026-11-20 10:00+00');
SELECT public.spi_update_prepared() AS spi_with_shop_trigger;
DROP TRIGGER shop_totals_log ON cartwatch.customer_totals;
DROP FUNCTION public.shop_totals_log();
-- And back on the fast path in a new session.
\c
INSERT INTO cartwatch.orders (customer_id, status, total, placed_at) VALUES (1007, 'returned', 4, '2026-11-20 11:00+00');
SELECT public.spi_update_prepared() AS spi_back_to_fast_path;

SELECT * FROM cartwatch.check_customer_summary();
