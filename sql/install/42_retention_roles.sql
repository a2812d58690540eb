-- section: the retention role
--
-- Who may run the retention policies without being the extension's owner: cartwatchd's role,
-- or a role of pg_cron's. run_retention commits after every batch, and PostgreSQL refuses
-- COMMIT in a SECURITY DEFINER procedure, so the procedure runs with its caller's rights; the
-- steps it calls are SECURITY DEFINER instead. A role granted EXECUTE on those steps
-- (grant_retention) therefore removes expired rows as the extension's owner does - through the
-- cascades and the customer-summary triggers those deletes set off - and holds no right on any
-- table: it cannot DELETE, nor read a customer's data.
--
-- What such a role can do is what run_retention can: remove the rows a policy covers that are
-- older than the policy's keep, counted from an as_of it chooses. That is as much as DELETE on
-- those rows, so grant it to the role that runs retention and to no other.

ALTER FUNCTION cartwatch.retention_prepare_run(timestamptz, integer, text, boolean) SECURITY DEFINER;
ALTER FUNCTION cartwatch.retention_start_run(text, timestamptz, boolean) SECURITY DEFINER;
ALTER FUNCTION cartwatch.retention_run_batch(bigint, integer) SECURITY DEFINER;
ALTER FUNCTION cartwatch.retention_finish_run(bigint, text, text) SECURITY DEFINER;
ALTER FUNCTION cartwatch.retention_pause(interval) SECURITY DEFINER;
ALTER FUNCTION cartwatch.retention_unlock(text) SECURITY DEFINER;
-- pg_stat_activity hides other roles' backend types from a role without pg_read_all_stats,
-- so cartwatchd's role would never see the worker: the pid is no secret, ask as the owner.
ALTER FUNCTION cartwatch.retention_worker_pid() SECURITY DEFINER;

CREATE FUNCTION cartwatch.retention_functions() RETURNS regprocedure[]
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
RETURN ARRAY['cartwatch.run_retention(timestamptz, integer, text, boolean)',
             'cartwatch.retention_prepare_run(timestamptz, integer, text, boolean)',
             'cartwatch.retention_start_run(text, timestamptz, boolean)',
             'cartwatch.retention_run_batch(bigint, integer)',
             'cartwatch.retention_finish_run(bigint, text, text)',
             'cartwatch.retention_pause(interval)',
             'cartwatch.retention_unlock(text)']::regprocedure[];
COMMENT ON FUNCTION cartwatch.retention_functions() IS
    'CALL cartwatch.run_retention() and the SECURITY DEFINER steps it calls; grant_retention() grants EXECUTE on exactly these.';

-- Like grant_daemon: only the extension's owner (or a superuser) can hand these rights out.
CREATE FUNCTION cartwatch.grant_retention(role regrole) RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
RETURN cartwatch.set_routine_access(role, cartwatch.retention_functions(), true);
COMMENT ON FUNCTION cartwatch.grant_retention(regrole) IS
    'Lets role CALL cartwatch.run_retention(): USAGE on the schema and EXECUTE on retention_functions(); no table rights.';
REVOKE ALL ON FUNCTION cartwatch.grant_retention(regrole) FROM PUBLIC;

CREATE FUNCTION cartwatch.revoke_retention(role regrole) RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
RETURN cartwatch.set_routine_access(role, cartwatch.retention_functions(), false,
                                    cartwatch.daemon_functions());
COMMENT ON FUNCTION cartwatch.revoke_retention(regrole) IS 'Undoes grant_retention(); the schema stays usable when the role also runs cartwatchd (grant_daemon()).';
REVOKE ALL ON FUNCTION cartwatch.revoke_retention(regrole) FROM PUBLIC;

-- What cartwatchd asks before it runs retention, so that it can say why it does not.
CREATE FUNCTION cartwatch.retention_runner_status() RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN CASE
    WHEN cartwatch.retention_worker_pid() IS NOT NULL THEN 'worker'
    WHEN EXISTS (SELECT 1 FROM unnest(cartwatch.retention_functions()) AS r(fn)
                  WHERE NOT has_function_privilege(r.fn, 'EXECUTE')) THEN 'not_granted'
    ELSE 'ready'
END;
COMMENT ON FUNCTION cartwatch.retention_runner_status() IS
    'Whether this session should run retention: worker (the background worker runs it), not_granted (see grant_retention) or ready.';
