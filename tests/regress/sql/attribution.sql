-- Last-touch attribution (cartwatch.attribute_order) and the cart link (link_order_to_cart):
-- which reminder an order recovers, at the window's edges, for ties, for guests, in bulk, and
-- after a session has planned the trigger's query for guests' orders first.
\ir tests/regress/setup.psql
INSERT INTO cartwatch.customers (customer_id, email, registered_at) VALUES
    (1, 'anna@example.com', '2026-01-01'), (2, 'ben@example.com', '2026-01-01'),
    (3, 'cleo@example.com', '2026-01-01');
INSERT INTO cartwatch.carts (cart_id, customer_id, guest_email, created_at, last_activity_at,
                             item_quantity)
SELECT n, CASE WHEN n <= 3 THEN n END, CASE WHEN n > 3 THEN 'guest' || n || '@example.com' END,
       '2026-11-01', '2026-11-01', 1
  FROM generate_series(1, 9) AS n;
-- A sent reminder: its cart (or none), customer, address and send time.
CREATE FUNCTION pg_temp.sent(cart bigint, customer bigint, address text, sent timestamptz,
                             state text DEFAULT 'sent', step text DEFAULT 'first')
RETURNS bigint LANGUAGE sql AS $$
    INSERT INTO cartwatch.reminders (cart_id, step, state, cancel_reason, customer_id, email_key,
                                     activity_at, scheduled_at, due_at, sent_at, finished_at)
    VALUES (cart, step, state, CASE WHEN state = 'cancelled' THEN 'manual' END, customer,
            cartwatch.email_key(address), sent, sent, sent,
            CASE WHEN state = 'sent' THEN sent END, sent)
    RETURNING reminder_id
$$;
CREATE FUNCTION pg_temp.recovered() RETURNS TABLE (reminder_id bigint, order_id bigint)
LANGUAGE sql AS $$
    SELECT r.reminder_id, r.recovered_order_id FROM cartwatch.reminders AS r
     WHERE r.recovered_order_id IS NOT NULL ORDER BY r.reminder_id
$$;

-- Guests' orders first, more than the five after which PostgreSQL settles on a plan: the
-- registered customer's order after them must still be matched through its customer.
SELECT pg_temp.sent(NULL, 1, 'anna@example.com', '2026-11-19 10:00+00') AS anna_reminder \gset
INSERT INTO cartwatch.orders (order_id, email, placed_at)
SELECT 100 + n, 'nobody' || n || '@example.com', '2026-11-20 12:00+00'
  FROM generate_series(1, 8) AS n;
INSERT INTO cartwatch.orders (order_id, customer_id, placed_at) VALUES (110, 1, '2026-11-20 12:00+00');
SELECT * FROM pg_temp.recovered();

-- Last touch: the cart's reminder, the customer's and the address's compete; the latest sent
-- wins, and a tie on sent_at goes to the higher reminder_id.
TRUNCATE cartwatch.reminders;
SELECT pg_temp.sent(2, 2, 'ben@example.com', '2026-11-18 10:00+00') AS by_cart,
       pg_temp.sent(NULL, 2, NULL, '2026-11-19 10:00+00') AS by_customer_tie_low,
       pg_temp.sent(NULL, NULL, ' BEN@example.com ', '2026-11-19 10:00+00') AS by_address_tie_high,
       pg_temp.sent(NULL, 2, NULL, '2026-11-20 12:00:01+00') AS after_the_order;
INSERT INTO cartwatch.orders (order_id, customer_id, cart_id, email, placed_at)
VALUES (200, 2, 2, 'ben@example.com', '2026-11-20 12:00+00');
-- A second order recovers the next one, a third the cart's older one, which it reaches by the
-- address; the reminder sent after the orders stays free.
INSERT INTO cartwatch.orders (order_id, customer_id, placed_at) VALUES (201, 2, '2026-11-20 12:00+00');
INSERT INTO cartwatch.orders (order_id, email, placed_at) VALUES (202, 'ben@example.com', '2026-11-20 12:00+00');
SELECT r.reminder_id, r.sent_at, r.recovered_order_id, r.recovered_at, r.recovered_value
  FROM cartwatch.reminders AS r ORDER BY r.reminder_id;

