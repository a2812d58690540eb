-- schedule_reminders(): which carts get a first and a second reminder, and every policy knob.
\ir tests/regress/setup.psql
\ir tests/regress/fixtures/reminders.psql
\set as_of '''2026-11-20 12:00+00'''
CREATE VIEW outbox AS
SELECT cart_id, step, state, cancel_reason, skipped, email_key, currency, activity_at, due_at
  FROM cartwatch.reminders ORDER BY cart_id, step, reminder_id;

-- Nothing is due before a cart has been idle for first_after (2 hours): at 10:59 on the 14th
-- the oldest cart, 27, has been idle 1 hour 59 minutes.
SELECT cartwatch.schedule_reminders('2026-11-14 10:59+00');
SELECT count(*) FROM cartwatch.reminders;

-- At noon: five carts queued; the ineligible ones get a skipped row that says why; cart 11
-- (idle 1 hour) is not due, cart 27 (created 8 days ago) too old to be considered.
SELECT cartwatch.schedule_reminders(:as_of);
SELECT * FROM outbox;

-- Idempotent: a second run queues nothing and writes nothing.
SELECT cartwatch.schedule_reminders(:as_of);
SELECT count(*) FROM cartwatch.reminders;

-- The knobs, one at a time, each on an empty outbox: queued carts, and skipped ones with why.
CREATE FUNCTION queued_carts(as_of timestamptz) RETURNS text LANGUAGE sql AS $$
    SELECT cartwatch.schedule_reminders(as_of);
    SELECT coalesce(string_agg(cart_id::text || coalesce('(' || cancel_reason || ')', ''), ' '
                               ORDER BY cart_id), '-')
      FROM cartwatch.reminders WHERE scheduled_at = as_of
$$;
BEGIN;
TRUNCATE cartwatch.reminders;
SELECT cartwatch.set_setting('reminders_enabled', 'false');
SELECT queued_carts(:as_of) AS disabled;
ROLLBACK;
BEGIN;
TRUNCATE cartwatch.reminders;
SELECT cartwatch.set_setting('first_after', '4 hours 30 minutes');
SELECT queued_carts(:as_of) AS first_after_4h30;
ROLLBACK;
BEGIN;
TRUNCATE cartwatch.reminders;
SELECT cartwatch.set_setting('max_cart_age', '1 day');
SELECT queued_carts(:as_of) AS max_cart_age_1_day;
ROLLBACK;
BEGIN;
TRUNCATE cartwatch.reminders;
SELECT cartwatch.set_setting('min_cart_value', '100');
SELECT queued_carts(:as_of) AS min_cart_value_100;
ROLLBACK;
BEGIN;
TRUNCATE cartwatch.reminders;
SELECT cartwatch.set_setting('audience', 'registered');
SELECT queued_carts(:as_of) AS audience_registered;
ROLLBACK;
BEGIN;
TRUNCATE cartwatch.reminders;
SELECT cartwatch.set_setting('audience', 'all_with_email');
SELECT queued_carts(:as_of) AS audience_all_with_email;
ROLLBACK;
-- consented: withdrawing consent or an unconsented guest cart keeps them out.
BEGIN;
TRUNCATE cartwatch.reminders;
UPDATE cartwatch.customers SET reminder_consent = false WHERE customer_id = 1;
UPDATE cartwatch.carts SET guest_reminder_consent = false WHERE cart_id = 12;
SELECT queued_carts(:as_of) AS consent_withdrawn;
ROLLBACK;

-- recheck_due => false (a worker about to claim) leaves the due rows to the claim's final
-- re-check: an order does not cancel its due reminder here, but does cancel one whose retry is
-- not due yet; claiming then cancels the due one and never returns it.
BEGIN;
UPDATE cartwatch.reminders SET state = 'failed', due_at = '2026-11-20 13:00+00'
 WHERE cart_id = 20;
INSERT INTO cartwatch.orders (order_id, customer_id, cart_id, total, placed_at)
VALUES (103, 4, 20, 191.20, '2026-11-20 12:10+00'), (104, NULL, 12, 10.00, '2026-11-20 12:10+00');
SELECT cartwatch.schedule_reminders('2026-11-20 12:20+00', recheck_due => false);
SELECT cart_id, step, state, cancel_reason FROM outbox WHERE cart_id IN (12, 20);
SELECT count(*) FILTER (WHERE cart_id = 12) AS claimed_cart_12
  FROM cartwatch.claim_reminders('w', 100, '5 minutes', '2026-11-20 12:20+00');
SELECT cart_id, step, state, cancel_reason FROM outbox WHERE cart_id = 12;
ROLLBACK;

