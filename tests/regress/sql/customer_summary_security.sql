-- The shop's role writes customers, carts, orders and visits and nothing else: the summary and
-- the outbox follow all the same, since their triggers run as the extension's owner. Nobody
-- else can put those trigger functions on a table, and they refuse a table not theirs.
\ir tests/regress/setup.psql
\ir tests/regress/fixtures/reminders.psql
SELECT cartwatch.schedule_reminders('2026-11-20 12:00+00') AS scheduled;
SELECT count(*) AS sent FROM cartwatch.claim_reminders('w', 100, '5 minutes', '2026-11-20 12:01+00') AS c,
       LATERAL cartwatch.complete_reminder(c.reminder_id, 'w', '<m@shop>', '250 ok', 's', 't',
                                           '2026-11-20 12:02+00');

-- Roles are cluster-wide: a name no other test uses, dropped at the end.
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS cw_test_summary_own CASCADE;
DROP ROLE IF EXISTS cw_test_summary_shop;
RESET client_min_messages;
CREATE ROLE cw_test_summary_shop;
GRANT USAGE ON SCHEMA cartwatch TO cw_test_summary_shop;
GRANT SELECT, INSERT, UPDATE, DELETE
   ON cartwatch.customers, cartwatch.carts, cartwatch.cart_items, cartwatch.orders, cartwatch.visits
   TO cw_test_summary_shop;
GRANT SELECT ON cartwatch.products TO cw_test_summary_shop;
CREATE SCHEMA cw_test_summary_own AUTHORIZATION cw_test_summary_shop;

SET ROLE cw_test_summary_shop;
INSERT INTO cartwatch.customers (customer_id, email) VALUES (900, 'shop-role@example.com');
INSERT INTO cartwatch.carts (cart_id, customer_id, created_at, last_activity_at)
VALUES (900, 900, '2026-11-20 09:00+00', '2026-11-20 09:00+00');
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
VALUES (900, 1, 2, '2026-11-20 09:05+00');
INSERT INTO cartwatch.visits (visit_id, customer_id, started_at) VALUES (900, 900, '2026-11-20 08:55+00');
INSERT INTO cartwatch.orders (order_id, customer_id, cart_id, status, total, placed_at)
VALUES (900, 900, 900, 'pending', 99.80, '2026-11-20 09:10+00'),
       (901, 900, NULL, 'pending', 10.00, '2026-11-20 09:20+00');
UPDATE cartwatch.orders SET status = 'paid' WHERE order_id = 900;
UPDATE cartwatch.orders SET status = 'cancelled' WHERE order_id = 901;
-- An order for a reminded cart: attribution writes to the outbox, which this role cannot read.
INSERT INTO cartwatch.orders (order_id, customer_id, cart_id, status, total, placed_at)
SELECT 902, customer_id, cart_id, 'paid', 20.00, '2026-11-20 12:30+00'
  FROM cartwatch.carts WHERE cart_id = 10;
DELETE FROM cartwatch.visits WHERE visit_id = 900;
-- What it cannot do: read the summary's table or the outbox, or feed the triggers itself.
SELECT count(*) FROM cartwatch.customer_totals;
SELECT count(*) FROM cartwatch.reminders;
CREATE TABLE cw_test_summary_own.orders (customer_id bigint);
CREATE TRIGGER fake_summary AFTER INSERT ON cw_test_summary_own.orders
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.customer_summary_maintain('orders');
CREATE TRIGGER fake_attribution AFTER INSERT ON cw_test_summary_own.orders
    FOR EACH ROW EXECUTE FUNCTION cartwatch.attribute_order();
RESET ROLE;

SELECT customer_id, orders_count, valid_orders, paid_value, cancelled_value, carts_count,
       open_carts, visits_count
  FROM cartwatch.customer_summary WHERE customer_id = 900;
SELECT cart_id, recovered_order_id FROM cartwatch.reminders WHERE recovered_order_id IS NOT NULL;
SELECT * FROM cartwatch.check_customer_summary();

