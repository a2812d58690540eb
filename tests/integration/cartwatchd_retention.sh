#!/usr/bin/env bash
# cartwatchd runs the retention policies with a role that holds no table rights:
#   1. with grant_daemon() only, it says once, with the role's name and the grant to run, that
#      it does not run them, keeps sending, and deletes nothing;
#   2. after cartwatch.grant_retention(role) it runs them: expired visits and abandoned carts
#      (with their items, through the cascades and the customer-summary triggers) go, recent
#      rows stay, cartwatch.retention_runs records the runs and the log says what was removed;
#      the role still cannot DELETE a row itself;
#   3. a SIGTERM during a long run stops the daemon at once; the batches committed stay done;
#   4. revoke_retention() takes the right back and leaves the daemon's own rights alone.
. "$(dirname "$0")/lib/cartwatchd.sh"

cw_create_database
cw_daemon_role
cw_sql >/dev/null <<'SQL'
SELECT cartwatch.remove_retention_policy(target, if_exists => true)
  FROM cartwatch.retention_targets WHERE target NOT IN ('visits', 'abandoned_carts');
SELECT cartwatch.alter_retention_policy('visits', keep => '30 days');
INSERT INTO cartwatch.visits (started_at, start_url)
SELECT now() - CASE WHEN n <= 5 THEN interval '40 days' ELSE interval '1 day' END, '/p/' || n
  FROM generate_series(1, 8) AS n;
-- Two carts abandoned 100 days ago (no consent: nothing to remind), one from last week.
WITH old_carts AS (
    INSERT INTO cartwatch.carts (guest_email, locale, created_at, last_activity_at)
    SELECT 'old' || n || '@example.com', 'en', now() - age, now() - age
      FROM (VALUES (1, interval '100 days'), (2, interval '100 days'), (3, interval '7 days'))
           AS v(n, age)
    RETURNING cart_id, last_activity_at)
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
SELECT cart_id, 1, 1, last_activity_at FROM old_carts;
SQL
[ "$(cw_sql -c "SELECT count(*) FROM cartwatch.carts WHERE last_activity_at < now() - interval '90 days'")" = 2 ] ||
    cw_fail "the old carts are not old"
cw_add_carts anna@example.com:pl # and one reminder to send, to show sending goes on
cw_start_smtp
cw_write_config

# 1. Not granted: one clear line, nothing removed, no crash loop.
cw_start_daemon plain
cw_wait_for 20 sent "SELECT state FROM cartwatch.reminders WHERE email = 'anna@example.com'"
cw_wait_for_log 10 plain.log "retention policies not run" || true
grep -q "retention policies not run: role $CW_ROLE may not run them. As the extension's owner, run SELECT cartwatch.grant_retention('$CW_ROLE')" \
    "$CW_WORK/plain.log" || cw_fail "no clear line about the missing grant"
sleep 2
kill -0 "$CW_PID_plain" 2>/dev/null || cw_fail "the daemon died without the grant"
[ "$(grep -c "retention policies not run" "$CW_WORK/plain.log")" = 1 ] ||
    cw_fail "the missing grant was reported more than once"
! grep -q "retention run failed" "$CW_WORK/plain.log" || cw_fail "retention was tried anyway"
[ "$(cw_sql -c "SELECT count(*) FROM cartwatch.visits")" = 8 ] || cw_fail "visits were removed"
[ "$(cw_sql -c "SELECT count(*) FROM cartwatch.retention_runs")" = 0 ] || cw_fail "a run was recorded"
cw_stop_daemon "$CW_PID_plain" TERM
[ "$CW_EXIT" = 0 ] || cw_fail "exit status $CW_EXIT"

# 2. Granted: the due policies run as soon as the daemon is up.
cw_sql -c "SELECT cartwatch.grant_retention('$CW_ROLE')" >/dev/null
cw_start_daemon granted
cw_wait_for 30 "3" "SELECT count(*) FROM cartwatch.visits"
cw_wait_for 30 "succeeded:2 succeeded:5" \
    "SELECT string_agg(status || ':' || rows_removed, ' ' ORDER BY target) FROM cartwatch.retention_runs"
[ "$(cw_sql -c "SELECT count(*) FROM cartwatch.visits WHERE started_at < now() - interval '30 days'")" = 0 ] ||
    cw_fail "expired visits are left"
