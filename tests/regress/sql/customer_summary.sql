-- The customer summary: kept by the statement triggers, equal to a recount at every step.
\ir tests/regress/setup.psql
\ir tests/regress/fixtures/shop.psql

\set figures 'customer_id, orders_count, valid_orders, invalid_orders, orders_value, paid_value, cancelled_value, carts_count, open_carts, visits_count, first_visit_at, last_visit_at, reminders_sent'
SELECT :figures FROM cartwatch.customer_summary ORDER BY customer_id;
SELECT * FROM cartwatch.check_customer_summary();

-- An order's life: pending (invalid, in no value), paid (valid), returned (cancelled value).
INSERT INTO cartwatch.orders (order_id, customer_id, status, total, placed_at)
VALUES (201, 2, 'pending', 79.00, '2026-11-20 11:30+00');
SELECT :figures FROM cartwatch.customer_summary WHERE customer_id = 2;
UPDATE cartwatch.orders SET status = 'paid', paid_at = '2026-11-20 11:35+00' WHERE order_id = 201;
SELECT :figures FROM cartwatch.customer_summary WHERE customer_id = 2;
UPDATE cartwatch.orders SET status = 'returned' WHERE order_id = 201;
SELECT :figures FROM cartwatch.customer_summary WHERE customer_id = 2;
-- A new total, and an order moved to another customer, recount both customers.
UPDATE cartwatch.orders SET total = 100.00, customer_id = 3 WHERE order_id = 201;
SELECT :figures FROM cartwatch.customer_summary WHERE customer_id IN (2, 3) ORDER BY 1;
-- Several customers in one statement.
INSERT INTO cartwatch.orders (customer_id, status, total, placed_at)
SELECT 1 + n % 3, (ARRAY['paid','cancelled','pending','delivered'])[1 + n % 4], n, '2026-11-01'::timestamptz + n * interval '1 hour'
  FROM generate_series(1, 12) AS n;
SELECT :figures FROM cartwatch.customer_summary ORDER BY customer_id;
DELETE FROM cartwatch.orders WHERE total < 5;
SELECT * FROM cartwatch.check_customer_summary();
-- Status changes and new totals in place add differences, several customers in one statement:
-- pending -> paid, paid -> returned, cancelled stays (its total changes), delivered -> shipped.
SELECT :figures FROM cartwatch.customer_summary ORDER BY customer_id;
UPDATE cartwatch.orders
   SET status = CASE status WHEN 'pending' THEN 'paid' WHEN 'paid' THEN 'returned'
                            WHEN 'delivered' THEN 'shipped' ELSE status END,
       total = total + 0.50
 WHERE total BETWEEN 5 AND 10;
