-- section: retention policies
--
-- A retention policy removes one kind of row ("target") once it is older than `keep`, on a
-- schedule. The shape follows TimescaleDB's add_retention_policy / remove_retention_policy and
-- its job statistics, but policies delete rows in short batches instead of dropping chunks:
-- carts expire by last activity, which no partition key can follow.
--
--  * retention_targets: what each target removes and its default policy (installed by the
--    extension, never dumped, so a restore cannot collide with the defaults);
--  * retention_policy_values: a shop's changes to those policies (user data, dumped), the
--    same split as setting_definitions / setting_values;
--  * retention_runs: one row per run, written before the first batch so a crash leaves a trace;
--  * run_retention: a procedure that commits after every batch, so no lock is held for long.
--
-- Who runs it: the cartwatch background worker when cartwatch is in shared_preload_libraries
-- (extension/retention_worker.cpp), otherwise cartwatchd or pg_cron, each calling
-- CALL cartwatch.run_retention(due_only => true). A session advisory lock per target keeps two
-- runners from doing the same work, and the due check is made under that lock, so a policy runs
-- once per schedule interval however many runners there are.

CREATE TABLE cartwatch.retention_targets (
    target           text PRIMARY KEY CHECK (target ~ '^[a-z][a-z0-9_]*$'),
    relation         text NOT NULL CHECK (relation ~ '^[a-z][a-z0-9_]*$'),
    age_columns      text[] NOT NULL CHECK (cardinality(age_columns) > 0),
    age_key          text,
    predicate        text NOT NULL,
    default_keep     interval CHECK (default_keep > interval '0'),
    default_schedule interval NOT NULL CHECK (default_schedule >= interval '1 second'),
    description      text NOT NULL
);
COMMENT ON TABLE cartwatch.retention_targets IS
    'What each retention target removes, and its default policy. Read cartwatch.retention_policies instead.';
COMMENT ON COLUMN cartwatch.retention_targets.relation IS
    'The table, in schema cartwatch. Looked up at run time: a target whose table does not exist is skipped.';
COMMENT ON COLUMN cartwatch.retention_targets.age_columns IS
    'The row''s age is measured on the first of these columns that the table has.';
COMMENT ON COLUMN cartwatch.retention_targets.age_key IS
    'SQL expression a batch compares with the cutoff and orders by, instead of the age column: equal to it on every row the predicate covers, and the key of the index the batch reads. NULL: the age column.';
COMMENT ON COLUMN cartwatch.retention_targets.predicate IS
    'SQL condition on the table''s columns: the rows the target covers, whatever their age.';
COMMENT ON COLUMN cartwatch.retention_targets.default_keep IS
    'The policy CREATE EXTENSION installs; NULL = no policy until one is added.';

