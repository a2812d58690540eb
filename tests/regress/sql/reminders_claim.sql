-- claim_reminders(), complete_reminder(), fail_reminder(), release_reminders(): every state
-- transition, leases, retries, the final re-check, and bad input.
\ir tests/regress/setup.psql
\ir tests/regress/fixtures/reminders.psql
SELECT cartwatch.schedule_reminders('2026-11-20 12:00+00');
CREATE VIEW outbox AS
SELECT cart_id, step, state, cancel_reason, attempt, failures, claimed_by, lease_until, due_at,
       sent_at, last_error
  FROM cartwatch.reminders WHERE NOT skipped ORDER BY cart_id, step, reminder_id;
SELECT cart_id, reminder_id FROM cartwatch.reminders WHERE NOT skipped ORDER BY cart_id;
SELECT reminder_id AS r10 FROM cartwatch.reminders WHERE cart_id = 10 \gset
SELECT reminder_id AS r12 FROM cartwatch.reminders WHERE cart_id = 12 \gset
SELECT reminder_id AS r20 FROM cartwatch.reminders WHERE cart_id = 20 \gset
SELECT reminder_id AS r23 FROM cartwatch.reminders WHERE cart_id = 23 \gset
SELECT reminder_id AS r26 FROM cartwatch.reminders WHERE cart_id = 26 \gset

-- pending -> claimed: oldest due first, everything a message needs. Locale: cart 20 has none,
-- so Zofia's (fr); the guest's cart 26 has none either, so en. Guests have no names.
SELECT reminder_id = :r12 AS oldest_first, step, attempt, cart_id, email, display_name, locale,
       currency, items, total, length(recovery_token) AS recovery_len,
       length(unsubscribe_token) AS unsubscribe_len, recovery_token <> unsubscribe_token AS distinct_tokens,
       customer_id, first_name, title, due_at
  FROM cartwatch.claim_reminders('worker-a', 2, '5 minutes', '2026-11-20 12:01+00');
SELECT step, cart_id, email, display_name, locale, currency, items, total, first_name
  FROM cartwatch.claim_reminders('worker-b', 10, '5 minutes', '2026-11-20 12:01+00');
-- Everything due is claimed now: another worker gets nothing.
SELECT count(*) FROM cartwatch.claim_reminders('worker-c', 10, '5 minutes', '2026-11-20 12:01+00');
SELECT cart_id, state, attempt, claimed_by, lease_until FROM outbox;

-- claimed -> sent, by the worker holding the lease.
SELECT cartwatch.complete_reminder(:r12, 'worker-a', '<12.1@shop.example>', '250 2.0.0 queued',
                                   'Your cart is waiting', 'first_reminder', '2026-11-20 12:02+00');
-- A second report, a wrong worker, an unknown id, NULLs, an expired lease: errors that change
-- nothing.
SELECT cartwatch.complete_reminder(:r12, 'worker-a', '<x>', '250', 's', 't', '2026-11-20 12:03+00');
SELECT cartwatch.complete_reminder(:r10, 'worker-a', '<x>', '250', 's', 't', '2026-11-20 12:03+00');
SELECT cartwatch.fail_reminder(:r10, 'worker-a', '451', false, false, '2026-11-20 12:03+00');
SELECT cartwatch.complete_reminder(999999, 'worker-a', '<x>', '250', 's', 't', '2026-11-20 12:03+00');
SELECT cartwatch.complete_reminder(NULL, 'worker-a', '<x>', '250', 's', 't');
SELECT cartwatch.complete_reminder(:r10, NULL, '<x>', '250', 's', 't');
SELECT cartwatch.fail_reminder(:r10, 'worker-b', 'x', NULL);
SELECT cartwatch.fail_reminder(:r10, 'worker-b', '451', false, true);
SELECT cart_id, state, attempt, claimed_by, sent_at FROM outbox WHERE cart_id IN (10, 12);

-- claimed -> dead (permanent, SMTP 5xx): no retry; the address stays usable...
SELECT cartwatch.fail_reminder(:r23, 'worker-b', '554 5.7.1 policy rejection', true, false, '2026-11-20 12:03+00');
SELECT cart_id, state, attempt, last_error FROM outbox WHERE cart_id = 23;
SELECT cartwatch.is_suppressed('tom@example.com');
-- ... unless the daemon says the address itself is bad (5.1.x): then it is suppressed too.
SELECT cartwatch.fail_reminder(:r20, 'worker-a', '550 5.1.1 no such user', true, true, '2026-11-20 12:03+00');
SELECT cartwatch.is_suppressed('ZOFIA@example.pl');
SELECT email, reason, suppressed_at, source FROM cartwatch.suppressions ORDER BY email;

-- claimed -> failed (transient, SMTP 4xx): retried after an exponential backoff with a
-- deterministic jitter in [0.75, 1) of 5 minutes, 10 minutes, ...
SELECT cartwatch.fail_reminder(:r10, 'worker-b', '451 4.7.1 greylisted', false, false, '2026-11-20 12:02+00');
SELECT cart_id, state, attempt, failures, due_at, last_error FROM outbox WHERE cart_id = 10;
SELECT due_at - '2026-11-20 12:02+00' BETWEEN interval '3 minutes 45 seconds' AND interval '5 minutes'
       AS first_retry_in_band
  FROM cartwatch.reminders WHERE reminder_id = :r10;

-- claimed -> pending: a graceful stop releases what was not sent; the claim is given back.
SELECT cartwatch.release_reminders('worker-b') AS released, cartwatch.release_reminders('nobody') AS none;
SELECT cart_id, state, attempt, claimed_by FROM outbox WHERE cart_id = 26;