SELECT :figures FROM cartwatch.customer_summary ORDER BY customer_id;
SELECT * FROM cartwatch.check_customer_summary();
-- One order of one customer (the checkout's "paid" step), and a guest's order: no customer.
UPDATE cartwatch.orders SET status = 'paid' WHERE total = 11;
INSERT INTO cartwatch.orders (order_id, status, total) VALUES (202, 'pending', 5.00);
UPDATE cartwatch.orders SET status = 'paid' WHERE order_id = 202;
SELECT * FROM cartwatch.check_customer_summary();
-- An order moved in time changes first or last order: recounted, with a status change beside it.
UPDATE cartwatch.orders SET placed_at = '2025-01-01 00:00+00', status = 'cancelled' WHERE total = 12;
UPDATE cartwatch.orders SET status = 'refunded' WHERE total IN (6.50, 7.50);
SELECT customer_id, first_order_at, cancelled_value FROM cartwatch.customer_summary ORDER BY 1;
SELECT * FROM cartwatch.check_customer_summary();
-- A customer without a summary row (history loaded with the triggers off) gets one, with its
-- orders recounted; the other figures wait for rebuild_customer_summary(), as after any load
-- with the triggers off.
DELETE FROM cartwatch.customer_totals WHERE customer_id = 1;
UPDATE cartwatch.orders SET status = 'pending' WHERE customer_id IN (1, 2) AND status = 'refunded';
SELECT * FROM cartwatch.check_customer_summary()
 WHERE field IN ('(row)', 'orders_count', 'valid_orders', 'invalid_orders', 'orders_value',
                 'paid_value', 'cancelled_value', 'first_order_at', 'last_order_at');
SELECT cartwatch.rebuild_customer_summary() AS corrected;
SELECT * FROM cartwatch.check_customer_summary();

-- Visits give first and last visit; carts their counts.
INSERT INTO cartwatch.visits (customer_id, ip, started_at, ended_at, page_views)
VALUES (1, '192.0.2.10', '2026-11-18 08:00+00', '2026-11-18 08:20+00', 7),
       (1, '192.0.2.10', '2026-11-20 07:55+00', NULL, 4);
SELECT :figures FROM cartwatch.customer_summary WHERE customer_id = 1;
UPDATE cartwatch.visits SET customer_id = 2 WHERE started_at = '2026-11-18 08:00+00';
INSERT INTO cartwatch.carts (cart_id, customer_id, created_at, last_activity_at)
VALUES (20, 3, '2026-11-20 09:00+00', '2026-11-20 09:00+00');
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
VALUES (20, 1, 1, '2026-11-20 09:05+00');
SELECT :figures FROM cartwatch.customer_summary ORDER BY customer_id;
SELECT * FROM cartwatch.check_customer_summary();

-- Abandoned is decided at read time: an open cart idle long enough counts, a fresh one not.
INSERT INTO cartwatch.carts (cart_id, customer_id) VALUES (21, 3);
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity) VALUES (21, 2, 1);
SELECT open_carts, abandoned_carts FROM cartwatch.customer_summary WHERE customer_id = 3;
-- The cart that becomes an order leaves the open carts.
INSERT INTO cartwatch.orders (customer_id, cart_id, status, total) VALUES (3, 21, 'paid', 79.00);
SELECT open_carts, abandoned_carts, valid_orders FROM cartwatch.customer_summary WHERE customer_id = 3;

-- Deletions: a cart, then a customer (orders and visits keep their rows without a customer).
DELETE FROM cartwatch.carts WHERE cart_id = 20;
SELECT carts_count, open_carts FROM cartwatch.customer_summary WHERE customer_id = 3;
DELETE FROM cartwatch.customers WHERE customer_id = 3;
SELECT customer_id FROM cartwatch.customer_totals ORDER BY 1;
SELECT * FROM cartwatch.check_customer_summary();
-- TRUNCATE recomputes everything.
TRUNCATE cartwatch.visits;
SELECT customer_id, visits_count, first_visit_at FROM cartwatch.customer_summary ORDER BY 1;

-- A damaged summary is reported field by field and repaired by rebuild_customer_summary().
UPDATE cartwatch.customer_totals SET paid_value = 1, orders_count = 99 WHERE customer_id = 1;
DELETE FROM cartwatch.customer_totals WHERE customer_id = 2;
SELECT * FROM cartwatch.check_customer_summary();
SELECT cartwatch.rebuild_customer_summary() AS corrected;
SELECT * FROM cartwatch.check_customer_summary();

-- New customers get their row at once; the reminder outbox is not installed here.
INSERT INTO cartwatch.customers (email) VALUES ('new@example.com');
SELECT customer_type, orders_count, reminders_sent FROM cartwatch.customer_summary
 WHERE email = 'new@example.com';
SELECT cartwatch.attach_reminders_to_customer_summary() AS attached;

