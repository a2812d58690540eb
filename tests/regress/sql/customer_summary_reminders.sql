-- The summary's reminders_sent and the KPIs' reminder recovery count the outbox's own
-- reminders, moved through it by its functions: scheduled, claimed, sent or failed, then an
-- order for the reminded cart.
\ir tests/regress/setup.psql
\ir tests/regress/fixtures/reminders.psql
\set figures 'customer_id, reminders_sent, carts_count, open_carts, orders_count, valid_orders'
\set kpis 'reminder_recovery_rate_pct, reminded_carts_30d, recovered_carts_30d'

-- Scheduled (first reminders for carts 10, 12, 20, 23, 26) and claimed: nothing is sent yet.
SELECT cartwatch.schedule_reminders('2026-11-20 12:00+00') AS scheduled;
SELECT cart_id, step FROM cartwatch.claim_reminders('w', 100, '5 minutes', '2026-11-20 12:01+00')
 ORDER BY cart_id;
SELECT :figures FROM cartwatch.customer_summary ORDER BY customer_id;
SELECT :kpis FROM cartwatch.shop_kpis('2026-11-20 12:01+00');

-- Sent: Anna's cart 10, Tom's cart 23 and the guest carts 12 and 26. Zofia's (cart 20) fails
-- with a transient error and waits for its retry: not sent.
SELECT cart_id, cartwatch.complete_reminder(reminder_id, 'w', '<' || reminder_id || '@x>',
                                            '250 ok', 'subject', 'first_reminder',
                                            '2026-11-20 12:02+00') AS completed
  FROM cartwatch.reminders WHERE state = 'claimed' AND cart_id <> 20 ORDER BY cart_id;
SELECT cartwatch.fail_reminder(reminder_id, 'w', '451 4.7.1 try later', false, false,
                               '2026-11-20 12:02+00') AS outcome
  FROM cartwatch.reminders WHERE cart_id = 20;
SELECT :figures FROM cartwatch.customer_summary ORDER BY customer_id;
SELECT * FROM cartwatch.check_customer_summary();
-- Four carts reminded, none recovered yet.
SELECT :kpis FROM cartwatch.shop_kpis('2026-11-20 12:30+00');

-- Anna orders from her reminded cart: a recovery. The guest of cart 12 orders too, but the
-- order is cancelled: no recovery. An order placed before the reminder went out would not
-- count either (cart 13 was ordered on 2026-11-19 and never reminded).
INSERT INTO cartwatch.orders (order_id, customer_id, cart_id, email, status, total, placed_at)
VALUES (301, 1, 10, 'anna.kowalska@example.pl', 'paid', 178.80, '2026-11-20 13:00+00');
INSERT INTO cartwatch.orders (order_id, cart_id, email, status, total, placed_at)
VALUES (302, 12, 'guest@example.com', 'cancelled', 237.00, '2026-11-20 14:00+00');
SELECT :kpis FROM cartwatch.shop_kpis('2026-11-20 15:00+00');
-- The outbox's own attribution agrees on what each order recovered.
SELECT cart_id, step, state, recovered_order_id FROM cartwatch.reminders
 WHERE state = 'sent' ORDER BY cart_id, step;
SELECT :figures FROM cartwatch.customer_summary WHERE customer_id = 1;

