-- Signed links (recovery, unsubscribe), the suppression list, attribution and the reports.
\ir tests/regress/setup.psql
\ir tests/regress/fixtures/reminders.psql
SELECT cartwatch.schedule_reminders('2026-11-20 12:00+00');
CREATE TEMP TABLE claimed AS
SELECT * FROM cartwatch.claim_reminders('w', 100, '5 minutes', '2026-11-20 12:01+00');
SELECT cartwatch.complete_reminder(reminder_id, 'w', '<' || cart_id || '@shop>', '250 ok',
                                   'Subject ' || cart_id, step || '_reminder', '2026-11-20 12:02+00')
  FROM claimed ORDER BY cart_id;
SELECT recovery_token AS token10, unsubscribe_token AS unsub10 FROM claimed WHERE cart_id = 10 \gset
SELECT recovery_token AS token12, unsubscribe_token AS unsub12 FROM claimed WHERE cart_id = 12 \gset

-- Tokens: 34 base64url characters, the same on every claim of a reminder.
SELECT count(*) AS tokens, bool_and(recovery_token ~ '^[A-Za-z0-9_-]{34}$'
                                    AND unsubscribe_token ~ '^[A-Za-z0-9_-]{34}$') AS well_formed
  FROM claimed;
SELECT cartwatch.token_sign(cartwatch.signing_key(), 'recovery', reminder_id) = recovery_token AS stable
  FROM claimed WHERE cart_id = 10;

-- The recovery link gives the cart back and records the first click.
SELECT cart_id, customer_id, status, currency, items, total
  FROM cartwatch.cart_from_recovery_token(:'token10', '2026-11-20 15:00+00');
SELECT cart_id, clicked_at FROM cartwatch.reminders WHERE clicked_at IS NOT NULL;
-- Forged, altered, truncated, wrong-purpose or NULL tokens give nothing.
SELECT count(*) AS altered FROM cartwatch.cart_from_recovery_token(
    overlay(:'token10' PLACING CASE WHEN substr(:'token10', 20, 1) = 'A' THEN 'B' ELSE 'A' END FROM 20 FOR 1));
SELECT count(*) AS other_id FROM cartwatch.cart_from_recovery_token(
    cartwatch.token_sign('\x00000000000000000000000000000000000000000000000000000000000000ff', 'recovery', 1));
SELECT count(*) AS truncated FROM cartwatch.cart_from_recovery_token(left(:'token10', 33));
SELECT count(*) AS unsubscribe_token FROM cartwatch.cart_from_recovery_token(:'unsub10');
SELECT count(*) AS garbage FROM cartwatch.cart_from_recovery_token('not a token at all');
SELECT count(*) AS null_token FROM cartwatch.cart_from_recovery_token(NULL);
SELECT cartwatch.token_verify(ARRAY[cartwatch.signing_key()], 'recovery', :'token10') > 0 AS genuine;
-- Tokens already sent must verify forever: the signature of a fixed key and id is pinned
-- (a 32-byte key, and one longer than SHA-256's block, which HMAC hashes first).
SELECT cartwatch.token_sign('\x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
                            'recovery', 1) AS recovery_1,
       cartwatch.token_sign('\x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
                            'unsubscribe', 9007199254740993) AS unsubscribe_big,
       cartwatch.token_sign(decode(repeat('ab', 100), 'hex'), 'recovery', 42) AS long_key;
SELECT cartwatch.token_sign('\x00', 'recovery', 1);
SELECT cartwatch.token_sign(cartwatch.signing_key(), 'login', 1);

-- One-click unsubscribe: idempotent, suppresses the address the reminder went to and cancels
-- what is queued for it; a forged token does nothing.
SELECT cartwatch.unsubscribe(:'unsub12') AS first, cartwatch.unsubscribe(:'unsub12') AS again,
       cartwatch.unsubscribe(:'token12') AS recovery_token, cartwatch.unsubscribe('AAAA') AS forged,
       cartwatch.unsubscribe(NULL) AS null_token;
SELECT email, reason, source FROM cartwatch.suppressions ORDER BY email;
-- Matching ignores case and surrounding blanks.
SELECT cartwatch.is_suppressed(' GUEST@Example.com  ') AS blanks_and_case,
       cartwatch.is_suppressed('other@example.com') AS other;
SELECT cartwatch.suppress('guest@example.com', 'manual') AS added_again;
SELECT cartwatch.suppress('', 'manual');
SELECT cartwatch.suppress('x@example.com', 'bored');
SELECT cartwatch.unsuppress('Guest@Example.com') AS removed, cartwatch.unsuppress('guest@example.com') AS again;

-- Rotating the key: old links keep working unless the old keys are retired.
SELECT cartwatch.rotate_token_key() IS NOT NULL AS rotated;
SELECT count(*) AS old_link_still_works FROM cartwatch.cart_from_recovery_token(:'token10', '2026-11-20 15:00+00');
SELECT cartwatch.token_sign(cartwatch.signing_key(), 'recovery', reminder_id) <> recovery_token AS new_key_signs
  FROM claimed WHERE cart_id = 10;
SELECT cartwatch.rotate_token_key(retire_old => true) IS NOT NULL AS retired;
SELECT count(*) AS old_link_dead FROM cartwatch.cart_from_recovery_token(:'token10');
SELECT count(*) AS live_keys FROM cartwatch.token_keys WHERE retired_at IS NULL;

-- Attribution: an order within attribution_window after a reminder recovers the last one sent
-- to its cart, customer or address; a later order, or one by someone else, recovers nothing.
INSERT INTO cartwatch.orders (order_id, customer_id, cart_id, total, currency, status, placed_at)
VALUES (200, 1, 10, 178.80, 'PLN', 'paid', '2026-11-20 16:00+00');
INSERT INTO cartwatch.orders (order_id, email, total, status, placed_at)
VALUES (201, 'Guest@example.com', 237.00, 'cancelled', '2026-11-21 09:00+00'),
       (202, 'cheap@example.com', 5.00, 'paid', '2026-11-28 12:03+00'),
       (203, 'stranger@example.com', 50.00, 'paid', '2026-11-20 16:00+00');
SELECT cart_id, step, recovered_order_id, recovered_at, recovered_value
  FROM cartwatch.reminders WHERE state = 'sent' ORDER BY cart_id;

-- The reports.
SELECT * FROM cartwatch.reminder_stats ORDER BY day, step, currency;
SELECT customer_id, sent_at, language, subject, template, email, step, cart_id
  FROM cartwatch.customer_emails ORDER BY customer_id NULLS LAST, cart_id;
SELECT * FROM cartwatch.reminder_queue_metrics('2026-11-20 12:30+00');
SELECT cartwatch.schedule_reminders('2026-11-21 12:00+00');
SELECT due, oldest_due_at, oldest_due_age_seconds, pending, sent_24h, last_sent_at
  FROM cartwatch.reminder_queue_metrics('2026-11-21 12:30+00');