-- The top customers by sales are read from the summary rows, never from the orders.
CREATE FUNCTION pg_temp.plan_reads(query text, relation text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
        IF line ~ (' on ' || relation || '\M') THEN
            RETURN true;
        END IF;
    END LOOP;
    RETURN false;
END
$$;
SELECT pg_temp.plan_reads(q, 'orders') AS reads_orders, pg_temp.plan_reads(q, 'customer_totals') AS reads_summary
  FROM (VALUES ('SELECT customer_id FROM cartwatch.customer_summary ORDER BY paid_value DESC, customer_id LIMIT 100')) AS t(q);

-- Cart activity (every add-to-cart): an open cart whose activity moves forward adds a
-- difference to its customer's row; the oldest of several open carts moving on, a cart closing
-- or opening, or activity going back recount. Each step equals a recount.
\set cart_figures 'carts_count, open_carts, open_carts_oldest_activity, open_carts_newest_activity, last_cart_activity_at'
INSERT INTO cartwatch.customers (email) VALUES ('carts@example.com') RETURNING customer_id AS cid \gset
INSERT INTO cartwatch.carts (cart_id, customer_id, created_at, last_activity_at)
VALUES (30, :cid, '2026-11-19 09:00+00', '2026-11-19 09:00+00'),
       (31, :cid, '2026-11-20 09:00+00', '2026-11-20 09:00+00');
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
VALUES (30, 1, 1, '2026-11-19 09:05+00'), (31, 2, 1, '2026-11-20 09:05+00');
SELECT :cart_figures FROM cartwatch.customer_totals WHERE customer_id = :cid;
-- The newer open cart moves on: newest and last activity follow, the oldest stays.
UPDATE cartwatch.carts SET last_activity_at = '2026-11-20 10:00+00' WHERE cart_id = 31;
SELECT :cart_figures FROM cartwatch.customer_totals WHERE customer_id = :cid;
SELECT * FROM cartwatch.check_customer_summary();
-- The oldest of two open carts moves on: the other cart's activity becomes the oldest.
UPDATE cartwatch.carts SET last_activity_at = '2026-11-20 11:00+00' WHERE cart_id = 30;
SELECT :cart_figures FROM cartwatch.customer_totals WHERE customer_id = :cid;
SELECT * FROM cartwatch.check_customer_summary();
-- Only the item count moves: no figure changes.
UPDATE cartwatch.carts SET item_quantity = item_quantity + 1 WHERE cart_id = 30;
SELECT * FROM cartwatch.check_customer_summary();
-- Activity set back (a correction): the newest activity falls back to the other cart's.
UPDATE cartwatch.carts SET last_activity_at = '2026-11-18 08:00+00' WHERE cart_id = 30;
SELECT :cart_figures FROM cartwatch.customer_totals WHERE customer_id = :cid;
SELECT * FROM cartwatch.check_customer_summary();
-- One open cart left: its activity is both the oldest and the newest as it moves on.
UPDATE cartwatch.carts SET item_quantity = 0 WHERE cart_id = 30;
UPDATE cartwatch.carts SET last_activity_at = '2026-11-21 12:00+00' WHERE cart_id = 31;
SELECT :cart_figures FROM cartwatch.customer_totals WHERE customer_id = :cid;
SELECT * FROM cartwatch.check_customer_summary();
-- The emptied cart opens again, and a cart that becomes an order leaves the open carts.
UPDATE cartwatch.carts SET item_quantity = 2, last_activity_at = '2026-11-21 13:00+00' WHERE cart_id = 30;
INSERT INTO cartwatch.orders (customer_id, cart_id, status, total) VALUES (:cid, 31, 'paid', 10.00);
SELECT :cart_figures FROM cartwatch.customer_totals WHERE customer_id = :cid;
SELECT * FROM cartwatch.check_customer_summary();
-- Checkout: a cart becoming an order takes one open cart off by a difference when it held
-- neither the oldest nor the newest activity; it recounts when it held one of them (or a tie),
-- and empties both when it was the one open cart. Each step equals a recount. Which way it
-- went shows in carts_count, set wrong before each order: a difference leaves it (999), a
-- recount puts it right (5).
INSERT INTO cartwatch.customers (email) VALUES ('checkout@example.com') RETURNING customer_id AS kid \gset
INSERT INTO cartwatch.carts (cart_id, customer_id, created_at, last_activity_at)
SELECT 40 + n, :kid, '2026-11-19 08:00+00', '2026-11-19 08:00+00' FROM generate_series(0, 4) AS n;
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
SELECT 40 + n, 1, 1, '2026-11-19 08:00+00' FROM generate_series(0, 4) AS n;
-- Activities 09:00 (40), 10:00 (41), 11:00 (42), 12:00 (43) and 10:00 (44).
UPDATE cartwatch.carts
   SET last_activity_at = '2026-11-19 09:00+00'::timestamptz
                          + CASE WHEN cart_id = 44 THEN 1 ELSE cart_id - 40 END * interval '1 hour'
 WHERE customer_id = :kid;
SELECT :cart_figures FROM cartwatch.customer_totals WHERE customer_id = :kid;
CREATE FUNCTION pg_temp.checkout(customer bigint, cart bigint)
RETURNS TABLE (carts_count bigint, open_carts bigint, open_carts_oldest_activity timestamptz,
               open_carts_newest_activity timestamptz, last_cart_activity_at timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cartwatch.customer_totals AS t SET carts_count = 999 WHERE t.customer_id = customer;
    INSERT INTO cartwatch.orders (customer_id, cart_id, status, total) VALUES (customer, cart, 'paid', 10.00);
    RETURN QUERY SELECT t.carts_count, t.open_carts, t.open_carts_oldest_activity,
                        t.open_carts_newest_activity, t.last_cart_activity_at
                   FROM cartwatch.customer_totals AS t WHERE t.customer_id = customer;
    UPDATE cartwatch.customer_totals AS t SET carts_count = 5 WHERE t.customer_id = customer;
END
$$;
-- 42 (11:00) is neither the oldest (09:00) nor the newest (12:00): a difference.
SELECT * FROM pg_temp.checkout(:kid, 42);
-- 41 (10:00) ties with 44 (10:00) and is neither end: a difference.
SELECT * FROM pg_temp.checkout(:kid, 41);
-- 40 holds the oldest activity: a recount.
SELECT * FROM pg_temp.checkout(:kid, 40);
SELECT * FROM cartwatch.check_customer_summary();
-- 43 holds the newest: a recount; 44 is left, both oldest and newest.
SELECT * FROM pg_temp.checkout(:kid, 43);
SELECT * FROM cartwatch.check_customer_summary();
-- The last open cart: a difference, no open carts, no oldest or newest activity.
SELECT * FROM pg_temp.checkout(:kid, 44);
SELECT * FROM cartwatch.check_customer_summary();
-- An order moved off its cart gives the cart back to the open carts (a recount).
UPDATE cartwatch.orders SET cart_id = NULL WHERE cart_id = 44;
SELECT :cart_figures FROM cartwatch.customer_totals WHERE customer_id = :kid;
SELECT * FROM cartwatch.check_customer_summary();

-- Without a summary row (history loaded with the triggers off), the move recounts and creates it.
DELETE FROM cartwatch.customer_totals WHERE customer_id = :cid;
UPDATE cartwatch.carts SET last_activity_at = '2026-11-21 14:00+00' WHERE cart_id = 30;
SELECT :cart_figures FROM cartwatch.customer_totals WHERE customer_id = :cid;
SELECT * FROM cartwatch.check_customer_summary() WHERE field NOT IN ('orders_count', 'valid_orders', 'orders_value', 'paid_value', 'first_order_at', 'last_order_at');

-- The account's figures (registered, activated, enabled, points, consents) are copied into the
-- summary row by the customers' trigger, so reading every figure probes customer_totals alone.
-- (customer 5's orders were left out on purpose above: rebuilt first.)
SELECT cartwatch.rebuild_customer_summary() > 0 AS corrected;
\set account 'customer_id, customer_type, activated, enabled, loyalty_points, newsletter, partner_offers, reminder_consent'
SELECT :account FROM cartwatch.customer_summary WHERE customer_id IN (1, 2, :cid) ORDER BY 1;
SELECT pg_temp.plan_reads(q, 'customers') AS reads_customers, pg_temp.plan_reads(q, 'customer_totals') AS reads_summary
  FROM (VALUES ('SELECT customer_type, activated, enabled, orders_count, paid_value, abandoned_carts, loyalty_points, newsletter, partner_offers, reminder_consent FROM cartwatch.customer_summary WHERE customer_id = 1')) AS t(q);
-- One customer, then several in one statement; a guest registering.
UPDATE cartwatch.customers SET loyalty_points = loyalty_points + 25, newsletter = NOT newsletter WHERE customer_id = 1;
UPDATE cartwatch.customers SET enabled = false, partner_offers = true, reminder_consent = true WHERE customer_id IN (2, :cid);
UPDATE cartwatch.customers SET registered_at = '2026-11-22 10:00+00', activated = true WHERE customer_id = :cid;
SELECT :account FROM cartwatch.customer_summary WHERE customer_id IN (1, 2, :cid) ORDER BY 1;
SELECT * FROM cartwatch.check_customer_summary();
-- A change no figure reads (an e-mail, a name) leaves the summary row as it was: same version.
SELECT ctid AS row_before FROM cartwatch.customer_totals WHERE customer_id = 1 \gset
UPDATE cartwatch.customers SET first_name = 'Renamed', email = 'renamed@example.com' WHERE customer_id = 1;
SELECT ctid = :'row_before' AS untouched FROM cartwatch.customer_totals WHERE customer_id = 1;
-- A new customer's row carries its account; a new id moves the row with it (ON UPDATE CASCADE).
INSERT INTO cartwatch.customers (customer_id, email, registered_at, activated, loyalty_points, newsletter)
VALUES (900, 'new900@example.com', '2026-11-23 09:00+00', true, 7, true);
UPDATE cartwatch.customers SET customer_id = 901, loyalty_points = 8 WHERE customer_id = 900;
SELECT :account FROM cartwatch.customer_summary WHERE customer_id IN (900, 901) ORDER BY 1;
SELECT * FROM cartwatch.check_customer_summary();
-- A bad value is refused by the customers table and changes nothing here.
\set VERBOSITY terse
UPDATE cartwatch.customers SET loyalty_points = -1 WHERE customer_id = 901;
\set VERBOSITY default
SELECT loyalty_points FROM cartwatch.customer_summary WHERE customer_id = 901;
-- Copied figures gone wrong (written by hand) are reported and repaired.
UPDATE cartwatch.customer_totals SET loyalty_points = 0, enabled = false WHERE customer_id = 901;
SELECT * FROM cartwatch.check_customer_summary();
SELECT cartwatch.rebuild_customer_summary() AS corrected;
SELECT * FROM cartwatch.check_customer_summary();

-- open_carts_abandoned(): the summary row decides the abandoned count when the cut-off (now()
-- minus abandon_after, 2 hours) lies outside its open carts' activity; NULL means "count the
-- carts", which the view then does.
SELECT c.label, cartwatch.open_carts_abandoned(c.open_carts, c.oldest, c.newest) AS abandoned
  FROM (VALUES ('no open carts', 0::bigint, NULL::timestamptz, NULL::timestamptz),
               ('a negative count', -3, now() - interval '3 hours', now()),
               ('no count', NULL, now() - interval '3 hours', now()),
               ('all idle', 2, now() - interval '5 hours', now() - interval '3 hours'),
               ('the newest exactly at the cut-off', 2, now() - interval '5 hours', now() - interval '2 hours'),
               ('none idle', 2, now() - interval '1 hour', now()),
               ('straddling the cut-off', 2, now() - interval '3 hours', now()),
               ('an end missing', 2, NULL, now()),
               ('infinitely old', 1, '-infinity', '-infinity'),
               ('in the future', 1, 'infinity', 'infinity')) AS c (label, open_carts, oldest, newest);
-- Through the view: two open carts either side of the cut-off are counted from the carts; a
-- longer abandon_after moves the cut-off before both; a parallel plan counts the same.
INSERT INTO cartwatch.customers (email) VALUES ('straddle@example.com') RETURNING customer_id AS sid \gset
INSERT INTO cartwatch.carts (cart_id, customer_id, created_at, last_activity_at)
VALUES (70, :sid, now() - interval '3 hours', now() - interval '3 hours'), (71, :sid, now(), now());
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
VALUES (70, 1, 1, now() - interval '3 hours'), (71, 2, 1, now());
SELECT open_carts, abandoned_carts FROM cartwatch.customer_summary WHERE customer_id = :sid;
BEGIN;
SELECT cartwatch.set_setting('abandon_after', '4 hours');
SELECT open_carts, abandoned_carts FROM cartwatch.customer_summary WHERE customer_id = :sid;
ROLLBACK;
SET force_parallel_mode = on;
SELECT open_carts, abandoned_carts FROM cartwatch.customer_summary WHERE customer_id = :sid;
RESET force_parallel_mode;
