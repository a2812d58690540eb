-- cart_status(), abandoned_carts() and the cart views, at a fixed as_of.
\ir tests/regress/setup.psql
\ir tests/regress/fixtures/shop.psql
\set as_of '''2026-11-20 12:00+00'''

SELECT cart_id, cartwatch.cart_status(cart_id, :as_of) FROM cartwatch.carts ORDER BY cart_id;

-- The boundary: idle exactly abandon_after is abandoned, a microsecond less is not.
SELECT cartwatch.cart_status(10, '2026-11-20 11:00+00') AS at_two_hours,
       cartwatch.cart_status(10, '2026-11-20 10:59:59.999999+00') AS just_before;

-- abandon_after is a setting: at 4 hours cart 10 is not abandoned yet.
SELECT cartwatch.set_setting('abandon_after', '4 hours');
SELECT cartwatch.cart_status(10, :as_of);
SELECT cartwatch.reset_setting('abandon_after');

SELECT * FROM cartwatch.abandoned_carts(:as_of);
-- Every cart cart_status() calls abandoned is listed, and nothing else.
SELECT count(*) FILTER (WHERE cartwatch.cart_status(c.cart_id, :as_of) = 'abandoned') AS by_status,
       (SELECT count(*) FROM cartwatch.abandoned_carts(:as_of)) AS listed
  FROM cartwatch.carts AS c;
-- Before anything was idle long enough there is nothing to list.
SELECT count(*) FROM cartwatch.abandoned_carts('2026-11-18 12:00+00');

-- An order placed for a cart takes it off the list at once.
BEGIN;
INSERT INTO cartwatch.orders (customer_id, cart_id, total) VALUES (NULL, 12, 237.00);
SELECT cart_id FROM cartwatch.abandoned_carts(:as_of);
SELECT cartwatch.cart_status(12, :as_of);
ROLLBACK;
-- So does new activity: the cart's clock restarts.
BEGIN;
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
VALUES (12, 1, 1, '2026-11-20 11:59+00');
SELECT cartwatch.cart_status(12, :as_of);
ROLLBACK;

-- The open-cart index key: the activity time of an open cart, NULL for a closed one.
SELECT cartwatch.open_cart_activity(NULL, 2, '2026-11-20 09:00+00') AS open_cart,
       cartwatch.open_cart_activity(100, 2, '2026-11-20 09:00+00') AS ordered,
       cartwatch.open_cart_activity(NULL, 0, '2026-11-20 09:00+00') AS empty;

-- The classification rule itself, including unknowns.
SELECT cartwatch.classify_cart(2, false, '2026-11-20 09:00+00', '2026-11-20 10:00+00') AS idle,
       cartwatch.classify_cart(2, false, '2026-11-20 11:00+00', '2026-11-20 10:00+00') AS recent,
       cartwatch.classify_cart(0, false, '2026-11-20 09:00+00', '2026-11-20 10:00+00') AS no_items,
       cartwatch.classify_cart(2, true, '2026-11-20 09:00+00', '2026-11-20 10:00+00') AS ordered,
       cartwatch.classify_cart(NULL, NULL, NULL, NULL) AS unknown,
       cartwatch.classify_cart(2, false, NULL, '2026-11-20 10:00+00') AS no_clock;

-- The views. Their clock is now(), so the fixture's carts are moved relative to now() first.
UPDATE cartwatch.carts SET last_activity_at = now() - interval '3 hours' WHERE cart_id = 10;
UPDATE cartwatch.carts SET last_activity_at = now() - interval '30 minutes' WHERE cart_id = 11;
UPDATE cartwatch.carts SET last_activity_at = now() - interval '2 days' WHERE cart_id = 12;
UPDATE cartwatch.carts SET last_activity_at = now() - interval '1 day' WHERE cart_id = 15;
UPDATE cartwatch.carts SET last_activity_at = now() - interval '1 day 4 hours' WHERE cart_id IN (13, 14);
SELECT cart_id, customer_name, customer_type, email, ip, item_count, line_count, value,
       currency, date_trunc('hour', idle_for) AS idle_hours, status, order_id
  FROM cartwatch.cart_overview ORDER BY cart_id;
SELECT email, product_name, customer_type, quantity, unit_price, currency
  FROM cartwatch.abandoned_cart_items ORDER BY cart_id, product_id, variant;
SELECT * FROM cartwatch.product_cart_stats ORDER BY product_id;

-- Bad input.
SELECT cartwatch.cart_status(999, :as_of);
SELECT cartwatch.cart_status(NULL, :as_of);
SELECT cartwatch.cart_status(10, NULL);
SELECT * FROM cartwatch.abandoned_carts(NULL);