[ "$(cw_sql -c "SELECT string_agg(guest_email, ' ' ORDER BY guest_email) FROM cartwatch.carts WHERE guest_email LIKE 'old%'")" = old3@example.com ] ||
    cw_fail "the wrong carts went"
[ "$(cw_sql -c "SELECT count(*) FROM cartwatch.cart_items AS i
                 WHERE NOT EXISTS (SELECT 1 FROM cartwatch.carts AS c WHERE c.cart_id = i.cart_id)")" = 0 ] ||
    cw_fail "cart items outlived their carts"
cw_wait_for_log 5 granted.log "retention visits: removed 5 rows" || true
grep -q "retention visits: removed 5 rows older than" "$CW_WORK/granted.log" ||
    cw_fail "the log does not say what retention removed"
grep -q "retention abandoned_carts: removed 2 rows" "$CW_WORK/granted.log" ||
    cw_fail "the log does not say the carts were removed"
grep -q "cartwatchd runs the retention policies that are due" "$CW_WORK/granted.log" ||
    cw_fail "no line saying cartwatchd now runs retention"
denied=$(psql -X -q -At -d "$CW_DB" -U "$CW_ROLE" -c "DELETE FROM cartwatch.visits" 2>&1 || true)
echo "$denied" | grep -q "permission denied" || cw_fail "the retention role may DELETE: $denied"
[ "$(cw_sql -c "SELECT count(*) FROM cartwatch.visits")" = 3 ] || cw_fail "the role deleted visits"
cw_stop_daemon "$CW_PID_granted" TERM
[ "$CW_EXIT" = 0 ] || cw_fail "exit status $CW_EXIT"

# 3. SIGTERM in the middle of a long run (a backlog, paced batches): the daemon stops at once,
#    the batch it committed stays done, and the run is left for the next one to carry on.
cw_sql >/dev/null <<'SQL'
SELECT cartwatch.set_setting('retention_batch_pause', '10 seconds');
SELECT cartwatch.alter_retention_policy('visits', schedule_interval => '1 second');
UPDATE cartwatch.retention_runs SET due_at = due_at - interval '1 hour'; -- due now
INSERT INTO cartwatch.visits (started_at, start_url)
SELECT now() - interval '40 days', '/backlog/' || n FROM generate_series(1, 6000) AS n;
SQL
cw_start_daemon long
cw_wait_for 30 t "SELECT EXISTS (SELECT 1 FROM cartwatch.retention_runs
                   WHERE target = 'visits' AND status = 'running' AND batches >= 1)"
cw_stop_daemon "$CW_PID_long" TERM 5 # well inside the 10-second pause before the next batch
[ "$CW_EXIT" = 0 ] || cw_fail "exit status $CW_EXIT after SIGTERM during retention"
[ "$(cw_sql -c "SELECT count(*) FROM cartwatch.visits WHERE start_url LIKE '/backlog/%'")" = 1000 ] ||
    cw_fail "the committed batch of 5000 was not kept"
[ "$(cw_sql -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cartwatchd retention'")" = 0 ] ||
    cw_fail "the retention session outlived the daemon"

# 4. Revoked: no retention, the daemon's own rights intact.
cw_sql -c "SELECT cartwatch.revoke_retention('$CW_ROLE')" >/dev/null
[ "$(cw_sql -c "SELECT has_function_privilege('$CW_ROLE', 'cartwatch.run_retention(timestamptz, integer, text, boolean)', 'EXECUTE'),
                       has_schema_privilege('$CW_ROLE', 'cartwatch', 'USAGE'),
                       has_function_privilege('$CW_ROLE', 'cartwatch.claim_reminders(text, integer, interval, timestamptz)', 'EXECUTE')")" = "f|t|t" ] ||
    cw_fail "revoke_retention did not take back exactly the retention rights"
[ "$(psql -X -q -At -d "$CW_DB" -U "$CW_ROLE" -c "SELECT cartwatch.retention_runner_status()")" = not_granted ] ||
    cw_fail "the revoked role still looks granted"
cw_log "without the grant: one clear line, nothing removed; with grant_retention: 5 visits and" \
    "2 carts removed by cartwatchd, no table rights; SIGTERM cancels a long run, committed" \
    "batches kept; revoke_retention takes it back"
