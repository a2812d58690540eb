-- Retention policies: the defaults, run_retention at a fixed as_of, the schedule, policy
-- management and bad input.
\ir tests/regress/setup.psql
\ir tests/regress/fixtures/retention.psql
\set as_of '''2026-11-20 12:00+00'''
-- No shop writes to leave room for here: no pause between batches.
SELECT cartwatch.set_setting('retention_max_duty', '1');

-- The policies CREATE EXTENSION installs, and what each target covers.
SELECT target, keep, schedule_interval, customised, last_status,
       coalesce(next_run, '-infinity') <= now() AS due,
       running_pid, table_exists
  FROM cartwatch.retention_policies ORDER BY target;
SELECT target, relation, age_columns, age_key, predicate FROM cartwatch.retention_targets ORDER BY target;
-- No background worker serves this test cluster.
SELECT cartwatch.retention_worker_pid();
-- One lock per target: no two targets share a key.
SELECT count(DISTINCT hashtext(target)) = count(*) AS distinct_lock_keys
  FROM cartwatch.retention_targets;

-- Before: the rows of each target.
SELECT cart_id, order_id, item_quantity, created_at, last_activity_at
  FROM cartwatch.carts ORDER BY cart_id;
SELECT count(*) AS items_of_carts_20_27 FROM cartwatch.cart_items WHERE cart_id IN (20, 27);

SELECT customer_id, carts_count, open_carts FROM cartwatch.customer_totals
 WHERE customer_id = 2;

-- One run at as_of, in batches of two rows. Each target removes exactly the rows past its age.
CALL cartwatch.run_retention(:as_of, batch_size => 2);
SELECT cart_id FROM cartwatch.carts ORDER BY cart_id;
SELECT count(*) AS items_of_carts_20_27 FROM cartwatch.cart_items WHERE cart_id IN (20, 27);
SELECT visit_id FROM cartwatch.visits ORDER BY visit_id;
SELECT view_id FROM cartwatch.product_views ORDER BY view_id;
SELECT reminder_id, state FROM cartwatch.reminders_standin ORDER BY reminder_id;
SELECT target, status FROM cartwatch.retention_runs WHERE as_of < '2026-08-01' ORDER BY run_id;
-- The orders of the removed carts' neighbours are untouched.
SELECT order_id, cart_id FROM cartwatch.orders ORDER BY order_id;
-- Cart 20 was customer 2's: the summary counts one cart fewer (the statement trigger
-- recounted the customer once for the batch), and is right everywhere.
SELECT customer_id, carts_count, open_carts FROM cartwatch.customer_totals
 WHERE customer_id = 2;
SELECT * FROM cartwatch.check_customer_summary();

-- Every run is recorded: rows removed, batches (the last one finds fewer than batch_size).
SELECT target, status, scheduled, as_of, cutoff, rows_removed, batches, error,
       finished_at >= started_at AS finished, due_at = started_at AS due_when_started
  FROM cartwatch.retention_runs WHERE as_of = :as_of ORDER BY run_id;
SELECT target, keep, last_status, last_rows_removed, last_error,
       next_run = last_run_started + schedule_interval AS next_after_one_interval
  FROM cartwatch.retention_policies ORDER BY target;

-- Runs are idempotent: a second one finds nothing left.
CALL cartwatch.run_retention(:as_of);
SELECT target, rows_removed FROM cartwatch.retention_runs
 WHERE run_id > (SELECT max(run_id) - 6 FROM cartwatch.retention_runs) ORDER BY run_id;

-- The schedule. Having just run, nothing is due: a due_only run does nothing.
SELECT cartwatch.retention_next_due() > now() AS next_due_later;
SELECT max(run_id) AS last_run FROM cartwatch.retention_runs \gset
CALL cartwatch.run_retention(:as_of, due_only => true);
SELECT count(*) AS new_runs FROM cartwatch.retention_runs WHERE run_id > :last_run;
-- Pretend the visits run came 90 minutes ago: its next slot is 30 minutes late. The due_only
-- run takes that slot (due_at on the grid, one interval after the last), and only that one.
UPDATE cartwatch.retention_runs SET due_at = due_at - interval '90 minutes'
 WHERE run_id = (SELECT max(run_id) FROM cartwatch.retention_runs WHERE target = 'visits')