-- A lease that ran out: reporting on it is an error that changes nothing...
SELECT cart_id, attempt FROM cartwatch.claim_reminders('worker-d', 10, '5 minutes', '2026-11-20 12:05+00');
SELECT cartwatch.complete_reminder(:r26, 'worker-d', '<x>', '250', 's', 't', '2026-11-20 12:10:01+00');
SELECT cartwatch.fail_reminder(:r26, 'worker-d', '451', false, false, '2026-11-20 12:10:01+00');
SELECT cart_id, state, claimed_by, lease_until FROM outbox WHERE cart_id = 26;
-- ... and the next claim resolves it: unknown by default (never sent twice). It also takes the
-- retry of cart 10, due since 12:06:50, but not before.
SELECT count(*) FROM cartwatch.claim_reminders('worker-a', 10, '5 minutes', '2026-11-20 12:06+00');
SELECT cart_id, attempt, step FROM cartwatch.claim_reminders('worker-a', 10, '5 minutes', '2026-11-20 12:11+00');
SELECT cart_id, state, attempt, claimed_by, last_error FROM outbox WHERE cart_id IN (10, 26);
SELECT cartwatch.fail_reminder(:r10, 'worker-a', '421 busy', false, false, '2026-11-20 12:12+00');
SELECT due_at - '2026-11-20 12:12+00' BETWEEN interval '7 minutes 30 seconds' AND interval '10 minutes'
       AS second_retry_in_band
  FROM cartwatch.reminders WHERE reminder_id = :r10;
-- The curve itself: doubling, capped at retry_max_delay, jittered the same way for the same
-- reminder.
SELECT f, cartwatch.retry_delay(f, '5 minutes', '6 hours', 42) AS delay
  FROM generate_series(1, 9) AS f;

-- With lost_lease = resend the row goes back to pending instead (and may be sent twice).
BEGIN;
SELECT cartwatch.set_setting('lost_lease', 'resend');
UPDATE cartwatch.reminders SET state = 'claimed', finished_at = NULL, claimed_by = 'worker-d',
       lease_until = '2026-11-20 12:30+00' WHERE reminder_id = :r26;
SELECT cart_id, attempt FROM cartwatch.claim_reminders('worker-e', 10, '5 minutes', '2026-11-20 12:31+00');
ROLLBACK;

-- max_attempts: a failure on the claim that used the last attempt -> dead.
BEGIN;
SELECT cartwatch.set_setting('max_attempts', '3');
SELECT attempt FROM cartwatch.claim_reminders('worker-a', 10, '5 minutes', '2026-11-20 13:00+00');
SELECT cartwatch.fail_reminder(:r10, 'worker-a', '452 mailbox full', false, false, '2026-11-20 13:01+00');
SELECT cart_id, state, attempt, failures, last_error FROM outbox WHERE cart_id = 10;
ROLLBACK;

-- The final check inside the claim: a row that no longer qualifies is cancelled, not returned.
-- Four new carts are due; three of them are spoiled before the claim.
INSERT INTO cartwatch.carts (cart_id, customer_id, guest_email, guest_reminder_consent, currency,
                             created_at, last_activity_at)
VALUES (40, NULL, 'a@example.com', true, 'EUR', '2026-11-20 06:00+00', '2026-11-20 06:00+00'),
       (41, NULL, 'b@example.com', true, 'EUR', '2026-11-20 06:00+00', '2026-11-20 06:00+00'),
       (42, NULL, 'c@example.com', true, 'EUR', '2026-11-20 06:00+00', '2026-11-20 06:00+00'),
       (43, NULL, 'd@example.com', true, 'EUR', '2026-11-20 06:00+00', '2026-11-20 06:00+00');
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
SELECT id, 2, 1, '2026-11-20 06:00+00' FROM generate_series(40, 43) AS id;
SELECT cartwatch.schedule_reminders('2026-11-20 12:00+00');
INSERT INTO cartwatch.orders (order_id, email, total, placed_at)
VALUES (110, 'A@example.com', 10, '2026-11-20 12:30+00');
SELECT cartwatch.suppress('b@example.com', 'manual', 'test', '2026-11-20 12:30+00');
UPDATE cartwatch.carts SET guest_reminder_consent = false WHERE cart_id = 42;
-- Asked for two: 40 and 42 are cancelled on the way (41 went when its address was
-- suppressed), so 43 and the retry of cart 10 come back.
SELECT cart_id, email FROM cartwatch.claim_reminders('worker-a', 2, '5 minutes', '2026-11-20 13:00+00');
SELECT cart_id, state, cancel_reason FROM outbox WHERE cart_id >= 40 OR cart_id = 10;

-- Switched off: nothing is claimed (and nothing is cancelled either).
BEGIN;
SELECT cartwatch.set_setting('reminders_enabled', 'false');
SELECT count(*) FROM cartwatch.claim_reminders('worker-a');
ROLLBACK;

-- Bad input.
SELECT * FROM cartwatch.claim_reminders(NULL);
SELECT * FROM cartwatch.claim_reminders('  ');
SELECT * FROM cartwatch.claim_reminders('w', 0);
SELECT * FROM cartwatch.claim_reminders('w', NULL);
SELECT * FROM cartwatch.claim_reminders('w', 10, '0 seconds');
SELECT * FROM cartwatch.claim_reminders('w', 10, '2 days');
SELECT * FROM cartwatch.claim_reminders('w', 10, '5 minutes', NULL);
SELECT cartwatch.release_reminders(NULL);
SELECT cartwatch.cancel_reminder(999999);