-- The summary trigger pins no search_path in its declaration: its SPI session looks names up
-- in pg_catalog alone. A role that puts its own schema first, with an operator that would take
-- the place of bigint + integer, writes orders, a status change, a visit and a cart line in a
-- new session (the triggers' plans are prepared under that search_path): the built-in
-- operators are used.
SET ROLE cw_test_summary_shop;
CREATE FUNCTION cw_test_summary_own.hijack(bigint, integer) RETURNS bigint
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked, running as %', current_user; END $$;
CREATE OPERATOR cw_test_summary_own.+ (LEFTARG = bigint, RIGHTARG = integer,
                                      FUNCTION = cw_test_summary_own.hijack);
RESET ROLE;
\c
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET ROLE cw_test_summary_shop;
SET search_path = cw_test_summary_own, pg_catalog, public;
SELECT 1::bigint + 1 AS hijacked_here;
INSERT INTO cartwatch.orders (order_id, customer_id, status, total, placed_at)
VALUES (903, 900, 'paid', 5.00, '2026-11-20 13:00+00');
UPDATE cartwatch.orders SET status = 'returned' WHERE order_id = 903;
INSERT INTO cartwatch.visits (visit_id, customer_id, started_at) VALUES (901, 900, '2026-11-20 13:05+00');
-- The cart lines' trigger (C++, with a SET clause) and the summary after it, under the same
-- search_path.
INSERT INTO cartwatch.carts (cart_id, customer_id, created_at, last_activity_at)
VALUES (901, 900, '2026-11-20 13:10+00', '2026-11-20 13:10+00');
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
VALUES (901, 1, 3, '2026-11-20 13:11+00');
RESET search_path;
RESET ROLE;
SELECT cart_id, item_quantity, last_activity_at FROM cartwatch.carts WHERE cart_id = 901;
SELECT customer_id, orders_count, valid_orders, paid_value, cancelled_value, visits_count
  FROM cartwatch.customer_summary WHERE customer_id = 900;
SELECT * FROM cartwatch.check_customer_summary();
SELECT p.proname, p.prosecdef, p.proconfig
  FROM pg_proc AS p WHERE p.oid = 'cartwatch.customer_summary_maintain'::regproc;

-- A shop's own trigger on carts, with its own search_path, still runs under it when a cart line
-- moves the cart (the cart lines' trigger updates carts; the summary's lookup does not reach it).
CREATE TABLE cw_test_summary_own.cart_log (cart_id bigint, item_quantity bigint);
CREATE FUNCTION cw_test_summary_own.log_cart() RETURNS trigger
LANGUAGE plpgsql SET search_path = cw_test_summary_own, pg_catalog AS $$
BEGIN
    INSERT INTO cart_log VALUES (NEW.cart_id, NEW.item_quantity);
    RETURN NULL;
END $$;
CREATE TRIGGER shop_cart_log AFTER UPDATE ON cartwatch.carts
    FOR EACH ROW EXECUTE FUNCTION cw_test_summary_own.log_cart();
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
VALUES (901, 2, 1, '2026-11-20 13:12+00');
SELECT * FROM cw_test_summary_own.cart_log;
DROP TRIGGER shop_cart_log ON cartwatch.carts;

-- Even a superuser's trigger on another table is refused when it fires.
CREATE TRIGGER fake_summary AFTER INSERT ON cw_test_summary_own.orders
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.customer_summary_maintain('orders');
INSERT INTO cw_test_summary_own.orders VALUES (900);
DROP TRIGGER fake_summary ON cw_test_summary_own.orders;
CREATE TRIGGER fake_attribution AFTER INSERT ON cw_test_summary_own.orders
    FOR EACH ROW EXECUTE FUNCTION cartwatch.attribute_order();
INSERT INTO cw_test_summary_own.orders VALUES (900);

DROP SCHEMA cw_test_summary_own CASCADE;
DROP OWNED BY cw_test_summary_shop;
DROP ROLE cw_test_summary_shop;