RETURNING due_at AS previous_due \gset
CALL cartwatch.run_retention(:as_of, due_only => true);
SELECT target, scheduled, due_at = :'previous_due'::timestamptz + interval '1 hour' AS on_the_grid,
       started_at > due_at AS late
  FROM cartwatch.retention_runs WHERE run_id > :last_run ORDER BY run_id;
-- A slot more than one interval in the past (the server was down) is not caught up with:
-- the run starts a new grid at its own start.
UPDATE cartwatch.retention_runs SET due_at = due_at - interval '3 hours'
 WHERE run_id = (SELECT max(run_id) FROM cartwatch.retention_runs WHERE target = 'visits');
CALL cartwatch.run_retention(:as_of, due_only => true);
SELECT target, due_at = started_at AS new_grid FROM cartwatch.retention_runs
 WHERE run_id = (SELECT max(run_id) FROM cartwatch.retention_runs);
CALL cartwatch.run_retention(:as_of, due_only => true);
SELECT count(*) AS new_runs_in_all FROM cartwatch.retention_runs WHERE run_id > :last_run;

-- What a batch runs. Carts take their items in the same statement (one DELETE for the
-- batch, instead of the foreign key's cascade cart by cart), and abandoned carts are picked in
-- the open-cart index's order: with sequential scans ruled out the plan has no Sort, so a
-- batch reads its rows from the oldest, however large the backlog (a sort would read it all).
SELECT target, cartwatch.retention_batch_sql(target) FROM cartwatch.retention_targets
 WHERE target IN ('abandoned_carts', 'visits') ORDER BY target;
SELECT cartwatch.retention_batch_sql('abandoned_carts') AS batch_sql \gset
PREPARE abandoned_batch(timestamptz, integer) AS :batch_sql;
BEGIN;
SET LOCAL enable_seqscan = off;
EXPLAIN (COSTS OFF) EXECUTE abandoned_batch('2026-08-22 12:00+00', 5000);
ROLLBACK;
DEALLOCATE abandoned_batch;

-- Pacing: after a batch the run pauses (1 - duty) / duty times as long as the batch took, so
-- it spends at most retention_max_duty of its time deleting, but never pauses over a minute;
-- retention_batch_pause is a floor.
SELECT cartwatch.reset_setting('retention_max_duty');
SELECT name, value FROM cartwatch.settings WHERE name LIKE 'retention%' ORDER BY name;
SELECT took, cartwatch.retention_pause_after(took) AS pause
  FROM unnest('{0, 1 ms, 120 ms, 2 s, 1 hour}'::interval[]) AS took;
SELECT cartwatch.set_setting('retention_max_duty', '0.1');
SELECT cartwatch.retention_pause_after('120 ms');
SELECT cartwatch.set_setting('retention_batch_pause', '1 second');
SELECT cartwatch.retention_pause_after('120 ms'), cartwatch.retention_pause_after('2 s');
SELECT cartwatch.set_setting('retention_max_duty', '1');
SELECT cartwatch.retention_pause_after('120 ms');
SELECT cartwatch.reset_setting('retention_batch_pause');
SELECT cartwatch.retention_pause_after('120 ms');
-- Bad pacing input.
SELECT cartwatch.set_setting('retention_max_duty', '0');
SELECT cartwatch.set_setting('retention_max_duty', '1.5');
SELECT cartwatch.set_setting('retention_max_duty', 'half');
SELECT cartwatch.retention_pause_after('-1 second');
SELECT cartwatch.retention_pause_after(NULL);

-- Policies can be changed: with 30 days, cart 21 (idle since August) goes too, cart 26 stays.
SELECT target, keep, schedule_interval, customised
  FROM cartwatch.alter_retention_policy('abandoned_carts', keep => '30 days');
CALL cartwatch.run_retention(:as_of, target => 'abandoned_carts');
SELECT cart_id FROM cartwatch.carts ORDER BY cart_id;
SELECT target, keep, schedule_interval, customised
  FROM cartwatch.alter_retention_policy('abandoned_carts', schedule_interval => '1 day');

-- ... and removed: the target's rows are then kept for ever.
SELECT cartwatch.remove_retention_policy('empty_carts');
INSERT INTO cartwatch.carts (cart_id, created_at, last_activity_at)
VALUES (28, '2026-01-01 10:00+00', '2026-01-01 10:00+00');
CALL cartwatch.run_retention(:as_of, target => 'visits');
CALL cartwatch.run_retention(:as_of);
SELECT cart_id FROM cartwatch.carts WHERE cart_id = 28;
SELECT target FROM cartwatch.retention_policies ORDER BY target;
SELECT cartwatch.remove_retention_policy('empty_carts', if_exists => true);
-- ... and added back, with the default schedule.
SELECT cartwatch.add_retention_policy('empty_carts', '14 days');
SELECT target, keep, schedule_interval, customised
  FROM cartwatch.retention_policies WHERE target = 'empty_carts';
CALL cartwatch.run_retention(:as_of, target => 'empty_carts');
SELECT cart_id FROM cartwatch.carts WHERE cart_id = 28;
SELECT target, keep, schedule_interval, changed_by = current_user AS by_me
  FROM cartwatch.retention_policy_values ORDER BY target;

-- Adding a policy that exists: an error, or with if_not_exists a notice (same settings) or a
-- warning (different settings), changing nothing.
\set VERBOSITY default
SELECT cartwatch.add_retention_policy('visits', '365 days');
SELECT cartwatch.add_retention_policy('visits', '365 days', if_not_exists => true);
SELECT cartwatch.add_retention_policy('visits', '30 days', '1 day', if_not_exists => true);
SELECT keep, schedule_interval FROM cartwatch.retention_policies WHERE target = 'visits';

-- A failing target is recorded and reported, and the other targets still run.
ALTER TABLE cartwatch.reminders_standin RENAME COLUMN state TO status;
CALL cartwatch.run_retention(:as_of);
ALTER TABLE cartwatch.reminders_standin RENAME COLUMN status TO state;
-- A target whose table does not exist (an older build, say) is skipped, not failed.
DROP TABLE cartwatch.reminders_standin;
CALL cartwatch.run_retention(:as_of, target => 'finished_reminders');
SELECT target, status, rows_removed, error FROM cartwatch.retention_runs
 WHERE target = 'finished_reminders' ORDER BY run_id DESC LIMIT 2;

-- Bad input is a clear error, and changes nothing.
SELECT cartwatch.add_retention_policy('old_carts', '90 days');
SELECT cartwatch.add_retention_policy(NULL, '90 days');
SELECT cartwatch.alter_retention_policy('visits', keep => '-1 day');
SELECT cartwatch.alter_retention_policy('visits', keep => '0');
SELECT cartwatch.alter_retention_policy('visits', keep => '1 month -31 days');
SELECT cartwatch.alter_retention_policy('visits', schedule_interval => '500 milliseconds');
SELECT cartwatch.add_retention_policy('visits', NULL);
-- Removing twice, changing or running a removed policy.
SELECT cartwatch.remove_retention_policy('empty_carts');
SELECT cartwatch.remove_retention_policy('empty_carts');
SELECT cartwatch.alter_retention_policy('empty_carts', keep => '1 day');
SELECT cartwatch.remove_retention_policy('nothing');
CALL cartwatch.run_retention(:as_of, target => 'empty_carts');
CALL cartwatch.run_retention(:as_of, target => 'nothing');
CALL cartwatch.run_retention(:as_of, batch_size => 0);
CALL cartwatch.run_retention(NULL);
-- Inside a transaction block run_retention cannot commit between batches: it refuses at once.
BEGIN;
CALL cartwatch.run_retention(:as_of);
ROLLBACK;
SELECT target, keep, schedule_interval FROM cartwatch.retention_policies ORDER BY target;

-- Only the extension's owner (or whom it grants) manages and runs retention.
CREATE ROLE cw_retention_clerk;
GRANT USAGE ON SCHEMA cartwatch TO cw_retention_clerk;
SET ROLE cw_retention_clerk;
SELECT cartwatch.remove_retention_policy('visits');
CALL cartwatch.run_retention();
RESET ROLE;
DROP OWNED BY cw_retention_clerk;
DROP ROLE cw_retention_clerk;
