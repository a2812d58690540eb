-- reminder_outcome_unknown(): a send whose outcome nobody knows (no reply after the message
-- body) is settled by the lost_lease policy, like an expired lease, and never by a resend
-- unless the shop chose resend.
\ir tests/regress/setup.psql
\ir tests/regress/fixtures/reminders.psql
SELECT cartwatch.schedule_reminders('2026-11-20 12:00+00');
CREATE VIEW outbox AS
SELECT cart_id, step, state, attempt, failures, claimed_by, lease_until, due_at, finished_at,
       last_error
  FROM cartwatch.reminders WHERE NOT skipped ORDER BY cart_id, step, reminder_id;
SELECT reminder_id AS r10 FROM cartwatch.reminders WHERE cart_id = 10 \gset
SELECT reminder_id AS r12 FROM cartwatch.reminders WHERE cart_id = 12 \gset
SELECT reminder_id AS r20 FROM cartwatch.reminders WHERE cart_id = 20 \gset
SELECT count(*) AS claimed
  FROM cartwatch.claim_reminders('worker-a', 10, '2 hours', '2026-11-20 12:01+00');

-- lost_lease = unknown (the default): finished as unknown, not retried.
SELECT cartwatch.reminder_outcome_unknown(:r10, 'worker-a',
                                          'curl error 56 after the message body was sent',
                                          '2026-11-20 12:02+00') AS state;
SELECT * FROM outbox WHERE cart_id = 10;
-- Nothing claims it again.
SELECT count(*) AS reclaimed
  FROM cartwatch.claim_reminders('worker-b', 10, '5 minutes', '2026-11-20 12:03+00');

-- lost_lease = resend: retried like a transient failure (the daemon reuses the Message-ID).
SELECT cartwatch.set_setting('lost_lease', 'resend');
SELECT cartwatch.reminder_outcome_unknown(:r12, 'worker-a', 'timeout after the message body',
                                          '2026-11-20 12:02+00') AS state;
SELECT state, attempt, failures, due_at > '2026-11-20 12:02+00' AS retry_later, finished_at
  FROM cartwatch.reminders WHERE reminder_id = :r12;
-- ... and dead once max_attempts claims were used.
SELECT cartwatch.set_setting('max_attempts', '1');
SELECT cartwatch.reminder_outcome_unknown(:r20, 'worker-a', 'timeout after the message body',
                                          '2026-11-20 12:02+00') AS state;

SELECT * FROM outbox;
-- Only the worker holding a live lease may report, and only once.
SELECT cartwatch.reminder_outcome_unknown(:r10, 'worker-a', 'again', '2026-11-20 12:03+00');
SELECT reminder_id AS r_claimed FROM cartwatch.reminders
 WHERE state = 'claimed' ORDER BY reminder_id LIMIT 1 \gset
SELECT cartwatch.reminder_outcome_unknown(:r_claimed, 'worker-z', 'not mine',
                                          '2026-11-20 12:04+00');
SELECT cartwatch.reminder_outcome_unknown(:r_claimed, 'worker-a', 'too late',
                                          '2026-11-20 15:00+00');
-- The daemon's role may call it.
SELECT 'cartwatch.reminder_outcome_unknown(bigint, text, text, timestamptz)'::regprocedure
       = ANY (cartwatch.daemon_functions()) AS granted_to_daemon;