-- A due reminder whose cart is deleted can never be claimed (the claim locks each row's cart),
-- so the scheduler cancels it as cart_deleted even with recheck_due => false, pending or
-- waiting for a retry; meanwhile the queue metrics do not count it as due.
BEGIN;
UPDATE cartwatch.reminders SET state = 'failed', failures = 1, due_at = '2026-11-20 12:05+00'
 WHERE cart_id = 10;
SELECT reminder_id AS tom_first FROM cartwatch.reminders WHERE cart_id = 23 \gset
DELETE FROM cartwatch.carts WHERE cart_id IN (10, 23);
SELECT due, oldest_due_at, pending, retrying
  FROM cartwatch.reminder_queue_metrics('2026-11-20 12:20+00');
SELECT cartwatch.schedule_reminders('2026-11-20 12:20+00', recheck_due => false);
SELECT reminder_id = :tom_first AS tom, step, state, cancel_reason, finished_at
  FROM cartwatch.reminders WHERE cart_id IS NULL ORDER BY reminder_id;
SELECT count(*) FILTER (WHERE cart_id IS NULL) AS cartless_claimed
  FROM cartwatch.claim_reminders('w', 100, '5 minutes', '2026-11-20 12:20+00');
SELECT due, oldest_due_at, pending, retrying
  FROM cartwatch.reminder_queue_metrics('2026-11-20 12:20+00');
ROLLBACK;

-- The verdicts themselves, as the claim and the scheduler read them: one row per reminder
-- however often its id is named, none for an id that names no reminder, cart_deleted for a
-- reminder whose cart is gone, and the facts to render the others.
BEGIN;
SELECT array_agg(reminder_id ORDER BY reminder_id) AS verdict_ids
  FROM cartwatch.reminders WHERE cart_id IN (12, 23) \gset
DELETE FROM cartwatch.carts WHERE cart_id = 23;
SELECT r.cart_id, r.step, v.cancel_reason, v.email, v.locale, v.last_activity_at
  FROM cartwatch.reminder_verdicts(:'verdict_ids'::bigint[] || :'verdict_ids'::bigint[]
                                   || ARRAY[-1]::bigint[], '2026-11-20 12:20+00') AS v
  JOIN cartwatch.reminders AS r USING (reminder_id)
 ORDER BY v.reminder_id;
ROLLBACK;

-- Queued reminders are re-checked on every run: an order, an emptied cart and a touched cart
-- cancel theirs.
INSERT INTO cartwatch.orders (order_id, customer_id, cart_id, total, placed_at)
VALUES (102, 4, 20, 191.20, '2026-11-20 12:10+00');
DELETE FROM cartwatch.cart_items WHERE cart_id = 26;
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
VALUES (12, 1, 1, '2026-11-20 12:15+00');
SELECT cartwatch.schedule_reminders('2026-11-20 12:20+00');
SELECT cart_id, step, state, cancel_reason FROM outbox WHERE cart_id IN (12, 20, 26);
-- A touched cart restarts its clock: two hours after the new activity it is due again.
SELECT cartwatch.schedule_reminders('2026-11-20 14:14+00') AS before_due,
       cartwatch.schedule_reminders('2026-11-20 14:15+00') AS due_again;
SELECT cart_id, step, state, cancel_reason, activity_at, due_at FROM outbox WHERE cart_id = 12;

-- The second reminder: only after the first was sent, second_after after the last activity and
-- at least second_min_gap after the first.
SELECT reminder_id AS anna_first FROM cartwatch.reminders WHERE cart_id = 10 \gset
SELECT count(*) FROM cartwatch.claim_reminders('w', 100, '5 minutes', '2026-11-20 14:30+00');
SELECT cartwatch.complete_reminder(:anna_first, 'w', '<1@shop>', '250 ok', 'Twój koszyk',
                                   'first_reminder', '2026-11-20 14:31+00');
-- Cart 10 was last active at 09:00: second_after (24 h) ends 2026-11-21 09:00.
SELECT cartwatch.schedule_reminders('2026-11-21 08:59+00') AS before_second_after,
       cartwatch.schedule_reminders('2026-11-21 09:00+00') AS at_second_after;
SELECT cart_id, step, state, due_at FROM outbox WHERE cart_id = 10;

-- second_min_gap: with second_after at 3 hours, the second still waits 12 hours after the first.
BEGIN;
DELETE FROM cartwatch.reminders WHERE cart_id = 10 AND step = 'second';
SELECT cartwatch.set_setting('second_after', '3 hours');
SELECT cartwatch.schedule_reminders('2026-11-21 02:30+00') AS before_gap,
       cartwatch.schedule_reminders('2026-11-21 02:31+00') AS after_gap;
SELECT cart_id, step, state, due_at FROM outbox WHERE cart_id = 10 AND step = 'second';
ROLLBACK;

-- second_enabled off: no second reminder at all.
BEGIN;
DELETE FROM cartwatch.reminders WHERE cart_id = 10 AND step = 'second';
SELECT cartwatch.set_setting('second_enabled', 'false');
SELECT cartwatch.schedule_reminders('2026-11-21 10:00+00');
ROLLBACK;

-- cooldown: Anna's sequence started at 14:31; her newer cart gets no new sequence for 7 days,
-- and it supersedes the old cart's second reminder.
BEGIN;
INSERT INTO cartwatch.carts (cart_id, customer_id, locale, currency, created_at, last_activity_at)
VALUES (30, 1, 'pl', 'PLN', '2026-11-21 10:00+00', '2026-11-21 10:00+00');
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
VALUES (30, 1, 1, '2026-11-21 10:00+00');
SELECT cartwatch.schedule_reminders('2026-11-21 12:00+00');
SELECT cart_id, step, state, cancel_reason, skipped FROM outbox WHERE cart_id IN (10, 30);
-- With a 12-hour cooldown a new sequence may start: once the cart is touched (its skipped row
-- is then out of date), it is queued when its new clock runs out.
SELECT cartwatch.set_setting('cooldown', '12 hours');
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
VALUES (30, 2, 1, '2026-11-21 13:00+00');
SELECT cartwatch.schedule_reminders('2026-11-21 15:00+00') > 0 AS queued_after_cooldown;
SELECT cart_id, step, state, cancel_reason, skipped FROM outbox WHERE cart_id = 30;
ROLLBACK;

-- The policy's values are checked like every setting.
SELECT cartwatch.set_setting('audience', 'everyone');
SELECT cartwatch.set_setting('first_after', '10 seconds');
SELECT cartwatch.set_setting('max_attempts', '0');
SELECT cartwatch.set_setting('lost_lease', 'retry');

-- Bad input.
SELECT cartwatch.schedule_reminders(NULL);
SELECT cartwatch.schedule_reminders(:as_of, recheck_due => NULL);
