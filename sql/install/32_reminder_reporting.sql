-- section: attribution
--
-- Last touch: an order is credited to the last reminder sent to its cart, customer or address
-- within attribution_window before it was placed. One order recovers at most one reminder.

-- SECURITY DEFINER: the shop's role that writes orders needs no right on the outbox. EXECUTE is
-- closed, so no other role can put it on a table of its own, and it refuses any other table.
--
-- plan_cache_mode: one generic plan, made once per session. PostgreSQL's own choice compares
-- the generic plan with the first custom ones, and for an order without a customer (a guest's)
-- a custom plan folds that probe away and looks cheaper, so a session whose first orders were
-- guests' planned the UPDATE again for every order: 140-180 us per unmatched order instead of
-- 25-28 (bench/checkout.sh, docs/BENCHMARKS.md). The generic plan probes each of the three indexes
-- (cart, customer, address); a NULL key finds nothing in its index.
CREATE FUNCTION cartwatch.attribute_order() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    window_length interval := cartwatch.setting('attribution_window')::interval;
    candidates integer;
    recovered integer;
BEGIN
    IF TG_TABLE_SCHEMA <> 'cartwatch' OR TG_TABLE_NAME <> 'orders' THEN
        RAISE EXCEPTION 'cartwatch.attribute_order() fires on cartwatch.orders only'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- One statement in the usual case. An order placed at the same moment may have taken the
    -- candidate: this UPDATE then waited for it, and finds it recovered when it re-reads the
    -- row (READ COMMITTED), so it changes nothing; the next statement sees that order and
    -- looks again, as if this order had come after it.
    LOOP
        WITH candidate AS (
            SELECT c.reminder_id FROM cartwatch.reminders AS c
             WHERE c.state = 'sent' AND c.recovered_order_id IS NULL
               AND c.sent_at <= NEW.placed_at AND c.sent_at >= NEW.placed_at - window_length
               AND (c.cart_id = NEW.cart_id
                    OR c.customer_id = NEW.customer_id
                    OR c.email_key = cartwatch.email_key(NEW.email))
             ORDER BY c.sent_at DESC, c.reminder_id DESC
             LIMIT 1
        ), recovery AS (
            UPDATE cartwatch.reminders AS r
               SET recovered_order_id = NEW.order_id, recovered_at = NEW.placed_at,
                   recovered_value = NEW.total
              FROM candidate
             WHERE r.reminder_id = candidate.reminder_id AND r.recovered_order_id IS NULL
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM candidate), (SELECT count(*) FROM recovery)
          INTO candidates, recovered;
        EXIT WHEN candidates = 0 OR recovered > 0;
    END LOOP;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION cartwatch.attribute_order() IS
    'Trigger: marks the last reminder sent to the order''s cart, customer or address within attribution_window as recovered by it.';
REVOKE ALL ON FUNCTION cartwatch.attribute_order() FROM PUBLIC;
CREATE TRIGGER orders_attribute_reminder AFTER INSERT ON cartwatch.orders
    FOR EACH ROW EXECUTE FUNCTION cartwatch.attribute_order();

-- section: reporting

-- Days are calendar days of the session's TimeZone, counted by when a reminder was scheduled.
CREATE VIEW cartwatch.reminder_stats AS
WITH facts AS (
    SELECT r.scheduled_at::date AS day, r.step, r.currency, r.state, r.cancel_reason, r.skipped,
           r.failures, r.clicked_at,
           -- an order that was cancelled or refunded did not recover anything
           o.order_id IS NOT NULL AND o.status NOT IN ('cancelled', 'returned', 'refunded')
               AS recovered,
           r.recovered_value
      FROM cartwatch.reminders AS r
      LEFT JOIN cartwatch.orders AS o ON o.order_id = r.recovered_order_id
), reasons AS (
    SELECT day, step, currency, skipped,
           jsonb_object_agg(cancel_reason, n ORDER BY cancel_reason) AS by_reason
      FROM (SELECT day, step, currency, skipped, cancel_reason, count(*) AS n
              FROM facts WHERE state = 'cancelled'
             GROUP BY day, step, currency, skipped, cancel_reason) AS counted
     GROUP BY day, step, currency, skipped
)
SELECT t.day, t.step, t.currency,
       count(*) FILTER (WHERE NOT t.skipped) AS scheduled,
       count(*) FILTER (WHERE t.state = 'sent') AS sent,
       count(*) FILTER (WHERE t.failures > 0) AS failed,
       count(*) FILTER (WHERE t.state = 'failed') AS retrying,
       count(*) FILTER (WHERE t.state = 'dead') AS dead,
       count(*) FILTER (WHERE t.state = 'cancelled' AND NOT t.skipped) AS cancelled,
       coalesce(queued.by_reason, '{}'::jsonb) AS cancelled_by_reason,
       count(*) FILTER (WHERE t.skipped) AS skipped,
       coalesce(never.by_reason, '{}'::jsonb) AS skipped_by_reason,
       count(*) FILTER (WHERE t.state = 'unknown') AS unknown,
       count(*) FILTER (WHERE t.state IN ('pending', 'claimed')) AS waiting,
       count(*) FILTER (WHERE t.clicked_at IS NOT NULL) AS clicked,
       count(*) FILTER (WHERE t.recovered) AS recovered,
       round(count(*) FILTER (WHERE t.recovered)::numeric
             / nullif(count(*) FILTER (WHERE t.state = 'sent'), 0), 4) AS recovery_rate,
       coalesce(sum(t.recovered_value) FILTER (WHERE t.recovered), 0) AS recovered_revenue
  FROM facts AS t
  LEFT JOIN reasons AS queued
    ON queued.day = t.day AND queued.step = t.step
       AND queued.currency IS NOT DISTINCT FROM t.currency AND NOT queued.skipped
  LEFT JOIN reasons AS never
    ON never.day = t.day AND never.step = t.step
       AND never.currency IS NOT DISTINCT FROM t.currency AND never.skipped
 GROUP BY t.day, t.step, t.currency, queued.by_reason, never.by_reason;
COMMENT ON VIEW cartwatch.reminder_stats IS
$$Per day (of scheduling, session time zone), step and currency: scheduled (queued), sent, failed (had a transient failure), retrying, dead, cancelled after queueing and why, skipped (due but ineligible) and why, unknown, waiting, clicked, recovered carts (order within attribution_window, not cancelled or refunded), recovery rate (recovered / sent) and recovered revenue.$$;

CREATE VIEW cartwatch.customer_emails AS
SELECT r.customer_id,
       r.sent_at,
       r.locale AS language,
       r.subject,
       r.template,
       r.email,
       r.step,
       r.cart_id,
       r.reminder_id,
       r.message_id
  FROM cartwatch.reminders AS r
 WHERE r.state = 'sent';
COMMENT ON VIEW cartwatch.customer_emails IS
    'E-mails sent, per customer (NULL for guests): date, language, subject, template, address, step, cart (PrestaShop''s "last e-mails").';

CREATE FUNCTION cartwatch.reminder_queue_metrics(as_of timestamptz DEFAULT now())
RETURNS TABLE (due bigint, oldest_due_at timestamptz, oldest_due_age_seconds double precision,
               next_due_at timestamptz, pending bigint, retrying bigint, claimed bigint,
               expired_leases bigint, sent_24h bigint, dead_24h bigint, unknown_24h bigint,
               cancelled_24h bigint, last_sent_at timestamptz)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    -- Live rows through the partial indexes, finished ones through the last day of
    -- reminders_finished_idx: cheap enough to scrape every few seconds on any table size. A
    -- queued row whose cart was deleted is not due: no claim takes it (the scheduler cancels
    -- it), so it must not show as a backlog.
    SELECT q.due, q.oldest_due_at,
           extract(epoch FROM as_of - q.oldest_due_at)::double precision,
           q.next_due_at, q.pending, q.retrying, l.claimed, l.expired,
           f.sent, f.dead, f.unknown, f.cancelled,
           (SELECT max(r.finished_at) FROM cartwatch.reminders AS r
             WHERE r.state = 'sent' AND r.finished_at IS NOT NULL AND r.finished_at <= as_of)
      FROM (SELECT count(*) FILTER (WHERE r.cart_id IS NOT NULL AND r.due_at <= as_of) AS due,
                   min(r.due_at) FILTER (WHERE r.cart_id IS NOT NULL AND r.due_at <= as_of)
                       AS oldest_due_at,
                   min(r.due_at) FILTER (WHERE r.cart_id IS NOT NULL AND r.due_at > as_of)
                       AS next_due_at,
                   count(*) FILTER (WHERE r.state = 'pending') AS pending,
                   count(*) FILTER (WHERE r.state = 'failed') AS retrying
              FROM cartwatch.reminders AS r WHERE r.state IN ('pending', 'failed')) AS q,
           (SELECT count(*) AS claimed, count(*) FILTER (WHERE r.lease_until < as_of) AS expired
              FROM cartwatch.reminders AS r WHERE r.state = 'claimed') AS l,
           (SELECT count(*) FILTER (WHERE r.state = 'sent') AS sent,
                   count(*) FILTER (WHERE r.state = 'dead') AS dead,
                   count(*) FILTER (WHERE r.state = 'unknown') AS unknown,
                   count(*) FILTER (WHERE r.state = 'cancelled' AND NOT r.skipped) AS cancelled
              FROM cartwatch.reminders AS r
             WHERE r.finished_at > as_of - interval '24 hours' AND r.finished_at <= as_of) AS f
$$;
COMMENT ON FUNCTION cartwatch.reminder_queue_metrics(timestamptz) IS
$$For the daemon's metrics, one row: due (claimable now; a queued reminder whose cart was deleted is not, and the next schedule_reminders() cancels it), oldest due reminder and its age in seconds, next due time, pending, retrying (failed, retry scheduled), claimed, claims with an expired lease, reminders sent, dead, unknown and cancelled in the last 24 hours, and the last send. Cheap on any table size.$$;
REVOKE ALL ON FUNCTION cartwatch.reminder_queue_metrics(timestamptz) FROM PUBLIC;

CREATE FUNCTION cartwatch.cancel_reminder(reminder_id bigint, as_of timestamptz DEFAULT now())
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF reminder_id IS NULL OR as_of IS NULL THEN
        RAISE EXCEPTION '% must not be NULL', CASE WHEN reminder_id IS NULL THEN 'reminder_id' ELSE 'as_of' END
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    UPDATE cartwatch.reminders AS r
       SET state = 'cancelled', cancel_reason = 'manual', finished_at = as_of
     WHERE r.reminder_id = cancel_reminder.reminder_id AND r.state IN ('pending', 'failed');
    IF FOUND THEN
        RETURN true;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM cartwatch.reminders AS r WHERE r.reminder_id = cancel_reminder.reminder_id) THEN
        RAISE EXCEPTION 'reminder % does not exist', reminder_id USING ERRCODE = 'no_data_found';
    END IF;
    RETURN false;