-- Each predicate matches a partial index below (or an index on the age column), so a batch is
-- an index range scan from the oldest row, however many rows the table keeps. That is a matter
-- of cost, not taste: a batch that sorts the whole backlog to find its oldest 5,000 rows gets
-- slower with every row of backlog (about 1 s per batch at 1,000,000 carts under the
-- benchmark's writers, against 0.1 to 0.3 s for the index scan; docs/BENCHMARKS.md).
-- abandoned_carts reads the open-cart index (carts_open_activity_idx, 00_schema.sql), whose
-- key is open_cart_activity(...): last_activity_at on exactly the rows its predicate covers.
INSERT INTO cartwatch.retention_targets
       (target, relation, age_columns, age_key, predicate, default_keep, default_schedule,
        description)
VALUES ('abandoned_carts', 'carts', '{last_activity_at}',
        'cartwatch.open_cart_activity(order_id, item_quantity, last_activity_at)',
        'order_id IS NULL AND item_quantity > 0', '90 days', '1 hour',
        'Carts with items that never became an order, by last activity (Comarch keeps them 90 days).'),
       ('empty_carts', 'carts', '{created_at}', NULL, 'order_id IS NULL AND item_quantity = 0',
        '7 days', '1 hour',
        'Carts without items that never became an order, by creation (Shoper keeps carts 7 days).'),
       ('visits', 'visits', '{started_at}', NULL, 'true', '365 days', '1 hour',
        'Shop visits, by start time.'),
       ('product_views', 'product_views', '{viewed_at}', NULL, 'true', '365 days', '1 hour',
        'Product page views, by view time.'),
       ('finished_reminders', 'reminders', '{finished_at,updated_at,created_at}', NULL,
        'state IN (''sent'', ''dead'', ''cancelled'', ''unknown'')', '365 days', '1 hour',
        'Reminders that are over (sent, dead, cancelled, unknown), by their last change.'),
       ('retention_runs', 'retention_runs', '{started_at}', NULL, 'status <> ''running''',
        '90 days', '1 day', 'The history of retention runs itself.');

-- finished_reminders reads the outbox's finished rows oldest first, through the outbox's own
-- reminders_finished_idx (finished_at < cutoff implies its finished_at IS NOT NULL).

-- Carts that became orders match neither cart predicate: no cart policy can ever remove them.
CREATE INDEX carts_empty_created_idx ON cartwatch.carts (created_at)
    WHERE order_id IS NULL AND item_quantity = 0;

CREATE TABLE cartwatch.retention_policy_values (
    target            text PRIMARY KEY REFERENCES cartwatch.retention_targets,
    keep              interval CHECK (keep > interval '0'),
    schedule_interval interval NOT NULL CHECK (schedule_interval >= interval '1 second'),
    changed_at        timestamptz NOT NULL DEFAULT now(),
    changed_by        text NOT NULL DEFAULT current_user
);
COMMENT ON TABLE cartwatch.retention_policy_values IS
    'Policies added, changed or removed by the shop; a target without a row has its default policy.';
COMMENT ON COLUMN cartwatch.retention_policy_values.keep IS
    'How long rows are kept; NULL = the policy was removed.';
SELECT pg_catalog.pg_extension_config_dump('cartwatch.retention_policy_values', '');

CREATE TABLE cartwatch.retention_runs (
    run_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    target       text NOT NULL,
    status       text NOT NULL DEFAULT 'running'
                 CHECK (status IN ('running', 'succeeded', 'failed', 'skipped', 'interrupted')),
    scheduled    boolean NOT NULL,
    as_of        timestamptz NOT NULL,
    cutoff       timestamptz NOT NULL,
    due_at       timestamptz NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at  timestamptz,
    rows_removed bigint NOT NULL DEFAULT 0,
    batches      integer NOT NULL DEFAULT 0,
    error        text
);
COMMENT ON TABLE cartwatch.retention_runs IS
    'One row per run of a retention policy: when, how many rows it removed, and how it ended.';
COMMENT ON COLUMN cartwatch.retention_runs.status IS
    'running, succeeded, failed (error says why), skipped (the target''s table does not exist) or interrupted (the session ended or was cancelled mid-run).';
COMMENT ON COLUMN cartwatch.retention_runs.scheduled IS
    'Started because the policy was due (due_only), rather than on demand.';
COMMENT ON COLUMN cartwatch.retention_runs.cutoff IS
    'as_of minus keep: rows older than this were removed.';
COMMENT ON COLUMN cartwatch.retention_runs.due_at IS
    'The slot of the schedule this run filled; the next run is due one schedule interval later.';
COMMENT ON COLUMN cartwatch.retention_runs.rows_removed IS
    'Rows removed by committed batches; exact even when the run failed or was interrupted.';
CREATE INDEX retention_runs_target_idx ON cartwatch.retention_runs (target, run_id);
CREATE INDEX retention_runs_started_idx ON cartwatch.retention_runs (started_at);
SELECT pg_catalog.pg_extension_config_dump('cartwatch.retention_runs', '');
SELECT pg_catalog.pg_extension_config_dump('cartwatch.retention_runs_run_id_seq', '');

-- Pacing. Only a backlog (the first run, a policy shortened, a shop importing history) takes
-- many batches; an hourly run in the steady state is one or two. A fixed pause cannot pace a
-- backlog: a batch's cost depends on the rows (items per cart, customers to recount) and on how
-- busy the machine is, so the share of time spent deleting would follow it. Instead the pause
-- after a batch is proportional to the time that batch took (duty cycle): with
-- retention_max_duty 0.25 the run works one part and rests three, so whatever the backlog a
-- run takes at most a quarter of one core, and on 2 cores the shop's writers keep about 0.9 of
-- their speed (docs/BENCHMARKS.md). retention_batch_pause is a floor under that pause.
INSERT INTO cartwatch.setting_definitions
       (name, type, default_value, min_value, max_value, allowed_values, description)
VALUES ('retention_max_duty', 'numeric', '0.25', '0.01', '1', NULL,
        'Largest share of the time a retention run spends deleting while it works through a backlog: after each batch it pauses (1 - duty) / duty times as long as the batch took. 1 = no pause.'),
       ('retention_batch_pause', 'interval', '0', '0', '10 seconds', NULL,
        'Least pause between two retention batches, whatever retention_max_duty asks for.');

-- The advisory lock of a target: (retention_lock_class(), hashtext(target)), session level so
-- that it outlives the commits between batches.
CREATE FUNCTION cartwatch.retention_lock_class() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN 1668771700;
COMMENT ON FUNCTION cartwatch.retention_lock_class() IS
    'First key of the advisory locks that retention runs hold, one per target (second key: hashtext(target)).';

CREATE VIEW cartwatch.retention_policies AS
SELECT t.target,
       coalesce(v.keep, t.default_keep) AS keep,
       coalesce(v.schedule_interval, t.default_schedule) AS schedule_interval,
       v.target IS NOT NULL AS customised,
       last.started_at AS last_run_started,
       last.finished_at AS last_run_finished,
       last.status AS last_status,
       last.rows_removed AS last_rows_removed,
       last.error AS last_error,
       last.due_at + coalesce(v.schedule_interval, t.default_schedule) AS next_run,
       (SELECT l.pid FROM pg_catalog.pg_locks AS l
         WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory'
           -- Advisory locks belong to a database: another shop's database in the same cluster
           -- running the same target is not this database's run.
           AND l.database OPERATOR(pg_catalog.=) (SELECT d.oid FROM pg_catalog.pg_database AS d
                                                    WHERE d.datname OPERATOR(pg_catalog.=)
                                                          pg_catalog.current_database())
           AND l.classid OPERATOR(pg_catalog.=) cartwatch.retention_lock_class()::oid
           AND l.objid OPERATOR(pg_catalog.=) pg_catalog.hashtext(t.target)::oid
           AND l.objsubid OPERATOR(pg_catalog.=) 2 AND l.granted
         LIMIT 1) AS running_pid,
       pg_catalog.to_regclass('cartwatch.' OPERATOR(pg_catalog.||) t.relation) IS NOT NULL
           AS table_exists,
       t.description
  FROM cartwatch.retention_targets AS t
  LEFT JOIN cartwatch.retention_policy_values AS v ON v.target OPERATOR(pg_catalog.=) t.target
  LEFT JOIN LATERAL (SELECT r.* FROM cartwatch.retention_runs AS r
                      WHERE r.target OPERATOR(pg_catalog.=) t.target
                      ORDER BY r.run_id DESC LIMIT 1) AS last ON true
 WHERE CASE WHEN v.target IS NULL THEN t.default_keep IS NOT NULL ELSE v.keep IS NOT NULL END;
COMMENT ON VIEW cartwatch.retention_policies IS
    'One row per retention policy: keep, schedule, last run and its result, next run (NULL: due now), the pid running it.';

-- The earliest moment a policy is due, for schedulers that sleep until then; NULL = no policy.
-- Policies running right now are left out: their run sets their next slot when it ends.
CREATE FUNCTION cartwatch.retention_next_due() RETURNS timestamptz
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN (SELECT min(coalesce(p.next_run, '-infinity'))
          FROM cartwatch.retention_policies AS p
         WHERE p.running_pid IS NULL);
COMMENT ON FUNCTION cartwatch.retention_next_due() IS
    'When the next retention policy is due (-infinity: one is due now; NULL: there is no policy).';

-- For cartwatchd, which runs due policies itself only when no worker serves this database
-- (running them anyway would be safe, only redundant: the target locks keep runs single).
CREATE FUNCTION cartwatch.retention_worker_pid() RETURNS integer
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN (SELECT a.pid FROM pg_stat_activity AS a
         WHERE a.backend_type = 'cartwatch retention worker' AND a.datname = current_database()
         LIMIT 1);
COMMENT ON FUNCTION cartwatch.retention_worker_pid() IS
    'The pid of the background worker running this database''s retention policies; NULL when there is none.';

-- section: policy management

CREATE FUNCTION cartwatch.retention_target(target text) RETURNS cartwatch.retention_targets
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result cartwatch.retention_targets;
BEGIN
    IF target IS NULL THEN
        RAISE EXCEPTION 'retention target must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO result FROM cartwatch.retention_targets AS t WHERE t.target = retention_target.target;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown retention target "%"', target
            USING ERRCODE = 'undefined_object',
                  HINT = format('The targets are: %s.',
                                (SELECT string_agg(t.target, ', ' ORDER BY t.target)
                                   FROM cartwatch.retention_targets AS t));
    END IF;
    RETURN result;
END
$$;
COMMENT ON FUNCTION cartwatch.retention_target(text) IS
    'The definition of a retention target; an unknown name is an error that lists the known ones.';

CREATE FUNCTION cartwatch.check_retention_intervals(keep interval, schedule_interval interval)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF keep IS NOT NULL AND keep <= interval '0' THEN
        RAISE EXCEPTION 'retention keep must be a positive interval, not "%"', keep
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Rows older than keep are removed; keep says how long they stay.';
    END IF;
    IF schedule_interval IS NOT NULL AND schedule_interval < interval '1 second' THEN
        RAISE EXCEPTION 'retention schedule_interval must be at least 1 second, not "%"',
                        schedule_interval
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;
COMMENT ON FUNCTION cartwatch.check_retention_intervals(interval, interval) IS
    'Rejects a keep that is not positive and a schedule_interval under one second.';

-- Locks a target's definition row, so that changes of one policy queue, and returns its
-- current policy (NOT FOUND when it has none).
CREATE FUNCTION cartwatch.lock_retention_policy(target text) RETURNS SETOF cartwatch.retention_policies
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    def cartwatch.retention_targets := cartwatch.retention_target(target);
BEGIN
    PERFORM 1 FROM cartwatch.retention_targets AS t WHERE t.target = def.target FOR UPDATE;
    RETURN QUERY SELECT * FROM cartwatch.retention_policies AS p WHERE p.target = def.target;
END
$$;
COMMENT ON FUNCTION cartwatch.lock_retention_policy(text) IS
    'Locks a retention target against concurrent policy changes; returns its policy, if any.';

-- A removed policy is a row without keep, so that a removed default stays removed across
-- pg_dump and restore, and across extension updates.
CREATE FUNCTION cartwatch.store_retention_policy(target text, keep interval,
                                                 schedule_interval interval)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    INSERT INTO cartwatch.retention_policy_values AS v (target, keep, schedule_interval)
    VALUES (target, keep, schedule_interval)
    ON CONFLICT ON CONSTRAINT retention_policy_values_pkey
    DO UPDATE SET keep = EXCLUDED.keep, schedule_interval = EXCLUDED.schedule_interval,
                  changed_at = now(), changed_by = current_user;
END;
COMMENT ON FUNCTION cartwatch.store_retention_policy(text, interval, interval) IS
    'Records a shop''s policy for a target (keep NULL: removed), overriding its default.';

CREATE FUNCTION cartwatch.add_retention_policy(target text, keep interval,
                                               schedule_interval interval DEFAULT '1 hour',
                                               if_not_exists boolean DEFAULT false)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    existing cartwatch.retention_policies;
BEGIN
    IF keep IS NULL OR schedule_interval IS NULL OR if_not_exists IS NULL THEN
        RAISE EXCEPTION 'keep, schedule_interval and if_not_exists must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM cartwatch.check_retention_intervals(keep, schedule_interval);
    SELECT * INTO existing FROM cartwatch.lock_retention_policy(target);
    IF NOT FOUND THEN
        PERFORM cartwatch.store_retention_policy(target, keep, schedule_interval);
        RETURN true;
    END IF;
    IF NOT if_not_exists THEN
        RAISE EXCEPTION 'retention policy for "%" already exists', target
            USING ERRCODE = 'duplicate_object',
                  DETAIL = format('It keeps rows %s and runs every %s.', existing.keep,
                                  existing.schedule_interval),
                  HINT = 'Use cartwatch.alter_retention_policy() to change it.';
    ELSIF existing.keep = keep AND existing.schedule_interval = schedule_interval THEN
        RAISE NOTICE 'retention policy for "%" already exists, skipping', target;
    ELSE
        RAISE WARNING 'retention policy for "%" already exists with different settings, skipping',
                      target
            USING DETAIL = format('It keeps rows %s and runs every %s.', existing.keep,
                                  existing.schedule_interval),
                  HINT = 'Use cartwatch.alter_retention_policy() to change it.';
    END IF;
    RETURN false;
END
$$;
COMMENT ON FUNCTION cartwatch.add_retention_policy(text, interval, interval, boolean) IS
    'Adds a retention policy: remove the target''s rows older than keep, every schedule_interval. Returns false when one exists (if_not_exists).';

CREATE FUNCTION cartwatch.alter_retention_policy(target text, keep interval DEFAULT NULL,
                                                 schedule_interval interval DEFAULT NULL)
RETURNS cartwatch.retention_policies
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    existing cartwatch.retention_policies;
    result cartwatch.retention_policies;
BEGIN
    PERFORM cartwatch.check_retention_intervals(keep, schedule_interval);
    SELECT * INTO existing FROM cartwatch.lock_retention_policy(target);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'retention policy for "%" does not exist', target
            USING ERRCODE = 'undefined_object',
                  HINT = 'Use cartwatch.add_retention_policy() to add one.';
    END IF;
    PERFORM cartwatch.store_retention_policy(target, coalesce(keep, existing.keep),
                                             coalesce(schedule_interval, existing.schedule_interval));
    SELECT * INTO result FROM cartwatch.retention_policies AS p WHERE p.target = existing.target;
    RETURN result;
END
$$;
COMMENT ON FUNCTION cartwatch.alter_retention_policy(text, interval, interval) IS
    'Changes keep and/or schedule_interval of an existing retention policy; returns the policy.';

CREATE FUNCTION cartwatch.remove_retention_policy(target text, if_exists boolean DEFAULT false)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    existing cartwatch.retention_policies;
BEGIN
    IF if_exists IS NULL THEN
        RAISE EXCEPTION 'if_exists must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO existing FROM cartwatch.lock_retention_policy(target);
    IF NOT FOUND THEN
        IF NOT if_exists THEN
            RAISE EXCEPTION 'retention policy for "%" does not exist', target
                USING ERRCODE = 'undefined_object';
        END IF;
        RAISE NOTICE 'retention policy for "%" does not exist, skipping', target;
        RETURN false;
    END IF;
    PERFORM cartwatch.store_retention_policy(existing.target, NULL, existing.schedule_interval);
    RETURN true;
END
$$;
COMMENT ON FUNCTION cartwatch.remove_retention_policy(text, boolean) IS
    'Removes a target''s retention policy, default or not; its rows are then kept for ever. Returns false when there was none (if_exists).';

-- section: running the policies

CREATE FUNCTION cartwatch.retention_unlock(target text) RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT pg_advisory_unlock(cartwatch.retention_lock_class(), hashtext(target));
END;
COMMENT ON FUNCTION cartwatch.retention_unlock(text) IS
    'Releases the advisory lock of a target''s retention run.';

-- Checks run_retention's arguments and lists the policies it should consider, in target order.
CREATE FUNCTION cartwatch.retention_prepare_run(as_of timestamptz, batch_size integer,
                                                target text, due_only boolean)
RETURNS text[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    stale record;
BEGIN
    IF as_of IS NULL OR due_only IS NULL THEN
        RAISE EXCEPTION 'as_of and due_only must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF batch_size IS NULL OR batch_size < 1 OR batch_size > 1000000 THEN
        RAISE EXCEPTION 'batch_size must be between 1 and 1000000, not %', coalesce(batch_size::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Small batches keep each transaction, and the locks it holds, short.';
    END IF;
    IF target IS NOT NULL THEN
        PERFORM cartwatch.retention_target(target);
        IF NOT EXISTS (SELECT 1 FROM cartwatch.retention_policies AS p WHERE p.target = retention_prepare_run.target) THEN
            RAISE EXCEPTION 'retention policy for "%" does not exist', target
                USING ERRCODE = 'undefined_object',
                      HINT = 'Use cartwatch.add_retention_policy() to add one.';
        END IF;
    END IF;
    -- A session runs one CALL at a time, so a target lock this session holds now was left
    -- behind by a run that was cancelled between two batches: release it.
    FOR stale IN
        SELECT t.target FROM cartwatch.retention_targets AS t
          JOIN pg_locks AS l ON l.locktype = 'advisory' AND l.pid = pg_backend_pid()
                            AND l.classid = cartwatch.retention_lock_class()::oid
                            AND l.objid = hashtext(t.target)::oid AND l.objsubid = 2
    LOOP
        WHILE EXISTS (SELECT 1 FROM pg_locks AS l
                       WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid()
                         AND l.classid = cartwatch.retention_lock_class()::oid
                         AND l.objid = hashtext(stale.target)::oid AND l.objsubid = 2) LOOP
            PERFORM cartwatch.retention_unlock(stale.target);
        END LOOP;
    END LOOP;
    RETURN ARRAY(SELECT p.target FROM cartwatch.retention_policies AS p
                  WHERE (retention_prepare_run.target IS NULL OR p.target = retention_prepare_run.target)
                    AND (NOT due_only
                         OR (p.running_pid IS NULL AND coalesce(p.next_run, '-infinity') <= clock_timestamp()))
                  ORDER BY p.target);
END
$$;
-- The parameters are named after run_retention's so that error messages read the same.
COMMENT ON FUNCTION cartwatch.retention_prepare_run(timestamptz, integer, text, boolean) IS
    'run_retention, step 1: checks the arguments, releases this session''s stale locks, lists the policies to consider.';

-- Takes the target's lock and opens its run; NULL when the policy is not to run now.
CREATE FUNCTION cartwatch.retention_start_run(target text, as_of timestamptz, scheduled boolean)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    policy cartwatch.retention_policies;
    started timestamptz;
    next_run timestamptz;
    run_id bigint;
BEGIN
    IF NOT pg_try_advisory_lock(cartwatch.retention_lock_class(), hashtext(target)) THEN
        IF NOT scheduled THEN
            RAISE NOTICE 'retention %: skipped, a run of this policy is in progress in another session',
                         target;
        END IF;
        RETURN NULL;
    END IF;
    -- From here on this session alone runs the target. The queries below take fresh
    -- snapshots, so they see what the previous holder committed before it unlocked.
    SELECT * INTO policy FROM cartwatch.retention_policies AS p WHERE p.target = retention_start_run.target;
    IF NOT FOUND THEN   -- removed since the run began
        PERFORM cartwatch.retention_unlock(target);
        RETURN NULL;
    END IF;
    started := clock_timestamp();
    -- A run still marked running has no session behind it any more.
    UPDATE cartwatch.retention_runs AS r
       SET status = 'interrupted',
           error = 'the run ended before it finished (session cancelled, terminated or crashed)'
     WHERE r.target = policy.target AND r.status = 'running';
    next_run := policy.next_run;
    IF scheduled AND next_run > started THEN   -- another runner did it a moment ago
        PERFORM cartwatch.retention_unlock(target);
        RETURN NULL;
    END IF;
    -- A scheduled run fills the slot it was due for, so the schedule does not drift; after a
    -- gap longer than one interval (server down) it starts a new grid instead of catching up.
    INSERT INTO cartwatch.retention_runs AS r (target, scheduled, as_of, cutoff, due_at, started_at)
    VALUES (policy.target, scheduled, as_of, as_of - policy.keep,
            CASE WHEN scheduled AND next_run IS NOT NULL
                      AND started - next_run < policy.schedule_interval
                 THEN next_run ELSE started END,
            started)
    RETURNING r.run_id INTO run_id;
    RETURN run_id;
END
$$;
COMMENT ON FUNCTION cartwatch.retention_start_run(text, timestamptz, boolean) IS
    'run_retention, step 2: locks the target, checks it is due, records the run; NULL = not to run now.';

-- The statement that removes one batch of a target: the oldest rows older than $1 (the
-- cutoff), at most $2 of them, rows locked by shop writers skipped (the next batch or run takes
-- them). Built from the catalog at each batch, so a renamed column or a dropped table shows in
-- the run's error instead of breaking the whole procedure.
--
-- What a batch of carts costs, and why it is written this way (5,000 carts, 2 items each):
--  * picking the rows is an index range scan from the oldest (the targets' age_key and partial
--    indexes), so a batch costs the same at the start and at the end of a 1,000,000-cart backlog;
--  * the rows of tables that go with the target's by ON DELETE CASCADE (cart_items) are deleted
--    by the same statement, one set-based DELETE per table. The foreign key's cascade still
--    fires for every cart, but finds nothing left: an index probe instead of a DELETE per cart;
--  * the statement triggers then run once per batch, not per row: cart_items' activity trigger
--    finds the carts gone, and the customer summary recounts the batch's customers once
--    (guest carts, most abandoned ones, cost it nothing);
--  * what remains per row is PostgreSQL's own: the foreign keys' per-row triggers (the cascade
--    probe, and orders' and reminders' ON DELETE SET NULL), about half of a batch's time in a
--    profile, and the deletion itself.
CREATE FUNCTION cartwatch.retention_batch_sql(target text) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    def cartwatch.retention_targets := cartwatch.retention_target(target);
    relation regclass;
    age_column text;
    key_columns text;
    child_deletes text;
BEGIN
    relation := to_regclass(format('cartwatch.%I', def.relation));
    IF relation IS NULL THEN
        RAISE EXCEPTION 'table cartwatch.% does not exist', def.relation
            USING ERRCODE = 'undefined_table';
    END IF;
    SELECT c.name INTO age_column
      FROM unnest(def.age_columns) WITH ORDINALITY AS c(name, position)
     WHERE EXISTS (SELECT 1 FROM pg_attribute AS a
                    WHERE a.attrelid = relation AND a.attname = c.name
                      AND a.attnum > 0 AND NOT a.attisdropped)
     ORDER BY c.position LIMIT 1;
    IF age_column IS NULL THEN
        RAISE EXCEPTION 'table % has none of the columns % that retention target "%" measures age on',
                        relation, def.age_columns, def.target
            USING ERRCODE = 'undefined_column';
    END IF;
    -- Single-column ON DELETE CASCADE foreign keys from tables of schema cartwatch; others
    -- (a shop's own tables, composite keys) are left to the cascade.
    SELECT string_agg(DISTINCT quote_ident(parent.attname), ', '),
           string_agg(format(', cascade_%s AS (DELETE FROM %s WHERE %I = ANY (ARRAY(SELECT %I FROM doomed)))',
                             k.position, k.child_table, child.attname, parent.attname),
                      '' ORDER BY k.position)
      INTO key_columns, child_deletes
      FROM (SELECT f.conrelid, f.conkey, f.confrelid, f.confkey, f.conrelid::regclass AS child_table,
                   row_number() OVER (ORDER BY f.conrelid::regclass::text, f.conname) AS position
              FROM pg_constraint AS f
              JOIN pg_class AS c ON c.oid = f.conrelid
             WHERE f.contype = 'f' AND f.confrelid = relation AND f.conrelid <> relation
               AND f.confdeltype = 'c' AND cardinality(f.conkey) = 1
               AND c.relnamespace = 'cartwatch'::regnamespace) AS k
      JOIN pg_attribute AS child ON child.attrelid = k.conrelid AND child.attnum = k.conkey[1]
      JOIN pg_attribute AS parent ON parent.attrelid = k.confrelid AND parent.attnum = k.confkey[1];
    -- ctid, not a key column, so that one statement serves every target. The rows are locked
    -- in the same statement that picked them, so the ctids cannot move before the DELETE.
    RETURN format('WITH doomed AS (SELECT ctid%4$s FROM %1$s WHERE %2$s < $1 AND (%3$s)'
                  ' ORDER BY %2$s LIMIT $2 FOR UPDATE SKIP LOCKED)%5$s'
                  ' DELETE FROM %1$s WHERE ctid = ANY (ARRAY(SELECT ctid FROM doomed))',
                  relation, coalesce(def.age_key, quote_ident(age_column)), def.predicate,
                  ', ' || key_columns, child_deletes);
END
$$;
COMMENT ON FUNCTION cartwatch.retention_batch_sql(text) IS
    'The DELETE statement of one retention batch of a target ($1: cutoff, $2: batch size), with the set-based deletes of its cascading tables.';

-- Removes one batch of the run's target and counts it in the run; returns the rows removed.
CREATE FUNCTION cartwatch.retention_run_batch(run_id bigint, batch_size integer) RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- A shop write holding a lock the batch needs is waited for briefly, never for long: the batch
-- fails, and run_retention retries it.
SET lock_timeout = '2s'
AS $$
DECLARE
    run cartwatch.retention_runs;
    removed bigint;
BEGIN
    SELECT * INTO STRICT run FROM cartwatch.retention_runs AS r WHERE r.run_id = retention_run_batch.run_id;
    EXECUTE cartwatch.retention_batch_sql(run.target) USING run.cutoff, batch_size;
    GET DIAGNOSTICS removed = ROW_COUNT;
    UPDATE cartwatch.retention_runs AS r
       SET rows_removed = r.rows_removed + removed, batches = r.batches + 1
     WHERE r.run_id = retention_run_batch.run_id;
    RETURN removed;
END
$$;
COMMENT ON FUNCTION cartwatch.retention_run_batch(bigint, integer) IS
    'run_retention, step 3 (repeated): removes one batch of the oldest expired rows and counts them in the run.';

-- Closes the run with its result and says so: a NOTICE, or a WARNING on failure, which the
-- server log keeps when the background worker ran it.
CREATE FUNCTION cartwatch.retention_finish_run(run_id bigint, error_state text, error_message text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run cartwatch.retention_runs;
    removed text;
BEGIN
    UPDATE cartwatch.retention_runs AS r
       SET status = CASE WHEN error_state IS NULL THEN 'succeeded'
                         WHEN error_state = '42P01' THEN 'skipped'
                         ELSE 'failed' END,
           finished_at = clock_timestamp(),
           error = error_message
     WHERE r.run_id = retention_finish_run.run_id
    RETURNING * INTO STRICT run;
    removed := run.rows_removed || CASE WHEN run.rows_removed = 1 THEN ' row' ELSE ' rows' END;
    CASE run.status
    WHEN 'succeeded' THEN
        RAISE NOTICE 'retention %: removed % older than %', run.target, removed, run.cutoff;
    WHEN 'skipped' THEN
        RAISE NOTICE 'retention %: skipped, %', run.target, run.error;
    ELSE
        RAISE WARNING 'retention %: failed after removing %: %', run.target, removed, run.error
            USING HINT = 'The next run starts over where this one stopped; cartwatch.retention_runs keeps the error.';
    END CASE;
END
$$;
COMMENT ON FUNCTION cartwatch.retention_finish_run(bigint, text, text) IS
    'run_retention, step 4: records how the run ended and reports it.';

-- The pause after a batch that took batch_took: (1 - duty) / duty times as long, so that a run
-- works through a backlog at most retention_max_duty of the time; never under
-- retention_batch_pause, never over a minute (a batch slowed down by something passing, a
-- checkpoint or a swamped machine, must not park the run, and its target's lock, for long).
CREATE FUNCTION cartwatch.retention_pause_after(batch_took interval) RETURNS interval
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    duty numeric := cartwatch.setting('retention_max_duty')::numeric;
    least_pause interval := cartwatch.setting('retention_batch_pause')::interval;
BEGIN
    IF batch_took IS NULL OR batch_took < interval '0' THEN
        RAISE EXCEPTION 'batch_took must be a duration of zero or more, not %',
                        coalesce(batch_took::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Microseconds: an interval of hours times a fraction stays exact, without day/month parts.
    RETURN greatest(least_pause,
                    least(interval '1 minute',
                          make_interval(secs => round(extract(epoch FROM batch_took) * (1 - duty) / duty, 6))));
END
$$;
COMMENT ON FUNCTION cartwatch.retention_pause_after(interval) IS
    'How long run_retention pauses after a batch that took batch_took: (1 - retention_max_duty) / retention_max_duty times as long (at most a minute), at least retention_batch_pause.';

CREATE FUNCTION cartwatch.retention_pause(batch_took interval) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    pause interval := cartwatch.retention_pause_after(batch_took);
BEGIN
    IF pause > interval '0' THEN
        PERFORM pg_sleep_for(pause);
    END IF;
END
$$;
COMMENT ON FUNCTION cartwatch.retention_pause(interval) IS
    'Sleeps between two retention batches for retention_pause_after(batch_took).';

-- No SET search_path on this procedure, deliberately: PostgreSQL refuses COMMIT inside a
-- procedure that has a SET clause. Its body therefore only calls schema-qualified cartwatch
-- functions with exact argument types and writes its operators as OPERATOR(pg_catalog.x), so a
-- caller's search_path cannot change what it runs.
CREATE PROCEDURE cartwatch.run_retention(as_of timestamptz DEFAULT now(),
                                         batch_size integer DEFAULT 5000,
                                         target text DEFAULT NULL,
                                         due_only boolean DEFAULT false)
LANGUAGE plpgsql
AS $$
DECLARE
    targets text[];
    current_target text;
    current_run bigint;
    removed bigint;
    attempts integer;
    batch_started timestamptz;
    error_state text;
    error_message text;
BEGIN
    targets := cartwatch.retention_prepare_run(as_of, batch_size, target, due_only);
    -- Fails at once, before any work, when called inside a transaction block.
    COMMIT;
    FOREACH current_target IN ARRAY targets LOOP
        current_run := cartwatch.retention_start_run(current_target, as_of, due_only);
        COMMIT;
        CONTINUE WHEN current_run IS NULL;
        error_state := NULL;
        error_message := NULL;
        attempts := 0;
        LOOP
            batch_started := pg_catalog.clock_timestamp();
            -- The exception block makes each batch a subtransaction; the COMMIT stays outside
            -- it, since PostgreSQL allows no COMMIT inside one.
            BEGIN
                removed := cartwatch.retention_run_batch(current_run, batch_size);
                error_state := NULL;
                error_message := NULL;
            EXCEPTION WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS error_state = RETURNED_SQLSTATE, error_message = MESSAGE_TEXT;
                removed := NULL;
            END;
            COMMIT;
            IF removed IS NULL THEN
                -- Lock timeouts, deadlocks and serialization failures are the shop's writes
                -- getting in the way: try that batch again a few times.
                attempts := attempts OPERATOR(pg_catalog.+) 1;
                EXIT WHEN error_state OPERATOR(pg_catalog.<>) ALL ('{55P03,40P01,40001}'::pg_catalog.text[])
                       OR attempts OPERATOR(pg_catalog.>=) 3;
            ELSE
                attempts := 0;
                EXIT WHEN removed OPERATOR(pg_catalog.<) batch_size;
            END IF;
            -- The batch's time includes its commit: the work the batch made PostgreSQL do.
            PERFORM cartwatch.retention_pause(pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) batch_started);
        END LOOP;
        PERFORM cartwatch.retention_finish_run(current_run, error_state, error_message);
        COMMIT;
        -- Unlocked only once the result is committed, so the next holder sees it.
        PERFORM cartwatch.retention_unlock(current_target);
    END LOOP;
END
$$;
COMMENT ON PROCEDURE cartwatch.run_retention(timestamptz, integer, text, boolean) IS
    'Runs the retention policies against as_of in batches of batch_size rows, committing after each; due_only: only the policies whose schedule says so; target: one policy.';

REVOKE ALL ON FUNCTION cartwatch.add_retention_policy(text, interval, interval, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION cartwatch.alter_retention_policy(text, interval, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION cartwatch.remove_retention_policy(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION cartwatch.store_retention_policy(text, interval, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION cartwatch.lock_retention_policy(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION cartwatch.retention_unlock(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION cartwatch.retention_prepare_run(timestamptz, integer, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION cartwatch.retention_start_run(text, timestamptz, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION cartwatch.retention_run_batch(bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION cartwatch.retention_finish_run(bigint, text, text) FROM PUBLIC;
REVOKE ALL ON PROCEDURE cartwatch.run_retention(timestamptz, integer, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION cartwatch.retention_pause(interval) FROM PUBLIC;
