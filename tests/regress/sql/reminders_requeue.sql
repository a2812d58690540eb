-- requeue_reminders(): once the operator has fixed what made reminders fail for good, the
-- given dead ones (and unknown ones, when asked) go back to the queue; the claim checks their
-- carts again, so a cart ordered meanwhile gets no e-mail.
\ir tests/regress/setup.psql
\ir tests/regress/fixtures/reminders.psql
SELECT cartwatch.schedule_reminders('2026-11-20 12:00+00');
CREATE VIEW outbox AS
SELECT cart_id, step, state, cancel_reason, attempt, failures, due_at, finished_at, last_error
  FROM cartwatch.reminders WHERE NOT skipped ORDER BY cart_id, step, reminder_id;
SELECT reminder_id AS r10 FROM cartwatch.reminders WHERE cart_id = 10 \gset
SELECT reminder_id AS r12 FROM cartwatch.reminders WHERE cart_id = 12 \gset
SELECT reminder_id AS r20 FROM cartwatch.reminders WHERE cart_id = 20 \gset
SELECT reminder_id AS r23 FROM cartwatch.reminders WHERE cart_id = 23 \gset
SELECT count(*) AS claimed
  FROM cartwatch.claim_reminders('worker-a', 10, '2 hours', '2026-11-20 12:01+00');

-- A relay without SMTPUTF8 refuses three of them for good; one send's outcome is unknown; one
-- is still with its worker.
SELECT cartwatch.fail_reminder(r, 'worker-a',
                               '553 5.6.7 the SMTP server does not offer SMTPUTF8', true,
                               false, '2026-11-20 12:02+00') AS state
  FROM unnest(ARRAY[:r10, :r12, :r20]) AS r;
SELECT cartwatch.reminder_outcome_unknown(:r23, 'worker-a', 'no reply after the body',
                                          '2026-11-20 12:02+00') AS state;
SELECT * FROM outbox;

-- Meanwhile the customer of cart 20 ordered.
INSERT INTO cartwatch.orders (order_id, customer_id, status, total, currency, placed_at)
VALUES (900, 4, 'paid', 20.00, 'EUR', '2026-11-20 12:30+00');

-- The relay is fixed: every reminder is named, only the dead ones come back, due at as_of, with
-- their attempts counted afresh and the old error kept.
SELECT * FROM cartwatch.requeue_reminders(ARRAY(SELECT reminder_id FROM cartwatch.reminders),
                                          as_of => '2026-11-20 13:00+00')
 ORDER BY reminder_id;
SELECT * FROM outbox;

-- The claim takes two; cart 20's reminder is cancelled (a later order) instead of sent.
SELECT cart_id, attempt FROM cartwatch.claim_reminders('worker-b', 10, '2 hours', '2026-11-20 13:01+00')
 ORDER BY cart_id;
SELECT cart_id, state, cancel_reason FROM outbox WHERE cart_id IN (10, 12, 20);

-- An unknown reminder (maybe delivered) only when asked; a claimed or sent one never; an
-- unknown id is no error, it is not returned.
SELECT count(*) AS not_without_asking FROM cartwatch.requeue_reminders(ARRAY[:r23]::bigint[]);
SELECT reminder_id = :r23 AS unknown_requeued, previous_state
  FROM cartwatch.requeue_reminders(ARRAY[:r23, :r10, 999999]::bigint[], include_unknown => true,
                                   as_of => '2026-11-20 13:05+00');
SELECT state, attempt, due_at FROM cartwatch.reminders WHERE reminder_id = :r23;

-- Bad input is a clear error.
SELECT * FROM cartwatch.requeue_reminders(NULL);
SELECT * FROM cartwatch.requeue_reminders(ARRAY[:r23]::bigint[], NULL);
-- An operator's function: nobody else may run it.
SELECT has_function_privilege('public', 'cartwatch.requeue_reminders(bigint[], boolean, timestamptz)',
                              'EXECUTE') AS public_may_run;