END
$$;
COMMENT ON FUNCTION cartwatch.cancel_reminder(bigint, timestamptz) IS
    'Cancels a queued (pending or failed) reminder by hand; false when it is claimed or finished already.';
REVOKE ALL ON FUNCTION cartwatch.cancel_reminder(bigint, timestamptz) FROM PUBLIC;

-- For the operator, once what failed is fixed (a relay that now offers SMTPUTF8, a corrected
-- password, a server back from a long outage): the given reminders that were given up go back
-- to the queue, due now, with a fresh count of attempts. The claim checks each cart again, so a
-- reminder whose cart was ordered, emptied, touched or grew too old meanwhile is cancelled with
-- its reason, never sent. An unknown reminder (maybe delivered) is requeued only when asked:
-- its customer may get the e-mail twice. last_error keeps what happened before.
CREATE FUNCTION cartwatch.requeue_reminders(reminder_ids bigint[], include_unknown boolean DEFAULT false,
                                            as_of timestamptz DEFAULT now())
RETURNS TABLE (reminder_id bigint, previous_state text, last_error text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF requeue_reminders.reminder_ids IS NULL OR include_unknown IS NULL OR as_of IS NULL THEN
        RAISE EXCEPTION 'reminder_ids, include_unknown and as_of must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the ids, e.g. ARRAY(SELECT reminder_id FROM cartwatch.reminders WHERE state = ''dead'' AND last_error LIKE ''%SMTPUTF8%'').';
    END IF;
    RETURN QUERY
    WITH chosen AS (
        SELECT r.reminder_id, r.state
          FROM cartwatch.reminders AS r
         WHERE r.reminder_id = ANY (requeue_reminders.reminder_ids)
           AND r.cart_id IS NOT NULL
           AND (r.state = 'dead' OR (r.state = 'unknown' AND include_unknown))
         ORDER BY r.reminder_id
           FOR UPDATE OF r
    )
    UPDATE cartwatch.reminders AS r
       SET state = 'pending', due_at = requeue_reminders.as_of, attempt = 0, failures = 0, finished_at = NULL,
           claimed_by = NULL, claimed_at = NULL, lease_until = NULL
      FROM chosen
     WHERE r.reminder_id = chosen.reminder_id
    RETURNING r.reminder_id, chosen.state, r.last_error;
    IF FOUND THEN
        PERFORM cartwatch.notify_reminders(requeue_reminders.as_of);
    END IF;
END
$$;
COMMENT ON FUNCTION cartwatch.requeue_reminders(bigint[], boolean, timestamptz) IS
    'Puts the given dead reminders (and unknown ones, maybe delivered, when include_unknown) back in the queue, due at as_of (now), attempts counted afresh; the claim checks their carts again. Returns the requeued ones with their previous state and last error. Others (sent, cancelled, queued, cart deleted) are left as they are.';
REVOKE ALL ON FUNCTION cartwatch.requeue_reminders(bigint[], boolean, timestamptz) FROM PUBLIC;

-- section: the daemon's role

CREATE FUNCTION cartwatch.daemon_functions() RETURNS regprocedure[]
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
RETURN ARRAY['cartwatch.schedule_reminders(timestamptz, boolean)',
             'cartwatch.claim_reminders(text, integer, interval, timestamptz)',
             'cartwatch.complete_reminder(bigint, text, text, text, text, text, timestamptz)',
             'cartwatch.complete_reminders(text, bigint[], text[], text[], text[], text[], timestamptz)',
             'cartwatch.fail_reminder(bigint, text, text, boolean, boolean, timestamptz)',
             'cartwatch.reminder_outcome_unknown(bigint, text, text, timestamptz)',
             'cartwatch.release_reminders(text)',
             'cartwatch.reminder_queue_metrics(timestamptz)',
             'cartwatch.unsubscribe(text)',
             'cartwatch.cart_from_recovery_token(text, timestamptz)']::regprocedure[];
COMMENT ON FUNCTION cartwatch.daemon_functions() IS
    'The functions cartwatchd calls; grant_daemon() grants EXECUTE on exactly these.';

-- The one body behind grant_daemon/revoke_daemon and grant_retention/revoke_retention. No
-- SECURITY DEFINER: GRANT runs with the caller's rights, so only the extension's owner (or a
-- superuser) can hand these out. A revoke keeps USAGE on the schema while the role may still
-- run any routine of keep_usage_for (the other grant), so taking one back never breaks the
-- other.
CREATE FUNCTION cartwatch.set_routine_access(role regrole, routines regprocedure[], allow boolean,
                                             keep_usage_for regprocedure[] DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    fn regprocedure;
BEGIN
    IF role IS NULL THEN
        RAISE EXCEPTION 'role must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF routines IS NULL OR allow IS NULL OR keep_usage_for IS NULL THEN
        RAISE EXCEPTION 'routines, allow and keep_usage_for must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF allow THEN
        EXECUTE format('GRANT USAGE ON SCHEMA cartwatch TO %s', role);
    END IF;
    FOREACH fn IN ARRAY routines LOOP
        -- ROUTINE: functions and procedures alike (run_retention is a procedure).
        EXECUTE format(CASE WHEN allow THEN 'GRANT EXECUTE ON ROUTINE %s TO %s'
                            ELSE 'REVOKE EXECUTE ON ROUTINE %s FROM %s' END, fn, role);
    END LOOP;
    IF NOT allow AND NOT EXISTS (SELECT 1 FROM unnest(keep_usage_for) AS k(fn)
                                  WHERE has_function_privilege(role::oid, k.fn, 'EXECUTE')) THEN
        EXECUTE format('REVOKE USAGE ON SCHEMA cartwatch FROM %s', role);
    END IF;
END
$$;
COMMENT ON FUNCTION cartwatch.set_routine_access(regrole, regprocedure[], boolean, regprocedure[]) IS
    'Grants (allow) or revokes EXECUTE on routines and USAGE on the schema; a revoke keeps USAGE while the role may run any of keep_usage_for. Behind grant_daemon() and grant_retention().';
REVOKE ALL ON FUNCTION cartwatch.set_routine_access(regrole, regprocedure[], boolean, regprocedure[]) FROM PUBLIC;

CREATE FUNCTION cartwatch.grant_daemon(role regrole) RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
RETURN cartwatch.set_routine_access(role, cartwatch.daemon_functions(), true);
COMMENT ON FUNCTION cartwatch.grant_daemon(regrole) IS
    'Lets role run cartwatchd: USAGE on the schema and EXECUTE on the SECURITY DEFINER functions in daemon_functions(); no table rights.';
REVOKE ALL ON FUNCTION cartwatch.grant_daemon(regrole) FROM PUBLIC;

-- grant_retention's routines are created later (42_retention_roles.sql), so they are looked
-- up when revoke_daemon runs, not when it is created.
CREATE FUNCTION cartwatch.revoke_daemon(role regrole) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM cartwatch.set_routine_access(role, cartwatch.daemon_functions(), false,
                                         cartwatch.retention_functions());
END
$$;
COMMENT ON FUNCTION cartwatch.revoke_daemon(regrole) IS 'Undoes grant_daemon(); the schema stays usable when the role also holds grant_retention().';
REVOKE ALL ON FUNCTION cartwatch.revoke_daemon(regrole) FROM PUBLIC;
