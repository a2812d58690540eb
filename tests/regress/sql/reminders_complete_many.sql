-- complete_reminders(): many sends recorded in one statement, with complete_reminder's checks
-- per reminder (refused ones come back and stay as they were), and bad input.
\ir tests/regress/setup.psql
\ir tests/regress/fixtures/reminders.psql
SELECT cartwatch.schedule_reminders('2026-11-20 12:00+00');
CREATE VIEW outbox AS
SELECT cart_id, state, claimed_by, sent_at, finished_at, lease_until, message_id, smtp_reply,
       subject, template
  FROM cartwatch.reminders WHERE NOT skipped ORDER BY cart_id, step, reminder_id;
SELECT reminder_id AS r10 FROM cartwatch.reminders WHERE cart_id = 10 \gset
SELECT reminder_id AS r12 FROM cartwatch.reminders WHERE cart_id = 12 \gset
SELECT reminder_id AS r20 FROM cartwatch.reminders WHERE cart_id = 20 \gset
SELECT reminder_id AS r23 FROM cartwatch.reminders WHERE cart_id = 23 \gset
SELECT reminder_id AS r26 FROM cartwatch.reminders WHERE cart_id = 26 \gset
-- Oldest due first: carts 12, 20 and 26 go to worker-a, 10 to worker-b (a short lease), 23
-- stays pending.
SELECT count(*) FROM cartwatch.claim_reminders('worker-a', 3, '5 minutes', '2026-11-20 12:01+00');
SELECT count(*) FROM cartwatch.claim_reminders('worker-b', 1, '1 minute', '2026-11-20 12:01+00');
SELECT cart_id, state, claimed_by FROM outbox;

-- Two sends at once: both recorded, values matched by position, nothing refused. Quotes,
-- backslashes, commas and braces in the values arrive as they were.
SELECT * FROM cartwatch.complete_reminders(
    'worker-a', ARRAY[:r20, :r12],
    ARRAY['<20.1@shop.example>', '<12.1@shop.example>'],
    ARRAY['250 2.0.0 queued as C:\20', '250 2.0.0 "queued", as 12'],
    ARRAY['Votre panier, {toujours} là', 'Your cart is waiting'],
    ARRAY['fr/first_reminder', 'en/first_reminder'],
    '2026-11-20 12:02+00');
SELECT * FROM outbox WHERE cart_id IN (12, 20);

-- Refusals, each with complete_reminder's reason, change nothing for themselves and do not
-- hold back the good one (cart 26): reported twice (12), another worker's (10), an unknown id,
-- never claimed (23).
SELECT * FROM cartwatch.complete_reminders(
    'worker-a', ARRAY[:r12, :r26, :r10, 999999, :r23],
    ARRAY['<x>', '<26.1@shop.example>', '<x>', '<x>', '<x>'],
    ARRAY['250', '250 ok', '250', '250', '250'],
    ARRAY['s', 'Your cart', 's', 's', 's'],
    ARRAY['t', 'en/first_reminder', 't', 't', 't'],
    '2026-11-20 12:03+00');
SELECT * FROM outbox;

-- An expired lease (worker-b's ran out at 12:02): refused; the lost_lease policy settles it.
SELECT * FROM cartwatch.complete_reminders('worker-b', ARRAY[:r10], ARRAY['<10.1@shop>'],
                                           ARRAY['250'], ARRAY['s'], ARRAY['t'],
                                           '2026-11-20 12:05+00');
SELECT cart_id, state, claimed_by, sent_at FROM outbox WHERE cart_id = 10;
-- No reminders at all: nothing to do, nothing refused.
SELECT count(*) FROM cartwatch.complete_reminders('worker-b', '{}', '{}', '{}', '{}', '{}');

-- Bad input is an error that changes nothing: NULL arguments, a NULL id, arrays of different
-- lengths, an id named twice, an array of arrays. Cart 23 is claimed for these.
SELECT cart_id FROM cartwatch.claim_reminders('worker-b', 1, '5 minutes', '2026-11-20 12:06+00');
SELECT * FROM cartwatch.complete_reminders(NULL, ARRAY[:r23], ARRAY['<m>'], ARRAY['250'], ARRAY['s'], ARRAY['t']);
SELECT * FROM cartwatch.complete_reminders('worker-b', NULL, ARRAY['<m>'], ARRAY['250'], ARRAY['s'], ARRAY['t']);
SELECT * FROM cartwatch.complete_reminders('worker-b', ARRAY[:r23], ARRAY['<m>'], NULL, ARRAY['s'], ARRAY['t']);
SELECT * FROM cartwatch.complete_reminders('worker-b', ARRAY[:r23], ARRAY['<m>'], ARRAY['250'], ARRAY['s'], ARRAY['t'], NULL);
SELECT * FROM cartwatch.complete_reminders('worker-b', ARRAY[:r23, NULL], ARRAY['<m>', '<n>'],
                                           ARRAY['250', '250'], ARRAY['s', 's'], ARRAY['t', 't']);
SELECT * FROM cartwatch.complete_reminders('worker-b', ARRAY[:r23], ARRAY['<m>', '<n>'],
                                           ARRAY['250'], ARRAY['s'], ARRAY['t']);
SELECT * FROM cartwatch.complete_reminders('worker-b', ARRAY[:r23], ARRAY['<m>'],
                                           ARRAY['250'], ARRAY['s'], '{}');
SELECT * FROM cartwatch.complete_reminders('worker-b', ARRAY[:r23, :r23], ARRAY['<m>', '<n>'],
                                           ARRAY['250', '250'], ARRAY['s', 's'], ARRAY['t', 't']);
SELECT * FROM cartwatch.complete_reminders('worker-b', ARRAY[[:r23]], ARRAY['<m>'],
                                           ARRAY['250'], ARRAY['s'], ARRAY['t']);
SELECT * FROM cartwatch.complete_reminders('worker-b', ARRAY[:r23], ARRAY['<m>'],
                                           ARRAY['250'], ARRAY[['s']], ARRAY['t']);
SELECT cart_id, state, claimed_by, sent_at FROM outbox WHERE cart_id = 23;
-- A NULL value for one send is allowed, as complete_reminder allows it.
SELECT * FROM cartwatch.complete_reminders('worker-b', ARRAY[:r23], ARRAY['<23.1@shop>'],
                                           ARRAY[NULL], ARRAY['s'], ARRAY['t'],
                                           '2026-11-20 12:07+00');
SELECT cart_id, state, message_id, smtp_reply FROM outbox WHERE cart_id = 23;
