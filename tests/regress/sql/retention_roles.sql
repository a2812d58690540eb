-- The retention role: grant_retention() lets a role CALL run_retention, whose steps remove the
-- expired rows as the extension's owner; the role itself holds no table right.
\ir tests/regress/setup.psql
SET client_min_messages = warning;
DROP ROLE IF EXISTS cw_test_retention_runner;
DROP ROLE IF EXISTS cw_test_retention_nobody;
RESET client_min_messages;
CREATE ROLE cw_test_retention_runner LOGIN;
CREATE ROLE cw_test_retention_nobody LOGIN;

-- Every cartwatch routine run_retention calls is in retention_functions(), runs as the
-- extension's owner and pins its search_path: a step added to run_retention and not to the
-- list shows up here, and a granted role could not run it.
SELECT called AS called_but_not_granted
  FROM (SELECT DISTINCT m[1] AS called
          FROM pg_proc AS p, regexp_matches(p.prosrc, 'cartwatch\.([a-z_]+)\(', 'g') AS m
         WHERE p.oid = 'cartwatch.run_retention'::regproc) AS c
 WHERE called NOT IN (SELECT p.proname FROM pg_proc AS p
                        WHERE p.oid = ANY (cartwatch.retention_functions()::oid[]));
SELECT f AS retention_function, p.prokind, p.prosecdef, p.proconfig
  FROM unnest(cartwatch.retention_functions()) AS f JOIN pg_proc AS p ON p.oid = f
 ORDER BY f::text;

-- Expired visits to remove; one policy.
SELECT cartwatch.remove_retention_policy(target, if_exists => true)
  FROM cartwatch.retention_targets WHERE target <> 'visits';
SELECT target, keep FROM cartwatch.alter_retention_policy('visits', keep => '30 days');
INSERT INTO cartwatch.visits (started_at, start_url)
SELECT timestamptz '2026-11-01 12:00+00' - CASE WHEN n <= 3 THEN interval '40 days' ELSE interval '1 day' END,
       '/p/' || n
  FROM generate_series(1, 5) AS n;

-- Without the grant: not even the schema.
SET ROLE cw_test_retention_nobody;
CALL cartwatch.run_retention(as_of => '2026-11-01 12:00+00');
RESET ROLE;

SELECT cartwatch.grant_retention('cw_test_retention_runner');
SET ROLE cw_test_retention_runner;
SELECT cartwatch.retention_runner_status();
CALL cartwatch.run_retention(as_of => '2026-11-01 12:00+00');
-- What it must not do.
DELETE FROM cartwatch.visits;
SELECT count(*) FROM cartwatch.carts;
UPDATE cartwatch.retention_runs SET rows_removed = 0;
SELECT cartwatch.add_retention_policy('product_views', '1 day');
SELECT cartwatch.grant_retention('cw_test_retention_nobody');
RESET ROLE;
SELECT count(*) AS visits_left, min(started_at) AS oldest FROM cartwatch.visits;
SELECT target, status, rows_removed FROM cartwatch.retention_runs ORDER BY run_id;

-- revoke_retention takes back the routines, and the schema unless the role runs cartwatchd.
SELECT cartwatch.revoke_retention('cw_test_retention_runner');
SELECT has_schema_privilege('cw_test_retention_runner', 'cartwatch', 'USAGE') AS schema_usage,
       has_function_privilege('cw_test_retention_runner',
                              'cartwatch.run_retention(timestamptz, integer, text, boolean)', 'EXECUTE')
       AS may_run;
SELECT cartwatch.grant_daemon('cw_test_retention_runner');
SELECT cartwatch.grant_retention('cw_test_retention_runner');
SELECT cartwatch.revoke_retention('cw_test_retention_runner');
SET ROLE cw_test_retention_runner;
SELECT cartwatch.retention_runner_status();
RESET ROLE;
SELECT cartwatch.grant_retention(NULL);

-- And the other way round: revoke_daemon leaves the schema to a role that still runs retention.
SELECT cartwatch.grant_retention('cw_test_retention_runner');
SELECT cartwatch.revoke_daemon('cw_test_retention_runner');
SELECT has_schema_privilege('cw_test_retention_runner', 'cartwatch', 'USAGE') AS schema_usage,
       has_function_privilege('cw_test_retention_runner',
                              'cartwatch.claim_reminders(text, integer, interval, timestamptz)', 'EXECUTE')
       AS may_claim;
SELECT cartwatch.revoke_retention('cw_test_retention_runner');
SELECT has_schema_privilege('cw_test_retention_runner', 'cartwatch', 'USAGE') AS schema_usage;
SELECT cartwatch.set_routine_access('cw_test_retention_runner', NULL, true);
-- Sleeping as the owner is nobody else's to ask for.
SELECT has_function_privilege('cw_test_retention_nobody', 'cartwatch.retention_pause(interval)',
                              'EXECUTE') AS nobody_may_pause;
DROP ROLE cw_test_retention_runner;
DROP ROLE cw_test_retention_nobody;