-- A day later Zofia's first reminder goes out on its retry, and the second reminders for
-- carts 23 and 26 (cart 12's order stopped its second). Tom has two reminders for one cart,
-- which is still one reminded cart in the KPIs: five carts reminded, one recovered.
SELECT cartwatch.schedule_reminders('2026-11-21 10:00+00') AS scheduled;
SELECT cart_id, step, cartwatch.complete_reminder(reminder_id, 'w', '<' || reminder_id || '@x>',
                                                  '250 ok', 'subject', 'second_reminder',
                                                  '2026-11-21 10:02+00') AS completed
  FROM cartwatch.claim_reminders('w', 100, '5 minutes', '2026-11-21 10:01+00') ORDER BY cart_id, step;
SELECT :figures FROM cartwatch.customer_summary ORDER BY customer_id;
SELECT :kpis FROM cartwatch.shop_kpis('2026-11-21 11:00+00');
-- Thirty days on, the window holds no reminder: no rate rather than a rate of zero.
SELECT :kpis FROM cartwatch.shop_kpis('2026-12-25 00:00+00');

-- Tom orders cart 23 on the 30th, nine days after its last reminder: beyond attribution_window
-- (7 days), so no reminder recovered it. The KPIs follow the outbox's attribution and agree
-- with reminder_stats: still one cart recovered, Anna's.
BEGIN;
INSERT INTO cartwatch.orders (order_id, customer_id, cart_id, email, status, total, placed_at)
VALUES (303, 6, 23, 'tom@example.com', 'paid', 59.80, '2026-11-30 12:00+00');
SELECT :kpis FROM cartwatch.shop_kpis('2026-12-01 00:00+00');
SELECT sum(sent) AS sent, sum(recovered) AS recovered FROM cartwatch.reminder_stats;
ROLLBACK;
-- With a 10-day window the order is credited to Tom's second reminder, and both count it; the
-- KPIs at a moment before the order was placed do not count it yet.
BEGIN;
SELECT cartwatch.set_setting('attribution_window', '10 days');
INSERT INTO cartwatch.orders (order_id, customer_id, cart_id, email, status, total, placed_at)
VALUES (303, 6, 23, 'tom@example.com', 'paid', 59.80, '2026-11-30 12:00+00');
SELECT :kpis FROM cartwatch.shop_kpis('2026-12-01 00:00+00');
SELECT sum(sent) AS sent, sum(recovered) AS recovered FROM cartwatch.reminder_stats;
SELECT :kpis FROM cartwatch.shop_kpis('2026-11-30 11:00+00');
ROLLBACK;

-- Reminders count for the customer they were sent to, not through their cart: Tom's two stay
-- his when his cart 23 changes hands, and when it is deleted (as retention deletes abandoned
-- carts, keeping their reminders for longer) their outbox rows keep counting.
UPDATE cartwatch.carts SET customer_id = 4 WHERE cart_id = 23;
SELECT customer_id, reminders_sent FROM cartwatch.customer_summary WHERE customer_id IN (4, 6)
 ORDER BY customer_id;
SELECT * FROM cartwatch.check_customer_summary();
DELETE FROM cartwatch.carts WHERE cart_id = 23;
SELECT customer_id, reminders_sent FROM cartwatch.customer_summary WHERE customer_id IN (4, 6)
 ORDER BY customer_id;
SELECT count(*) AS orphaned_sent FROM cartwatch.reminders WHERE cart_id IS NULL AND state = 'sent';
SELECT * FROM cartwatch.check_customer_summary();
-- A reminder given to another customer moves from one count to the other.
UPDATE cartwatch.reminders SET customer_id = 4 WHERE customer_id = 6 AND step = 'second';
SELECT customer_id, reminders_sent FROM cartwatch.customer_summary WHERE customer_id IN (4, 6)
 ORDER BY customer_id;
SELECT * FROM cartwatch.check_customer_summary();

-- A reminder is finished when it is sent, never before: the KPIs read their 30-day window of
-- sends as the finished rows from the window's start.
\set VERBOSITY terse
UPDATE cartwatch.reminders SET finished_at = sent_at - interval '1 second' WHERE state = 'sent';
\set VERBOSITY default

-- Emptying the outbox with TRUNCATE brings every customer's reminders_sent back to 0.
BEGIN;
TRUNCATE cartwatch.reminders;
SELECT :figures FROM cartwatch.customer_summary ORDER BY customer_id;
SELECT * FROM cartwatch.check_customer_summary();
ROLLBACK;
