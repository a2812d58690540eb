-- The daemon's role: grant_daemon() gives exactly the outbox functions, no table and no setting.
\ir tests/regress/setup.psql
\ir tests/regress/fixtures/reminders.psql
SELECT cartwatch.schedule_reminders('2026-11-20 12:00+00');
-- Roles are cluster-wide: a name no other test uses, dropped at the end.
SET client_min_messages = warning;
DROP ROLE IF EXISTS cw_test_reminder_daemon;
DROP ROLE IF EXISTS cw_test_reminder_nobody;
RESET client_min_messages;
CREATE ROLE cw_test_reminder_daemon LOGIN;
CREATE ROLE cw_test_reminder_nobody LOGIN;
SELECT cartwatch.grant_daemon('cw_test_reminder_daemon');

-- Every cartwatch function but the daemon's and the public ones is closed to the daemon role.
SELECT p.oid::regprocedure AS daemon_may_execute
  FROM pg_proc AS p
 WHERE p.pronamespace = 'cartwatch'::regnamespace
   AND has_function_privilege('cw_test_reminder_daemon', p.oid, 'EXECUTE')
   AND NOT has_function_privilege('cw_test_reminder_nobody', p.oid, 'EXECUTE')
 ORDER BY p.oid::regprocedure::text;
-- The outbox functions the daemon calls run as the extension owner, with a pinned search_path.
SELECT p.oid::regprocedure AS definer, p.proconfig
  FROM pg_proc AS p
 WHERE p.pronamespace = 'cartwatch'::regnamespace AND p.prosecdef
 ORDER BY p.oid::regprocedure::text;

SET ROLE cw_test_reminder_daemon;
SELECT cart_id, step, email FROM cartwatch.claim_reminders('daemon-1', 1, '5 minutes', '2026-11-20 12:01+00');
SELECT due, pending, claimed FROM cartwatch.reminder_queue_metrics('2026-11-20 12:02+00');
SELECT cartwatch.release_reminders('daemon-1');
SELECT cartwatch.schedule_reminders('2026-11-20 12:05+00');
-- What it must not do.
SELECT count(*) FROM cartwatch.customers;
SELECT count(*) FROM cartwatch.reminders;
SELECT count(*) FROM cartwatch.token_keys;
SELECT cartwatch.set_setting('lost_lease', 'resend');
UPDATE cartwatch.setting_values SET value = 'resend';
SELECT cartwatch.suppress('someone@example.com');
SELECT cartwatch.grant_daemon('cw_test_reminder_nobody');
RESET ROLE;

-- Claim and complete as the daemon, end to end.
SET ROLE cw_test_reminder_daemon;
CREATE TEMP TABLE got AS SELECT reminder_id, cart_id FROM cartwatch.claim_reminders('daemon-1', 1, '5 minutes', '2026-11-20 12:10+00');
SELECT cartwatch.complete_reminder(reminder_id, 'daemon-1', '<m@shop>', '250 ok', 's', 't', '2026-11-20 12:11+00') FROM got;
RESET ROLE;
SELECT r.cart_id, r.state, r.claimed_by FROM cartwatch.reminders AS r JOIN got USING (reminder_id);
-- And many at once, as cartwatchd reports them.
SET ROLE cw_test_reminder_daemon;
CREATE TEMP TABLE got_many AS SELECT reminder_id, cart_id FROM cartwatch.claim_reminders('daemon-1', 2, '5 minutes', '2026-11-20 12:12+00');
SELECT count(*) AS refused
  FROM cartwatch.complete_reminders('daemon-1', (SELECT array_agg(reminder_id) FROM got_many),
                                    (SELECT array_agg('<' || reminder_id || '@shop>') FROM got_many),
                                    (SELECT array_agg('250 ok'::text) FROM got_many),
                                    (SELECT array_agg('s'::text) FROM got_many),
                                    (SELECT array_agg('t'::text) FROM got_many), '2026-11-20 12:13+00');
RESET ROLE;
SELECT r.cart_id, r.state, r.claimed_by FROM cartwatch.reminders AS r JOIN got_many USING (reminder_id)
 ORDER BY r.cart_id;

-- A role without the grant cannot even claim.
SET ROLE cw_test_reminder_nobody;
SELECT count(*) FROM cartwatch.claim_reminders('intruder');
RESET ROLE;

SELECT cartwatch.revoke_daemon('cw_test_reminder_daemon');
SELECT has_function_privilege('cw_test_reminder_daemon',
                              'cartwatch.claim_reminders(text, integer, interval, timestamptz)', 'EXECUTE')
       AS still_granted;
SELECT cartwatch.grant_daemon(NULL);
DROP TABLE got, got_many;
DROP ROLE cw_test_reminder_daemon;
DROP ROLE cw_test_reminder_nobody;
