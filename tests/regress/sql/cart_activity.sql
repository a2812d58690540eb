-- The cart_items trigger keeps carts.item_quantity and last_activity_at current.
\ir tests/regress/setup.psql
\ir tests/regress/fixtures/shop.psql

SELECT cart_id, item_quantity, last_activity_at, order_id FROM cartwatch.carts ORDER BY cart_id;

-- An inserted item moves the cart's clock to its added_at ...
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
VALUES (10, 3, 1, '2026-11-20 09:45+00');
SELECT item_quantity, last_activity_at FROM cartwatch.carts WHERE cart_id = 10;
-- ... but never backwards: an item recorded as added earlier leaves the clock alone.
INSERT INTO cartwatch.cart_items (cart_id, product_id, variant, quantity, added_at)
VALUES (10, 3, 'Kolor: Czarny', 2, '2026-11-20 06:00+00');
SELECT item_quantity, last_activity_at FROM cartwatch.carts WHERE cart_id = 10;

-- ... and an added_at in the future (an app server's clock ahead) counts as now, so that the
-- cart does not stay "active" until that time comes.
BEGIN;
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
VALUES (12, 3, 1, now() + interval '30 days');
SELECT last_activity_at = now() AS clamped_to_now FROM cartwatch.carts WHERE cart_id = 12;
ROLLBACK;

-- Name and price come from the product when the shop sends only ids and quantity.
SELECT product_id, variant, product_name, unit_price FROM cartwatch.cart_items
 WHERE cart_id = 10 ORDER BY product_id, variant;

-- Updates and deletes are changes made now.
BEGIN;
UPDATE cartwatch.cart_items SET quantity = 5 WHERE cart_id = 12;
SELECT item_quantity, last_activity_at = now() AS moved_to_now FROM cartwatch.carts WHERE cart_id = 12;
ROLLBACK;
BEGIN;
DELETE FROM cartwatch.cart_items WHERE cart_id = 10 AND variant = 'Kolor: Czarny';
SELECT item_quantity, last_activity_at = now() AS moved_to_now FROM cartwatch.carts WHERE cart_id = 10;
ROLLBACK;

-- Adding the same product again (an upsert) counts once per line.
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
VALUES (11, 3, 1, '2026-11-20 11:10+00')
ON CONFLICT (cart_id, product_id, variant)
DO UPDATE SET quantity = cartwatch.cart_items.quantity + EXCLUDED.quantity;
SELECT item_quantity FROM cartwatch.carts WHERE cart_id = 11;

-- Moving an item to another cart recounts both.
BEGIN;
UPDATE cartwatch.cart_items SET cart_id = 14 WHERE cart_id = 15;
SELECT cart_id, item_quantity FROM cartwatch.carts WHERE cart_id IN (14, 15) ORDER BY cart_id;
ROLLBACK;

-- One statement over many carts, and a huge cart: 1,000 lines in one statement.
INSERT INTO cartwatch.products (product_id, name, price)
SELECT 1000 + g, 'Bulk item ' || g, 1.00 FROM generate_series(1, 1000) AS g;
INSERT INTO cartwatch.carts (cart_id, created_at, last_activity_at)
VALUES (20, '2026-11-01', '2026-11-01'), (21, '2026-11-01', '2026-11-01');
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
SELECT 20, 1000 + g, 2, '2026-11-02 00:00+00'::timestamptz + g * interval '1 second'
  FROM generate_series(1, 1000) AS g
UNION ALL
SELECT 21, 1001, 7, '2026-11-03 00:00+00';
SELECT cart_id, item_quantity, last_activity_at FROM cartwatch.carts WHERE cart_id IN (20, 21) ORDER BY cart_id;

-- Emptying the table empties every cart.
BEGIN;
TRUNCATE cartwatch.cart_items;
SELECT count(*) AS carts_with_items FROM cartwatch.carts WHERE item_quantity <> 0;
ROLLBACK;

-- Deleting a cart takes its items with it.
DELETE FROM cartwatch.carts WHERE cart_id = 21;
SELECT count(*) FROM cartwatch.cart_items WHERE cart_id = 21;

-- An order naming a cart marks the cart ordered; moving the order moves the mark.
INSERT INTO cartwatch.orders (order_id, customer_id, cart_id, total, placed_at)
VALUES (101, 2, 11, 191.20, '2026-11-20 11:30+00');
SELECT cart_id, order_id FROM cartwatch.carts WHERE cart_id IN (11, 12) ORDER BY cart_id;
UPDATE cartwatch.orders SET cart_id = 12 WHERE order_id = 101;
SELECT cart_id, order_id FROM cartwatch.carts WHERE cart_id IN (11, 12) ORDER BY cart_id;
-- Deleting the order keeps the mark: the cart did become an order.
DELETE FROM cartwatch.orders WHERE order_id = 101;
SELECT cart_id, order_id FROM cartwatch.carts WHERE cart_id = 12;

-- Every shop table keeps updated_at at the time of the last change.
BEGIN;
UPDATE cartwatch.customers SET newsletter = false WHERE customer_id = 1;
UPDATE cartwatch.orders SET status = 'shipped' WHERE order_id = 100;
SELECT (SELECT updated_at = now() FROM cartwatch.customers WHERE customer_id = 1) AS customer_touched,
       (SELECT updated_at = now() FROM cartwatch.orders WHERE order_id = 100) AS order_touched,
       (SELECT updated_at = now() FROM cartwatch.customers WHERE customer_id = 2) AS other_untouched;
ROLLBACK;

-- Bad input: each is refused with a clear error and changes nothing.
\set VERBOSITY terse
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity) VALUES (10, 2, 0);
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity) VALUES (10, 2, -3);
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity) VALUES (10, 2, NULL);
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity) VALUES (999, 2, 1);
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity) VALUES (10, 999, 1);
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity) VALUES (NULL, 2, 1);
INSERT INTO cartwatch.cart_items (cart_id, product_id, unit_price, quantity) VALUES (10, 2, -1, 1);
INSERT INTO cartwatch.orders (cart_id, total) VALUES (999, 1);
INSERT INTO cartwatch.orders (cart_id, total, status) VALUES (10, 1, 'lost');
INSERT INTO cartwatch.carts (guest_email) VALUES (E'evil@example.com\r\nBcc: all@example.com');
INSERT INTO cartwatch.carts (guest_email) VALUES ('not-an-address');
INSERT INTO cartwatch.carts (currency) VALUES ('euro');
SELECT cart_id, item_quantity, last_activity_at FROM cartwatch.carts WHERE cart_id = 10;