-- The window's edges: placed_at - attribution_window and placed_at itself are inside.
TRUNCATE cartwatch.reminders;
SELECT pg_temp.sent(NULL, 3, NULL, '2026-11-13 12:00+00') AS exactly_seven_days,
       pg_temp.sent(NULL, 3, NULL, '2026-11-13 11:59:59.999999+00') AS a_microsecond_earlier;
INSERT INTO cartwatch.orders (order_id, customer_id, placed_at) VALUES (300, 3, '2026-11-20 12:00+00');
INSERT INTO cartwatch.orders (order_id, customer_id, placed_at) VALUES (301, 3, '2026-11-20 12:00+00');
SELECT * FROM pg_temp.recovered();
SELECT pg_temp.sent(NULL, 3, NULL, '2026-11-21 12:00+00') AS sent_at_the_order;
INSERT INTO cartwatch.orders (order_id, customer_id, placed_at) VALUES (302, 3, '2026-11-21 12:00+00');
SELECT * FROM pg_temp.recovered();
-- A shorter window is read at the next order, in the same session.
SELECT cartwatch.set_setting('attribution_window', '1 hour');
SELECT pg_temp.sent(NULL, 3, NULL, '2026-11-22 10:59+00') AS outside_one_hour,
       pg_temp.sent(NULL, 3, NULL, '2026-11-22 11:30+00') AS inside_one_hour;
INSERT INTO cartwatch.orders (order_id, customer_id, placed_at) VALUES (303, 3, '2026-11-22 12:00+00');
INSERT INTO cartwatch.orders (order_id, customer_id, placed_at) VALUES (304, 3, '2026-11-22 12:00+00');
SELECT * FROM pg_temp.recovered();
SELECT cartwatch.reset_setting('attribution_window');

-- Only a sent reminder counts: a cancelled or a dead one never.
TRUNCATE cartwatch.reminders;
SELECT pg_temp.sent(4, NULL, 'guest4@example.com', '2026-11-19 10:00+00', 'cancelled') AS cancelled,
       pg_temp.sent(4, NULL, 'guest4@example.com', '2026-11-19 11:00+00', 'dead', 'second') AS dead;
INSERT INTO cartwatch.orders (order_id, cart_id, email, placed_at)
VALUES (400, 4, 'guest4@example.com', '2026-11-20 12:00+00');
SELECT count(*) AS recovered FROM pg_temp.recovered();

-- A guest matched by the address alone: another cart, no customer, the address in other case.
SELECT pg_temp.sent(5, NULL, 'guest5@example.com', '2026-11-19 10:00+00') AS guest_reminder;
INSERT INTO cartwatch.orders (order_id, email, placed_at) VALUES (500, 'Guest5@Example.COM', '2026-11-20 12:00+00');
SELECT * FROM pg_temp.recovered();

-- In bulk, one INSERT ... SELECT: each order in turn takes the latest reminder still free, so
-- two orders of one customer recover two reminders, and a third finds none.
TRUNCATE cartwatch.reminders;
SELECT pg_temp.sent(NULL, 1, NULL, '2026-11-18 10:00+00') AS anna_older,
       pg_temp.sent(NULL, 1, NULL, '2026-11-19 10:00+00') AS anna_newer,
       pg_temp.sent(6, NULL, 'guest6@example.com', '2026-11-19 10:00+00') AS guest6;
INSERT INTO cartwatch.orders (order_id, customer_id, cart_id, email, placed_at)
SELECT o.id, o.customer, o.cart, o.email, '2026-11-20 12:00+00'
  FROM (VALUES (600, 1, NULL, NULL), (601, 1, NULL, NULL), (602, 1, NULL, NULL),
               (603, NULL, 6, 'guest6@example.com'), (604, NULL, NULL, 'guest6@example.com'))
       AS o (id, customer, cart, email)
 ORDER BY o.id;
SELECT * FROM pg_temp.recovered();
INSERT INTO cartwatch.reminders (cart_id, step, state, customer_id, activity_at, scheduled_at,
                                 due_at, sent_at, finished_at)
SELECT NULL, 'first', 'sent', 1 + n % 3, t, t, t, t, t
  FROM generate_series(1, 300) AS n, LATERAL (SELECT '2026-11-25 00:00+00'::timestamptz + n * interval '1 minute' AS t) AS s;
INSERT INTO cartwatch.orders (order_id, customer_id, placed_at)
SELECT 1000 + n, 1 + n % 3, '2026-11-26 00:00+00' FROM generate_series(1, 250) AS n;
-- 250 orders, 250 reminders recovered once each, each by an order of its own customer, and
-- every customer's newest reminders first: none left free is newer than one taken.
SELECT count(*) AS recovered, count(DISTINCT r.recovered_order_id) AS orders,
       bool_and(o.customer_id = r.customer_id) AS same_customer,
       bool_and(NOT EXISTS (SELECT FROM cartwatch.reminders AS f
                             WHERE f.customer_id = r.customer_id AND f.recovered_order_id IS NULL
                               AND f.sent_at > r.sent_at)) AS newest_first
  FROM cartwatch.reminders AS r JOIN cartwatch.orders AS o ON o.order_id = r.recovered_order_id
 WHERE r.sent_at > '2026-11-25';

-- The cart link: an order's cart is marked ordered; moving the order to another cart frees
-- the first and marks the second; an UPDATE that leaves cart_id alone changes nothing; a cart
-- another order holds is not freed by a move away from it.
INSERT INTO cartwatch.orders (order_id, cart_id, email, placed_at) VALUES (700, 7, 'guest7@example.com', '2026-11-20 12:00+00');
SELECT cart_id, order_id FROM cartwatch.carts WHERE cart_id IN (7, 8, 9) ORDER BY cart_id;
UPDATE cartwatch.orders SET cart_id = 8 WHERE order_id = 700;
SELECT cart_id, order_id FROM cartwatch.carts WHERE cart_id IN (7, 8, 9) ORDER BY cart_id;
UPDATE cartwatch.orders SET status = 'paid' WHERE order_id = 700;
UPDATE cartwatch.carts SET order_id = NULL WHERE cart_id = 8;
UPDATE cartwatch.orders SET total = 10 WHERE order_id = 700;
SELECT cart_id, order_id FROM cartwatch.carts WHERE cart_id = 8;
UPDATE cartwatch.orders SET cart_id = 8 WHERE order_id = 700;
SELECT cart_id, order_id FROM cartwatch.carts WHERE cart_id = 8;
UPDATE cartwatch.carts SET order_id = 500 WHERE cart_id = 8;
UPDATE cartwatch.orders SET cart_id = 9 WHERE order_id = 700;
SELECT cart_id, order_id FROM cartwatch.carts WHERE cart_id IN (7, 8, 9) ORDER BY cart_id;
UPDATE cartwatch.orders SET cart_id = NULL WHERE order_id = 700;
SELECT cart_id, order_id FROM cartwatch.carts WHERE cart_id IN (7, 8, 9) ORDER BY cart_id;
-- In bulk too: one UPDATE moving two orders at once.
INSERT INTO cartwatch.orders (order_id, cart_id, placed_at) VALUES (701, 7, '2026-11-20 12:00+00');
UPDATE cartwatch.orders SET cart_id = CASE order_id WHEN 700 THEN 8 ELSE 9 END
 WHERE order_id IN (700, 701);
SELECT cart_id, order_id FROM cartwatch.carts WHERE cart_id IN (7, 8, 9) ORDER BY cart_id;
