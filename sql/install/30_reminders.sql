-- section: reminder policy
--
-- What the shop decides: whether, when and to whom the first and the second reminder go. Each
-- knob is a setting, changed with cartwatch.set_setting().

INSERT INTO cartwatch.setting_definitions
       (name, type, default_value, min_value, max_value, allowed_values, description)
VALUES ('reminders_enabled', 'boolean', 'true', NULL, NULL, NULL,
        'Master switch for reminder e-mails: when off nothing is scheduled or claimed (pending reminders wait).'),
       ('first_after', 'interval', '2 hours', '1 minute', '30 days', NULL,
        'The first reminder is due this long after the cart''s last activity.'),
       ('second_enabled', 'boolean', 'true', NULL, NULL, NULL,
        'Whether a second reminder follows the first.'),
       ('second_after', 'interval', '24 hours', '1 minute', '90 days', NULL,
        'The second reminder is due this long after the cart''s last activity.'),
       ('second_min_gap', 'interval', '12 hours', '0', '30 days', NULL,
        'The second reminder goes at least this long after the first was sent, so a catch-up never sends both at once.'),
       ('max_cart_age', 'interval', '7 days', '1 hour', '365 days', NULL,
        'Carts created longer ago than this get no reminder (pending ones are cancelled as expired).'),
       ('min_cart_value', 'numeric', '0', '0', NULL, NULL,
        'Carts worth less than this (sum of unit price times quantity) get no reminder.'),
       ('audience', 'enum', 'consented', NULL, NULL, ARRAY['consented', 'registered', 'all_with_email'],
        'Who gets reminders: consented (customer''s reminder_consent, or guest_reminder_consent on a guest cart), registered customers, or everyone with an e-mail address.'),
       ('cooldown', 'interval', '7 days', '0', '365 days', NULL,
        'After a reminder sequence starts for an address, no new sequence starts for it for this long.'),
       ('max_attempts', 'integer', '8', '1', '100', NULL,
        'Send attempts per reminder before it is dead.'),
       ('retry_base_delay', 'interval', '5 minutes', '1 second', '1 day', NULL,
        'Delay before the first retry after a transient failure; it doubles with every further failure.'),
       ('retry_max_delay', 'interval', '6 hours', '1 second', '7 days', NULL,
        'Longest delay between two attempts.'),
       ('lost_lease', 'enum', 'unknown', NULL, NULL, ARRAY['unknown', 'resend'],
        'A claimed reminder whose lease ran out: unknown (never sent twice, maybe never sent) or resend (maybe sent twice).'),
       ('attribution_window', 'interval', '7 days', '1 hour', '90 days', NULL,
        'An order placed this long after a reminder was sent counts as recovered by it.');

-- section: helpers

-- Suppressions are keyed by this hash, not by the address, so that erasing a customer can drop
-- the address and keep the opt-out. A plain hash, not a keyed one: a suppression must outlive
-- a restore and a token-key rotation. Inlined like email_key (no pinned search_path).
CREATE FUNCTION cartwatch.email_hash(email text) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN pg_catalog.sha256(pg_catalog.convert_to(cartwatch.email_key(email), 'UTF8'));
COMMENT ON FUNCTION cartwatch.email_hash(text) IS
    'SHA-256 of the normalised address (email_key): the key of cartwatch.suppressions.';

CREATE FUNCTION cartwatch.retry_delay(failures integer, base interval, cap interval, seed bigint)
RETURNS interval
AS 'MODULE_PATHNAME', 'cartwatch_retry_delay'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cartwatch.retry_delay(integer, interval, interval, bigint) IS
    'Backoff (C++): base * 2^(failures-1), capped, times a jitter in [0.75, 1) derived from seed (the reminder id).';

-- Notifications carry the earliest moment the write made a reminder claimable, in UTC, so a
-- daemon can set its timer for a retry instead of polling for it.
CREATE FUNCTION cartwatch.notify_reminders(due_at timestamptz) RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT pg_catalog.pg_notify('cartwatch_reminders',
               pg_catalog.to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
     WHERE due_at IS NOT NULL;
END;
COMMENT ON FUNCTION cartwatch.notify_reminders(timestamptz) IS
    'NOTIFY cartwatch_reminders with the given due time (ISO 8601, UTC) as payload; nothing for NULL.';
REVOKE ALL ON FUNCTION cartwatch.notify_reminders(timestamptz) FROM PUBLIC;

-- section: the outbox
--
-- One row per cart and step. Life of a row:
--   pending -> claimed -> sent
--                      -> failed (retry scheduled) -> claimed ...
--                      -> dead (permanent failure, or max_attempts used up)
--                      -> unknown (lease ran out; lost_lease = unknown)
--                      -> pending (released, or lease ran out with lost_lease = resend)
--   pending/failed -> cancelled (cancel_reason says why)
-- A cart that was due but ineligible gets a row too, cancelled at once with skipped = true, so
-- "why was cart 42 not reminded?" has an answer in the table, and the scheduler does not weigh
-- the same cart again until it is touched.

CREATE TABLE cartwatch.reminders (
    reminder_id        bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    cart_id            bigint REFERENCES cartwatch.carts ON DELETE SET NULL,
    step               text NOT NULL CHECK (step IN ('first', 'second')),
    state              text NOT NULL DEFAULT 'pending'
                       CHECK (state IN ('pending', 'claimed', 'sent', 'failed', 'dead',
                                        'cancelled', 'unknown')),
    cancel_reason      text CHECK (cancel_reason IN (
                           'ordered', 'later_order', 'emptied', 'touched', 'expired',
                           'no_email', 'not_in_audience', 'suppressed', 'below_min_value',
                           'superseded', 'cooldown', 'cart_deleted', 'manual')),
    skipped            boolean NOT NULL DEFAULT false,
    customer_id        bigint REFERENCES cartwatch.customers ON DELETE SET NULL,
    email_key          text,
    email              text,
    locale             text,
    currency           text,
    activity_at        timestamptz NOT NULL,
    scheduled_at       timestamptz NOT NULL,
    due_at             timestamptz NOT NULL,
    attempt            integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    failures           integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    claimed_by         text,
    claimed_at         timestamptz,
    lease_until        timestamptz,
    sent_at            timestamptz,
    finished_at        timestamptz,
    message_id         text,
    smtp_reply         text,
    subject            text,
    template           text,
    last_error         text,
    clicked_at         timestamptz,
    recovered_order_id bigint REFERENCES cartwatch.orders ON DELETE SET NULL,
    recovered_at       timestamptz,
    recovered_value    numeric(12,2),
    CONSTRAINT reminders_cancel_state_check CHECK ((state = 'cancelled') = (cancel_reason IS NOT NULL)),
    CONSTRAINT reminders_skipped_check CHECK (NOT skipped OR state = 'cancelled'),
    CONSTRAINT reminders_lease_check CHECK (state <> 'claimed'
                                            OR (claimed_by IS NOT NULL AND lease_until IS NOT NULL)),
    CONSTRAINT reminders_sent_check CHECK ((state = 'sent') = (sent_at IS NOT NULL)),
    -- A message is finished when it is sent, never before: a window of sent_at is then a
    -- range of reminders_finished_idx from the window's start (shop_kpis reads it so).
    CONSTRAINT reminders_sent_finished_check CHECK (sent_at IS NULL OR finished_at >= sent_at),
    CONSTRAINT reminders_finished_check CHECK (
        (state IN ('sent', 'dead', 'cancelled', 'unknown')) = (finished_at IS NOT NULL))
);
COMMENT ON TABLE cartwatch.reminders IS
    'The reminder outbox: one row per cart and step (first, second) and its delivery state.';
COMMENT ON COLUMN cartwatch.reminders.state IS
    'pending, claimed (by a worker, under a lease), sent, failed (retry scheduled at due_at), dead, cancelled (see cancel_reason) or unknown (lease lost: maybe sent).';
COMMENT ON COLUMN cartwatch.reminders.skipped IS
    'The cart was due but ineligible when scheduled: no message was queued; cancel_reason says why.';
COMMENT ON COLUMN cartwatch.reminders.email_key IS
    'The normalised address the sequence belongs to (cooldown, attribution); NULL when the cart had none.';
COMMENT ON COLUMN cartwatch.reminders.email IS
    'The address the message was rendered for, set at each claim.';
COMMENT ON COLUMN cartwatch.reminders.activity_at IS
    'The cart''s last_activity_at when the row was scheduled; a later activity cancels the row as touched.';
COMMENT ON COLUMN cartwatch.reminders.due_at IS
    'When the row may be claimed: the moment it fell due, or the next retry.';
COMMENT ON COLUMN cartwatch.reminders.attempt IS 'Claims so far (a release gives one back).';
COMMENT ON COLUMN cartwatch.reminders.failures IS 'Transient failures so far.';
COMMENT ON COLUMN cartwatch.reminders.claimed_by IS 'The worker of the current or last claim.';
COMMENT ON COLUMN cartwatch.reminders.clicked_at IS 'First use of the recovery link.';
COMMENT ON COLUMN cartwatch.reminders.recovered_order_id IS
    'The order placed within attribution_window after this reminder (the last one sent before it).';

-- At most one live row per cart and step; cancelled rows are history and do not count: their
-- third column is NULL, and NULLs never collide. The same index finds every row of a cart (the
-- foreign key's ON DELETE SET NULL, the scheduler's "has this cart a row for this step"), so a
-- state change, which is never a HOT update, inserts into one index for the cart, not two.
CREATE UNIQUE INDEX reminders_cart_step_key ON cartwatch.reminders
    (cart_id, step, (CASE WHEN state <> 'cancelled' THEN true END));
-- The claim's queue: only rows a worker may take, oldest due first.
CREATE INDEX reminders_claimable_idx ON cartwatch.reminders (due_at, reminder_id)
    WHERE state IN ('pending', 'failed');
-- Queued rows whose cart was deleted (the foreign key's ON DELETE SET NULL): no claim can take
-- them, so the scheduler finds them here to cancel them. Empty but for a moment after a delete.
CREATE INDEX reminders_cartless_idx ON cartwatch.reminders (due_at)
    WHERE state IN ('pending', 'failed') AND cart_id IS NULL;
CREATE INDEX reminders_lease_idx ON cartwatch.reminders (lease_until) WHERE state = 'claimed';
CREATE INDEX reminders_email_idx ON cartwatch.reminders (email_key) WHERE email_key IS NOT NULL;
CREATE INDEX reminders_customer_idx ON cartwatch.reminders (customer_id)
    WHERE customer_id IS NOT NULL;
-- Finished rows by age: metrics, the second-reminder scan and retention read this.
CREATE INDEX reminders_finished_idx ON cartwatch.reminders (finished_at)
    WHERE finished_at IS NOT NULL;
CREATE INDEX reminders_recovered_idx ON cartwatch.reminders (recovered_order_id)
    WHERE recovered_order_id IS NOT NULL;

SELECT pg_catalog.pg_extension_config_dump('cartwatch.reminders', '');
SELECT pg_catalog.pg_extension_config_dump('cartwatch.reminders_reminder_id_seq', '');

-- section: eligibility
--
-- One definition of "may this cart be reminded now", used when a reminder is scheduled, when
-- pending ones are re-checked, and once more inside the claim, right before the send.

CREATE FUNCTION cartwatch.cart_reminder_facts(cart_ids bigint[], as_of timestamptz)
RETURNS TABLE (cart_id bigint, customer_id bigint, email text, email_key text, locale text,
               currency text, display_name text, first_name text, title text,
               created_at timestamptz, last_activity_at timestamptz, value numeric,
               veto text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    audience text := cartwatch.setting('audience');
    min_value numeric := cartwatch.setting('min_cart_value')::numeric;
    oldest timestamptz := as_of - cartwatch.setting('max_cart_age')::interval;
BEGIN
    -- CASE stops at the first veto, so the costlier look-ups (orders, suppressions, other
    -- carts) run only for carts that passed the cheap ones.
    RETURN QUERY
    SELECT c.cart_id, c.customer_id, who.email, who.email_key,
           coalesce(c.locale, cu.locale, 'en'), c.currency::text,
           CASE WHEN cu.registered_at IS NOT NULL
                THEN cartwatch.display_name(cu.first_name, cu.last_name) END,
           CASE WHEN cu.registered_at IS NOT NULL THEN nullif(btrim(cu.first_name), '') END,
           CASE WHEN cu.registered_at IS NOT NULL THEN nullif(btrim(cu.title), '') END,
           c.created_at, c.last_activity_at, lines.value,
           CASE
           WHEN c.order_id IS NOT NULL THEN 'ordered'
           WHEN c.item_quantity <= 0 THEN 'emptied'
           WHEN c.created_at < oldest THEN 'expired'
           WHEN who.email_key IS NULL OR who.email_key = '' THEN 'no_email'
           WHEN EXISTS (SELECT 1 FROM cartwatch.orders AS o
                         WHERE o.customer_id = c.customer_id
                           AND o.placed_at >= c.last_activity_at)
             OR EXISTS (SELECT 1 FROM cartwatch.orders AS o
                         WHERE cartwatch.email_key(o.email) = who.email_key
                           AND o.placed_at >= c.last_activity_at) THEN 'later_order'
           WHEN NOT CASE audience
                    WHEN 'consented' THEN
                        CASE WHEN c.customer_id IS NULL THEN c.guest_reminder_consent
                             ELSE cu.reminder_consent AND cu.enabled END
                    WHEN 'registered' THEN cu.registered_at IS NOT NULL AND cu.enabled
                    ELSE coalesce(cu.enabled, true) END THEN 'not_in_audience'
           WHEN EXISTS (SELECT 1 FROM cartwatch.suppressions AS s
                         WHERE s.email_hash = cartwatch.email_hash(who.email_key)) THEN 'suppressed'
           WHEN lines.value < min_value THEN 'below_min_value'
           -- the newest open cart of an address is the one worth a reminder
           WHEN EXISTS (SELECT 1 FROM cartwatch.carts AS n
                         WHERE n.customer_id = c.customer_id
                           AND n.order_id IS NULL AND n.item_quantity > 0
                           AND (n.last_activity_at, n.cart_id) > (c.last_activity_at, c.cart_id))
             OR EXISTS (SELECT 1 FROM cartwatch.carts AS n
                         WHERE cartwatch.email_key(n.guest_email) = who.email_key
                           AND n.order_id IS NULL AND n.item_quantity > 0
                           AND (n.last_activity_at, n.cart_id) > (c.last_activity_at, c.cart_id))
             -- other customer rows with this address (a guest account beside a registered
             -- one): nested, so the plan starts from the address, never from all open carts
             OR EXISTS (SELECT 1 FROM cartwatch.customers AS m
                         WHERE cartwatch.email_key(m.email) = who.email_key
                           AND m.customer_id IS DISTINCT FROM c.customer_id
                           AND EXISTS (SELECT 1 FROM cartwatch.carts AS n
                                        WHERE n.customer_id = m.customer_id
                                          AND n.order_id IS NULL AND n.item_quantity > 0
                                          AND (n.last_activity_at, n.cart_id)
                                              > (c.last_activity_at, c.cart_id)))
           THEN 'superseded'
           END
      FROM unnest(cart_ids) AS wanted(id)
      JOIN cartwatch.carts AS c ON c.cart_id = wanted.id
      LEFT JOIN cartwatch.customers AS cu ON cu.customer_id = c.customer_id
     CROSS JOIN LATERAL (SELECT coalesce(cu.email, c.guest_email)::text AS email,
                                cartwatch.email_key(coalesce(cu.email, c.guest_email)) AS email_key) AS who
     CROSS JOIN LATERAL (SELECT coalesce(sum(i.unit_price * i.quantity), 0) AS value
                           FROM cartwatch.cart_items AS i WHERE i.cart_id = c.cart_id) AS lines;
END
$$;
COMMENT ON FUNCTION cartwatch.cart_reminder_facts(bigint[], timestamptz) IS
    'Per cart: address, language, names, value, and the first reason (veto) it may not be reminded at as_of, or NULL.';
REVOKE ALL ON FUNCTION cartwatch.cart_reminder_facts(bigint[], timestamptz) FROM PUBLIC;

-- A live reminder's verdict: its cart's veto (cart_reminder_facts), plus what only a reminder
-- knows: its cart was deleted, or touched after the reminder was scheduled (activity_at). An
-- order or an emptied cart outranks a touch. Inlined into reminder_verdicts and the claim,
-- which joins the facts itself (hence no pinned search_path: it runs no SQL of its own).
CREATE FUNCTION cartwatch.reminder_cancel_reason(cart_found boolean, cart_veto text,
                                                 cart_activity_at timestamptz,
                                                 activity_at timestamptz)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN NOT cart_found THEN 'cart_deleted'
            WHEN cart_veto IN ('ordered', 'emptied') THEN cart_veto
            WHEN cart_activity_at > activity_at THEN 'touched'
            ELSE cart_veto END;
COMMENT ON FUNCTION cartwatch.reminder_cancel_reason(boolean, text, timestamptz, timestamptz) IS
    'Why a live reminder must be cancelled (NULL: it may go): cart_deleted, its cart''s veto, or touched when the cart''s activity is later than the reminder''s activity_at.';

CREATE FUNCTION cartwatch.reminder_verdicts(reminder_ids bigint[], as_of timestamptz)
RETURNS TABLE (reminder_id bigint, cancel_reason text, email text, email_key text, locale text,
               currency text, display_name text, first_name text, title text,
               customer_id bigint, last_activity_at timestamptz)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- The reminders are read once: a second "= ANY (reminder_ids)" scan for the carts' ids
    -- descended the primary key once more per reminder, and the claim calls this for every
    -- row it sends.
    RETURN QUERY
    WITH r AS MATERIALIZED (
        SELECT r.reminder_id, r.cart_id, r.activity_at FROM cartwatch.reminders AS r
         WHERE r.reminder_id = ANY (reminder_ids)
    )
    SELECT r.reminder_id,
           cartwatch.reminder_cancel_reason(f.cart_id IS NOT NULL, f.veto, f.last_activity_at,
                                            r.activity_at),
           f.email, f.email_key, f.locale, f.currency, f.display_name, f.first_name, f.title,
           f.customer_id, f.last_activity_at
      FROM r
      LEFT JOIN cartwatch.cart_reminder_facts(
                    ARRAY(SELECT r.cart_id FROM r WHERE r.cart_id IS NOT NULL), as_of) AS f
        ON f.cart_id = r.cart_id;
END
$$;
COMMENT ON FUNCTION cartwatch.reminder_verdicts(bigint[], timestamptz) IS
    'Per reminder: why it must be cancelled at as_of (NULL: it may go), with the facts to render it.';
REVOKE ALL ON FUNCTION cartwatch.reminder_verdicts(bigint[], timestamptz) FROM PUBLIC;

-- section: leases

-- A claim whose lease ran out is resolved by the lost_lease policy. Called by the scheduler
-- and at the start of every claim, so no separate sweeper has to run.
CREATE FUNCTION cartwatch.expire_leases(as_of timestamptz) RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    resend boolean;
    max_attempts integer;
    expired integer;
    next_due timestamptz;
BEGIN
    -- Every claim calls this, and a lease almost never runs out: one probe of
    -- reminders_lease_idx, and nothing else, when none has.
    IF NOT EXISTS (SELECT FROM cartwatch.reminders AS r
                    WHERE r.state = 'claimed' AND r.lease_until < as_of) THEN
        RETURN 0;
    END IF;
    resend := cartwatch.setting('lost_lease') = 'resend';
    max_attempts := cartwatch.setting('max_attempts')::integer;
    WITH lost AS (
        SELECT r.reminder_id FROM cartwatch.reminders AS r
         WHERE r.state = 'claimed' AND r.lease_until < as_of
         FOR UPDATE SKIP LOCKED
    ), resolved AS (
        UPDATE cartwatch.reminders AS r
           SET state = CASE WHEN NOT resend THEN 'unknown'
                            WHEN r.attempt >= max_attempts THEN 'dead'
                            ELSE 'pending' END,
               finished_at = CASE WHEN resend AND r.attempt < max_attempts THEN NULL ELSE as_of END,
               due_at = CASE WHEN resend THEN as_of ELSE r.due_at END,
               last_error = format('lease of %s expired at %s', r.claimed_by, r.lease_until),
               lease_until = NULL
          FROM lost
         WHERE r.reminder_id = lost.reminder_id
        RETURNING r.state, r.due_at
    )
    SELECT count(*), min(resolved.due_at) FILTER (WHERE resolved.state = 'pending')
      INTO expired, next_due
      FROM resolved;
    PERFORM cartwatch.notify_reminders(next_due);
    RETURN expired;
END
$$;
COMMENT ON FUNCTION cartwatch.expire_leases(timestamptz) IS
    'Resolves claims whose lease ran out before as_of per lost_lease (unknown, or back to pending); returns how many.';
REVOKE ALL ON FUNCTION cartwatch.expire_leases(timestamptz) FROM PUBLIC;

-- section: scheduling

CREATE FUNCTION cartwatch.schedule_reminders(as_of timestamptz DEFAULT now(),
                                             recheck_due boolean DEFAULT true) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    first_after interval := cartwatch.setting('first_after')::interval;
    second_after interval := cartwatch.setting('second_after')::interval;
    second_gap interval := cartwatch.setting('second_min_gap')::interval;
    max_age interval := cartwatch.setting('max_cart_age')::interval;
    cooldown interval := cartwatch.setting('cooldown')::interval;
    live_ids bigint[];
    due_carts bigint[];
    scheduled integer := 0;
    added integer;
BEGIN
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'as_of must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass a timestamp such as now().';
    END IF;
    IF recheck_due IS NULL THEN
        RAISE EXCEPTION 'recheck_due must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- One scheduler at a time: two daemons calling at once must not both start a sequence for
    -- the same address. The second waits for the first, then finds nothing left to do.
    PERFORM pg_advisory_xact_lock(pg_catalog.hashtext('cartwatch.schedule_reminders'));
    PERFORM cartwatch.expire_leases(as_of);
    IF NOT cartwatch.setting('reminders_enabled')::boolean THEN
        RETURN 0;
    END IF;

    -- 1. Re-check what waits in the queue: cancel what became moot (ordered, emptied, touched,
    --    superseded, ...). Rows a worker is claiming right now are skipped, not waited for.
    --    A worker that claims right after scheduling passes recheck_due => false: the claim
    --    re-checks every row it takes anyway, and re-checking a backlog of due rows on every
    --    poll as well would cost the database more than the sends (30 us a row, every second).
    SELECT array_agg(r.reminder_id) INTO live_ids
      FROM (SELECT r.reminder_id FROM cartwatch.reminders AS r
             WHERE r.state IN ('pending', 'failed') AND (recheck_due OR r.due_at > as_of)
             FOR UPDATE SKIP LOCKED) AS r;
    --    Due rows whose cart was deleted are the exception: the claim never takes them (it
    --    locks each row's cart), so they are re-checked here whatever recheck_due says, or they
    --    would wait for ever. reminders_cartless_idx holds only those rows: normally none.
    IF NOT recheck_due THEN
        SELECT live_ids || array_agg(r.reminder_id) INTO live_ids
          FROM (SELECT r.reminder_id FROM cartwatch.reminders AS r
                 WHERE r.state IN ('pending', 'failed') AND r.cart_id IS NULL
                   AND r.due_at <= as_of
                 FOR UPDATE SKIP LOCKED) AS r;
    END IF;
    UPDATE cartwatch.reminders AS r
       SET state = 'cancelled', cancel_reason = v.cancel_reason, finished_at = as_of
      FROM cartwatch.reminder_verdicts(live_ids, as_of) AS v
     WHERE r.reminder_id = v.reminder_id AND v.cancel_reason IS NOT NULL;

    -- 2. First reminders: open carts idle for first_after, within max_cart_age, with no row for
    --    this step yet (or only cancelled ones from before the cart's last activity). Written
    --    as carts_open_activity_idx is built (its key and predicate), so the range is an index
    --    range: the cost follows the open carts of the last max_cart_age, not the whole table.
    SELECT array_agg(c.cart_id) INTO due_carts
      FROM cartwatch.carts AS c
     WHERE cartwatch.open_cart_activity(c.order_id, c.item_quantity, c.last_activity_at)
               BETWEEN as_of - max_age AND as_of - first_after
       AND c.order_id IS NULL AND c.item_quantity > 0
       AND c.created_at >= as_of - max_age
       AND NOT EXISTS (SELECT 1 FROM cartwatch.reminders AS r
                        WHERE r.cart_id = c.cart_id AND r.step = 'first'
                          AND (r.state <> 'cancelled' OR r.activity_at >= c.last_activity_at));
    WITH queued AS (
    INSERT INTO cartwatch.reminders AS r
           (cart_id, step, state, cancel_reason, skipped, customer_id, email_key, currency,
            activity_at, scheduled_at, due_at, finished_at)
    SELECT f.cart_id, 'first',
           CASE WHEN v.reason IS NULL THEN 'pending' ELSE 'cancelled' END,
           v.reason, v.reason IS NOT NULL, f.customer_id, nullif(f.email_key, ''), f.currency,
           f.last_activity_at, as_of, f.last_activity_at + first_after,
           CASE WHEN v.reason IS NOT NULL THEN as_of END
      FROM cartwatch.cart_reminder_facts(due_carts, as_of) AS f
     CROSS JOIN LATERAL (
           SELECT coalesce(f.veto, CASE WHEN EXISTS (
                      -- one sequence per address: another cart's sequence is waiting, or
                      -- started within the cooldown
                      SELECT 1 FROM cartwatch.reminders AS o
                       WHERE o.email_key = f.email_key AND o.step = 'first'
                         AND o.cart_id IS DISTINCT FROM f.cart_id
                         AND (o.state IN ('pending', 'claimed', 'failed')
                              OR (o.state IN ('sent', 'unknown')
                                  AND coalesce(o.sent_at, o.claimed_at) > as_of - cooldown)))
                  THEN 'cooldown' END) AS reason) AS v
    ON CONFLICT (cart_id, step, (CASE WHEN state <> 'cancelled' THEN true END)) DO NOTHING
    RETURNING r.state)
    -- skipped rows are inserted too; the caller wants to know what was queued
    SELECT count(*) FILTER (WHERE queued.state = 'pending') INTO added FROM queued;
    scheduled := scheduled + added;

    -- 3. Second reminders: the first went out (or maybe did: unknown) at least second_min_gap
    --    ago, and the cart has been idle for second_after.
    IF cartwatch.setting('second_enabled')::boolean THEN
        SELECT array_agg(c.cart_id) INTO due_carts
          FROM cartwatch.reminders AS f
          JOIN cartwatch.carts AS c ON c.cart_id = f.cart_id
         WHERE f.finished_at >= as_of - max_age AND f.finished_at <= as_of
           AND f.step = 'first' AND f.state IN ('sent', 'unknown')
           AND coalesce(f.sent_at, f.claimed_at) <= as_of - second_gap
           AND c.order_id IS NULL AND c.item_quantity > 0
           AND c.last_activity_at <= as_of - second_after
           AND NOT EXISTS (SELECT 1 FROM cartwatch.reminders AS r
                            WHERE r.cart_id = c.cart_id AND r.step = 'second'
                              AND (r.state <> 'cancelled' OR r.activity_at >= c.last_activity_at));
        WITH queued AS (
        INSERT INTO cartwatch.reminders AS r
               (cart_id, step, state, cancel_reason, skipped, customer_id, email_key, currency,
                activity_at, scheduled_at, due_at, finished_at)
        SELECT f.cart_id, 'second',
               CASE WHEN f.veto IS NULL THEN 'pending' ELSE 'cancelled' END,
               f.veto, f.veto IS NOT NULL, f.customer_id, nullif(f.email_key, ''), f.currency,
               f.last_activity_at, as_of,
               greatest(f.last_activity_at + second_after,
                        coalesce(first.sent_at, first.claimed_at) + second_gap),
               CASE WHEN f.veto IS NOT NULL THEN as_of END
          FROM cartwatch.cart_reminder_facts(due_carts, as_of) AS f
          JOIN cartwatch.reminders AS first
            ON first.cart_id = f.cart_id AND first.step = 'first' AND first.state <> 'cancelled'
        ON CONFLICT (cart_id, step, (CASE WHEN state <> 'cancelled' THEN true END)) DO NOTHING
        RETURNING r.state)
        SELECT count(*) FILTER (WHERE queued.state = 'pending') INTO added FROM queued;
        scheduled := scheduled + added;
    END IF;

    IF scheduled > 0 THEN
        PERFORM cartwatch.notify_reminders(as_of);
    END IF;
    RETURN scheduled;
END
$$;
COMMENT ON FUNCTION cartwatch.schedule_reminders(timestamptz, boolean) IS
    'Queues the first and second reminders due at as_of, idempotently, and cancels queued ones whose cart was ordered, emptied or touched; returns how many were queued. Notifies cartwatch_reminders when it queued any. recheck_due => false leaves the queued rows already due at as_of to the final re-check of the claim that follows (a worker scheduling right before it claims), except those whose cart was deleted, which no claim takes: they are cancelled (cart_deleted) either way.';
REVOKE ALL ON FUNCTION cartwatch.schedule_reminders(timestamptz, boolean) FROM PUBLIC;

-- section: claiming and reporting back

-- A cart's lines as the jsonb array cart_contents returns, in the aggregate's input order: the
-- value jsonb_agg(jsonb_build_object('product_id', ..., 'name', ..., 'quantity', ...,
-- 'unit_price', ..., 'line_total', ..., 'variant', ...)) makes, without its type look-ups and
-- numbers printed and parsed again for every value (C++, extension/cart_lines.cpp): a claim
-- builds it for every row it returns. No pinned search_path: the support functions run no SQL,
-- and run once a line.
CREATE FUNCTION cartwatch.cart_lines_transfn(state internal, product_id bigint, name text,
                                             quantity integer, unit_price numeric,
                                             line_total numeric, variant text)
RETURNS internal
AS 'MODULE_PATHNAME', 'cartwatch_cart_lines_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION cartwatch.cart_lines_transfn(internal, bigint, text, integer, numeric, numeric, text) IS
    'Transition function of cartwatch.cart_lines (C++): appends one line object to the array.';
REVOKE ALL ON FUNCTION cartwatch.cart_lines_transfn(internal, bigint, text, integer, numeric, numeric, text) FROM PUBLIC;

CREATE FUNCTION cartwatch.cart_lines_finalfn(state internal) RETURNS jsonb
AS 'MODULE_PATHNAME', 'cartwatch_cart_lines_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION cartwatch.cart_lines_finalfn(internal) IS
    'Final function of cartwatch.cart_lines (C++): closes the array and returns it as jsonb.';
REVOKE ALL ON FUNCTION cartwatch.cart_lines_finalfn(internal) FROM PUBLIC;

-- READ_WRITE: the final function closes the array in the state, so it may run once per group.
CREATE AGGREGATE cartwatch.cart_lines(product_id bigint, name text, quantity integer,
                                      unit_price numeric, line_total numeric, variant text) (
    SFUNC = cartwatch.cart_lines_transfn,
    STYPE = internal,
    FINALFUNC = cartwatch.cart_lines_finalfn,
    FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE cartwatch.cart_lines(bigint, text, integer, numeric, numeric, text) IS
    'A cart''s lines as a jsonb array of {product_id, name, quantity, unit_price, line_total, variant} in input order (the same value as jsonb_agg of jsonb_build_object); NULL for no lines.';
REVOKE ALL ON FUNCTION cartwatch.cart_lines(bigint, text, integer, numeric, numeric, text) FROM PUBLIC;

-- Many carts in one query: a claim renders a whole batch, and a function call per cart (an
-- executor started and stopped for each) would cost more than its two or three lines.
-- PL/pgSQL for its plan cache: a SQL function with a pinned search_path is never inlined, and
-- would plan this query again at every claim.
CREATE FUNCTION cartwatch.cart_contents(cart_ids bigint[])
RETURNS TABLE (cart_id bigint, items jsonb, total numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
    SELECT wanted.id, coalesce(lines.items, '[]'::jsonb), coalesce(lines.total, 0)
      FROM (SELECT DISTINCT id FROM unnest(cart_ids) AS id) AS wanted
      LEFT JOIN (SELECT i.cart_id,
                        cartwatch.cart_lines(i.product_id, coalesce(i.product_name, p.name),
                                             i.quantity, i.unit_price, i.unit_price * i.quantity,
                                             nullif(i.variant, '')
                                             ORDER BY i.added_at, i.product_id, i.variant) AS items,
                        sum(i.unit_price * i.quantity) AS total
                   FROM cartwatch.cart_items AS i
                   LEFT JOIN cartwatch.products AS p ON p.product_id = i.product_id
                  WHERE i.cart_id = ANY (cart_ids)
                  GROUP BY i.cart_id) AS lines ON lines.cart_id = wanted.id;
END
$$;
COMMENT ON FUNCTION cartwatch.cart_contents(bigint[]) IS
    'cart_content for many carts: one row per distinct cart id (an empty cart, or an unknown id, has no lines and total 0).';
REVOKE ALL ON FUNCTION cartwatch.cart_contents(bigint[]) FROM PUBLIC;

CREATE FUNCTION cartwatch.cart_content(cart_id bigint)
RETURNS TABLE (items jsonb, total numeric)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.items, c.total FROM cartwatch.cart_contents(ARRAY[cart_content.cart_id]) AS c
$$;
COMMENT ON FUNCTION cartwatch.cart_content(bigint) IS
    'A cart''s lines as a JSON array of {product_id, name, quantity, unit_price, line_total, variant}, and its total.';
REVOKE ALL ON FUNCTION cartwatch.cart_content(bigint) FROM PUBLIC;

CREATE FUNCTION cartwatch.claim_reminders(worker text, max_count integer DEFAULT 100,
                                          lease interval DEFAULT '5 minutes',
                                          as_of timestamptz DEFAULT now())
RETURNS TABLE (reminder_id bigint, step text, attempt integer, cart_id bigint, email text,
               display_name text, locale text, currency text, items jsonb, total numeric,
               recovery_token text, unsubscribe_token text, message_key text,
               customer_id bigint, first_name text, title text, due_at timestamptz)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- The queries inside take the same plan for any batch (index scans from the picked ids), but
-- left to itself the plan cache judged the picking query by its LIMIT and planned it afresh at
-- every claim; a generic plan is planned once per connection.
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    signing_key bytea;
    remaining integer := max_count;
    picked bigint[];
    picked_carts bigint[];
    picked_activity timestamptz[];
    picked_rows tid[];
    returned integer;
BEGIN
    IF worker IS NULL OR btrim(worker) = '' OR length(worker) > 200 THEN
        RAISE EXCEPTION 'worker must be a name of 1 to 200 characters'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use a name that tells the worker apart, such as host name and process id.';
    END IF;
    IF max_count IS NULL OR max_count < 1 OR max_count > 10000 THEN
        RAISE EXCEPTION 'max_count must be between 1 and 10000, not %', coalesce(max_count::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF lease IS NULL OR lease <= interval '0' OR lease > interval '1 day' THEN
        RAISE EXCEPTION 'lease must be longer than 0 and at most 1 day, not %', coalesce(lease::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A lease must outlast the longest send; minutes are typical.';
    END IF;
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'as_of must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass a timestamp such as now().';
    END IF;
    PERFORM cartwatch.expire_leases(as_of);
    IF NOT cartwatch.setting('reminders_enabled')::boolean THEN
        RETURN;
    END IF;
    signing_key := cartwatch.signing_key();

    -- Rows that fail the final check are cancelled, not returned; take more until max_count
    -- rows were returned or the due queue is exhausted. Each round cancels or claims every row
    -- it picked, so the loop ends.
    LOOP
        -- SKIP LOCKED twice: a row another worker is claiming is not waited for, and neither is
        -- a cart some checkout is updating right now (its reminder waits for the next claim,
        -- which will see the order). Holding FOR SHARE on the carts until commit means an order
        -- linking one of them waits for this claim: it can never commit between the check
        -- below and the claim's commit. What the verdicts need of the reminders is read here,
        -- with each row's address (ctid): locked until commit, no row can move or change.
        SELECT array_agg(p.reminder_id), array_agg(p.cart_id), array_agg(p.activity_at),
               array_agg(p.ctid)
          INTO picked, picked_carts, picked_activity, picked_rows
          FROM (SELECT r.reminder_id, r.cart_id, r.activity_at, r.ctid
                  FROM cartwatch.reminders AS r
                  JOIN cartwatch.carts AS c ON c.cart_id = r.cart_id
                 WHERE r.state IN ('pending', 'failed') AND r.due_at <= as_of
                 ORDER BY r.due_at, r.reminder_id
                 LIMIT remaining
                   FOR UPDATE OF r SKIP LOCKED
                   FOR SHARE OF c SKIP LOCKED) AS p;
        EXIT WHEN picked IS NULL;

        -- A new statement, so a new snapshot: it sees every order committed before the carts
        -- were locked. The verdicts are reminder_verdicts' (the same cart_reminder_facts, the
        -- same reminder_cancel_reason), joined here from the picked rows: through
        -- reminder_verdicts they were read from the outbox again, and its result materialised
        -- once more. The UPDATEs find each row by its ctid, and the reminder_id repeats the
        -- pick's identity. "r.ctid = ANY (picked_rows)" repeats the join for the planner, which
        -- cannot see how few rows the verdicts are: without it an UPDATE joining them is
        -- planned as a hash of every reminder in the table, a claim that grows with history.
        RETURN QUERY
        WITH verdict AS MATERIALIZED (
            SELECT p.reminder_id, p.row_id,
                   cartwatch.reminder_cancel_reason(f.cart_id IS NOT NULL, f.veto,
                                                    f.last_activity_at, p.activity_at)
                       AS cancel_reason,
                   f.email, f.locale, f.currency, f.display_name, f.first_name, f.title,
                   f.customer_id
              FROM unnest(picked, picked_carts, picked_activity, picked_rows)
                       AS p(reminder_id, cart_id, activity_at, row_id)
              LEFT JOIN cartwatch.cart_reminder_facts(picked_carts, as_of) AS f
                ON f.cart_id = p.cart_id
        ), cancelled AS (
            UPDATE cartwatch.reminders AS r
               SET state = 'cancelled', cancel_reason = v.cancel_reason, finished_at = as_of
              FROM verdict AS v
             WHERE r.ctid = v.row_id AND r.reminder_id = v.reminder_id
               AND v.cancel_reason IS NOT NULL AND r.ctid = ANY (picked_rows)
        ), claimed AS (
            UPDATE cartwatch.reminders AS r
               SET state = 'claimed', attempt = r.attempt + 1, claimed_by = worker,
                   claimed_at = as_of, lease_until = as_of + lease, email = v.email,
                   locale = v.locale
              FROM verdict AS v
             WHERE r.ctid = v.row_id AND r.reminder_id = v.reminder_id
               AND v.cancel_reason IS NULL AND r.ctid = ANY (picked_rows)
            RETURNING r.reminder_id, r.step, r.attempt, r.cart_id, r.due_at, r.scheduled_at,
                      v.email, v.display_name, v.locale, v.currency, v.customer_id,
                      v.first_name, v.title
        )
        SELECT cl.reminder_id, cl.step, cl.attempt, cl.cart_id, cl.email, cl.display_name,
               cl.locale, cl.currency, content.items, content.total,
               cartwatch.token_sign(signing_key, 'recovery', cl.reminder_id),
               cartwatch.token_sign(signing_key, 'unsubscribe', cl.reminder_id),
               format('%s.%s', cl.reminder_id, extract(epoch FROM cl.scheduled_at)::bigint),
               cl.customer_id, cl.first_name, cl.title, cl.due_at
          FROM claimed AS cl
          JOIN cartwatch.cart_contents(ARRAY(SELECT c.cart_id FROM claimed AS c)) AS content
            ON content.cart_id = cl.cart_id
         ORDER BY cl.due_at, cl.reminder_id;
        GET DIAGNOSTICS returned = ROW_COUNT;
        remaining := remaining - returned;
        EXIT WHEN remaining <= 0 OR cardinality(picked) < remaining + returned;
    END LOOP;
END
$$;
COMMENT ON FUNCTION cartwatch.claim_reminders(text, integer, interval, timestamptz) IS
$$Claims up to max_count due reminders for worker under a lease, oldest due first (FOR UPDATE SKIP LOCKED: two workers never get the same row). Right before claiming it re-checks each one (no order for the cart nor a later one by the customer or address, not emptied or touched, address not suppressed, audience, newest cart of the address) and cancels, never returns, a row that fails. Returns what a message needs: step, attempt, address, display_name (NULL for guests), locale (cart's, else customer's, else en), currency, items (JSON array of product_id, name, quantity, unit_price, line_total, variant), total, signed recovery and unsubscribe tokens, message_key (stable across attempts: use it in the Message-ID so a resend can be recognised), customer_id, first_name and title (NULL for guests), due_at. Call it in a transaction of its own: the carts of the returned rows stay share-locked until it commits.$$;
REVOKE ALL ON FUNCTION cartwatch.claim_reminders(text, integer, interval, timestamptz) FROM PUBLIC;

-- The row a worker reports on, locked, after checking that this worker holds a live lease on
-- it. Anything else is an error, so a report from the wrong worker changes nothing.
CREATE FUNCTION cartwatch.leased_reminder(reminder_id bigint, worker text, as_of timestamptz)
RETURNS cartwatch.reminders
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    row cartwatch.reminders;
BEGIN
    IF reminder_id IS NULL OR worker IS NULL OR as_of IS NULL THEN
        RAISE EXCEPTION '% must not be NULL',
                        CASE WHEN reminder_id IS NULL THEN 'reminder_id'
                             WHEN worker IS NULL THEN 'worker' ELSE 'as_of' END
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO row FROM cartwatch.reminders AS r
     WHERE r.reminder_id = leased_reminder.reminder_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'reminder % does not exist', reminder_id USING ERRCODE = 'no_data_found';
    END IF;
    IF row.state <> 'claimed' THEN
        RAISE EXCEPTION 'reminder % is not claimed', reminder_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Its state is %s%s.', row.state,
                                  CASE WHEN row.cancel_reason IS NOT NULL
                                       THEN ' (' || row.cancel_reason || ')' ELSE '' END);
    END IF;
    IF row.claimed_by <> worker THEN
        RAISE EXCEPTION 'reminder % is claimed by another worker', reminder_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Worker "%s" holds its lease, not "%s".', row.claimed_by, worker);
    END IF;
    IF row.lease_until < as_of THEN
        RAISE EXCEPTION 'lease on reminder % expired', reminder_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('The lease of "%s" ran out at %s; the lost_lease setting decides the outcome.',
                                  worker, row.lease_until),
                  HINT = 'Claim with a lease longer than a send can take.';
    END IF;
    RETURN row;
END
$$;
COMMENT ON FUNCTION cartwatch.leased_reminder(bigint, text, timestamptz) IS
    'Locks and returns a reminder if worker holds a live lease on it at as_of; an error otherwise.';
REVOKE ALL ON FUNCTION cartwatch.leased_reminder(bigint, text, timestamptz) FROM PUBLIC;

CREATE FUNCTION cartwatch.complete_reminder(reminder_id bigint, worker text, message_id text,
                                            smtp_reply text, subject text, template text,
                                            as_of timestamptz DEFAULT now())
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM cartwatch.leased_reminder(reminder_id, worker, as_of);
    UPDATE cartwatch.reminders AS r
       SET state = 'sent', sent_at = as_of, finished_at = as_of, lease_until = NULL,
           message_id = complete_reminder.message_id, smtp_reply = complete_reminder.smtp_reply,
           subject = complete_reminder.subject, template = complete_reminder.template
     WHERE r.reminder_id = complete_reminder.reminder_id;
END
$$;
COMMENT ON FUNCTION cartwatch.complete_reminder(bigint, text, text, text, text, text, timestamptz) IS
    'Records that worker sent the reminder it holds a lease on (Message-ID, SMTP reply, subject, template). Any other worker, state or an expired lease is an error that changes nothing.';
REVOKE ALL ON FUNCTION cartwatch.complete_reminder(bigint, text, text, text, text, text, timestamptz) FROM PUBLIC;

-- Many sends in one statement: at hundreds of messages a second, a statement (and a plan, and
-- the outbox's triggers and check constraints) per outcome is what the database spends its time
-- on. The checks are leased_reminder's, row by row; a row that fails them is not an error but a
-- refusal, returned, so that one lease lost during a stall does not hold back the others.
CREATE FUNCTION cartwatch.complete_reminders(worker text, reminder_ids bigint[],
                                             message_ids text[], smtp_replies text[],
                                             subjects text[], templates text[],
                                             as_of timestamptz DEFAULT now())
RETURNS TABLE (reminder_id bigint, refusal text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    wanted integer := cardinality(reminder_ids);
BEGIN
    IF worker IS NULL OR reminder_ids IS NULL OR message_ids IS NULL OR smtp_replies IS NULL
       OR subjects IS NULL OR templates IS NULL OR as_of IS NULL THEN
        RAISE EXCEPTION '% must not be NULL',
                        CASE WHEN worker IS NULL THEN 'worker'
                             WHEN reminder_ids IS NULL THEN 'reminder_ids'
                             WHEN message_ids IS NULL THEN 'message_ids'
                             WHEN smtp_replies IS NULL THEN 'smtp_replies'
                             WHEN subjects IS NULL THEN 'subjects'
                             WHEN templates IS NULL THEN 'templates' ELSE 'as_of' END
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- unnest() would quietly flatten an array of arrays, and array_position() below refuses one
    -- with a message that names no argument.
    IF greatest(array_ndims(reminder_ids), array_ndims(message_ids), array_ndims(smtp_replies),
                array_ndims(subjects), array_ndims(templates)) > 1 THEN
        RAISE EXCEPTION '% must be a one-dimensional array',
                        CASE WHEN array_ndims(reminder_ids) > 1 THEN 'reminder_ids'
                             WHEN array_ndims(message_ids) > 1 THEN 'message_ids'
                             WHEN array_ndims(smtp_replies) > 1 THEN 'smtp_replies'
                             WHEN array_ndims(subjects) > 1 THEN 'subjects' ELSE 'templates' END
            USING ERRCODE = 'array_subscript_error',
                  HINT = 'Pass one element per reminder, as in ARRAY[1, 2], not ARRAY[[1, 2]].';
    END IF;
    IF cardinality(message_ids) <> wanted OR cardinality(smtp_replies) <> wanted
       OR cardinality(subjects) <> wanted OR cardinality(templates) <> wanted THEN
        RAISE EXCEPTION 'the arrays must have one element per reminder'
            USING ERRCODE = 'array_subscript_error',
                  DETAIL = format('reminder_ids has %s, message_ids %s, smtp_replies %s, subjects %s, templates %s.',
                                  wanted, cardinality(message_ids), cardinality(smtp_replies),
                                  cardinality(subjects), cardinality(templates));
    END IF;
    IF array_position(reminder_ids, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'reminder_ids must not contain NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF (SELECT count(DISTINCT id) FROM unnest(reminder_ids) AS id) <> wanted THEN
        RAISE EXCEPTION 'reminder_ids must not name a reminder twice'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Each send has one outcome; report it once.';
    END IF;

    -- Lock first, in id order (two batches never wait on each other crosswise); the statement
    -- below then starts with a new snapshot and sees the locked rows as they are.
    PERFORM FROM cartwatch.reminders AS r
      WHERE r.reminder_id = ANY (reminder_ids)
      ORDER BY r.reminder_id
        FOR UPDATE;

    RETURN QUERY
    WITH report AS (
        SELECT u.reminder_id, u.message_id, u.smtp_reply, u.subject, u.template,
               -- leased_reminder's checks, in its order
               CASE WHEN r.reminder_id IS NULL
                    THEN format('reminder %s does not exist', u.reminder_id)
                    WHEN r.state <> 'claimed'
                    THEN format('reminder %s is not claimed: its state is %s%s', u.reminder_id,
                                r.state, CASE WHEN r.cancel_reason IS NOT NULL
                                              THEN ' (' || r.cancel_reason || ')' ELSE '' END)
                    WHEN r.claimed_by <> worker
                    THEN format('reminder %s is claimed by another worker: "%s" holds its lease',
                                u.reminder_id, r.claimed_by)
                    WHEN r.lease_until < as_of
                    THEN format('lease on reminder %s expired at %s', u.reminder_id, r.lease_until)
               END AS refusal
          FROM unnest(reminder_ids, message_ids, smtp_replies, subjects, templates)
                   AS u(reminder_id, message_id, smtp_reply, subject, template)
          LEFT JOIN cartwatch.reminders AS r ON r.reminder_id = u.reminder_id
    ), sent AS (
        UPDATE cartwatch.reminders AS r
           SET state = 'sent', sent_at = as_of, finished_at = as_of, lease_until = NULL,
               message_id = report.message_id, smtp_reply = report.smtp_reply,
               subject = report.subject, template = report.template
          FROM report
         WHERE r.reminder_id = report.reminder_id AND report.refusal IS NULL
    )
    SELECT report.reminder_id, report.refusal FROM report
     WHERE report.refusal IS NOT NULL
     ORDER BY report.reminder_id;
END
$$;
COMMENT ON FUNCTION cartwatch.complete_reminders(text, bigint[], text[], text[], text[], text[], timestamptz) IS
$$complete_reminder for many reminders in one statement: records that worker sent each reminder_ids[i] (with message_ids[i], smtp_replies[i], subjects[i], templates[i]). Each reminder is checked as complete_reminder checks it (it exists, is claimed by worker, lease not expired); one that fails is left unchanged and returned with the reason; no rows returned means every outcome was recorded. NULL arguments or elements of reminder_ids, arrays of more than one dimension or of different lengths and an id named twice are errors that change nothing.$$;
REVOKE ALL ON FUNCTION cartwatch.complete_reminders(text, bigint[], text[], text[], text[], text[], timestamptz) FROM PUBLIC;

CREATE FUNCTION cartwatch.fail_reminder(reminder_id bigint, worker text, error text,
                                        permanent boolean, suppress boolean DEFAULT false,
                                        as_of timestamptz DEFAULT now())
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    row cartwatch.reminders;
    retry_at timestamptz;
BEGIN
    IF permanent IS NULL OR suppress IS NULL THEN
        RAISE EXCEPTION '% must not be NULL', CASE WHEN permanent IS NULL THEN 'permanent' ELSE 'suppress' END
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF suppress AND NOT permanent THEN
        RAISE EXCEPTION 'only a permanent failure can suppress the address'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass permanent => true with suppress => true (an SMTP 5.1.x reply).';
    END IF;
    row := cartwatch.leased_reminder(reminder_id, worker, as_of);

    IF NOT permanent AND row.attempt < cartwatch.setting('max_attempts')::integer THEN
        retry_at := as_of + cartwatch.retry_delay(row.failures + 1,
                                                  cartwatch.setting('retry_base_delay')::interval,
                                                  cartwatch.setting('retry_max_delay')::interval,
                                                  row.reminder_id);
    END IF;
    UPDATE cartwatch.reminders AS r
       SET state = CASE WHEN retry_at IS NULL THEN 'dead' ELSE 'failed' END,
           failures = r.failures + CASE WHEN permanent THEN 0 ELSE 1 END,
           due_at = coalesce(retry_at, r.due_at),
           finished_at = CASE WHEN retry_at IS NULL THEN as_of END,
           lease_until = NULL,
           last_error = fail_reminder.error
     WHERE r.reminder_id = fail_reminder.reminder_id;
    IF suppress AND row.email IS NOT NULL THEN
        PERFORM cartwatch.suppress(row.email, 'hard_bounce',
                                   format('reminder %s: %s', row.reminder_id, left(error, 200)), as_of);
    END IF;
    PERFORM cartwatch.notify_reminders(retry_at);
    RETURN CASE WHEN retry_at IS NULL THEN 'dead' ELSE 'failed' END;
END
$$;
COMMENT ON FUNCTION cartwatch.fail_reminder(bigint, text, text, boolean, boolean, timestamptz) IS
$$Records a failed send by the worker holding the lease; returns the new state. permanent => false (SMTP 4xx): state failed, retried after an exponential backoff with jitter, dead once max_attempts claims were used. permanent => true (SMTP 5xx): dead at once. suppress => true, only with permanent (SMTP 5.1.x: the address itself is bad), also adds the address to cartwatch.suppressions as hard_bounce. A wrong worker or an expired lease is an error that changes nothing.$$;
REVOKE ALL ON FUNCTION cartwatch.fail_reminder(bigint, text, text, boolean, boolean, timestamptz) FROM PUBLIC;

-- A send whose outcome nobody knows: the message went out but the SMTP server never answered
-- the final "." (it hung up, or timed out). It may have been delivered, so it is settled the
-- way a lost lease is, by the lost_lease setting: unknown (never sent twice), or resend
-- (retried like a transient failure, under the same Message-ID so receivers can drop a copy).
CREATE FUNCTION cartwatch.reminder_outcome_unknown(reminder_id bigint, worker text, error text,
                                                   as_of timestamptz DEFAULT now())
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    row cartwatch.reminders;
    resend boolean := cartwatch.setting('lost_lease') = 'resend';
    retry_at timestamptz;
    new_state text;
BEGIN
    row := cartwatch.leased_reminder(reminder_id, worker, as_of);
    IF resend AND row.attempt < cartwatch.setting('max_attempts')::integer THEN
        retry_at := as_of + cartwatch.retry_delay(row.failures + 1,
                                                  cartwatch.setting('retry_base_delay')::interval,
                                                  cartwatch.setting('retry_max_delay')::interval,
                                                  row.reminder_id);
    END IF;
    new_state := CASE WHEN NOT resend THEN 'unknown'
                      WHEN retry_at IS NULL THEN 'dead'
                      ELSE 'failed' END;
    UPDATE cartwatch.reminders AS r
       SET state = new_state,
           failures = r.failures + CASE WHEN resend THEN 1 ELSE 0 END,
           due_at = coalesce(retry_at, r.due_at),
           finished_at = CASE WHEN retry_at IS NULL THEN as_of END,
           lease_until = NULL,
           last_error = reminder_outcome_unknown.error
     WHERE r.reminder_id = reminder_outcome_unknown.reminder_id;
    PERFORM cartwatch.notify_reminders(retry_at);
    RETURN new_state;
END
$$;
COMMENT ON FUNCTION cartwatch.reminder_outcome_unknown(bigint, text, text, timestamptz) IS
$$Records a send by the worker holding the lease whose outcome is unknown (no reply after the message body: maybe delivered). Settled per lost_lease like an expired lease: unknown (finished, never resent), or resend (failed, retried after the backoff; dead once max_attempts claims were used). Returns the new state.$$;
REVOKE ALL ON FUNCTION cartwatch.reminder_outcome_unknown(bigint, text, text, timestamptz) FROM PUBLIC;

CREATE FUNCTION cartwatch.release_reminders(worker text) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    released integer;
    next_due timestamptz;
BEGIN
    IF worker IS NULL THEN
        RAISE EXCEPTION 'worker must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- Not sent, so the claim does not count as an attempt.
    WITH back AS (
        UPDATE cartwatch.reminders AS r
           SET state = 'pending', attempt = r.attempt - 1, claimed_by = NULL, claimed_at = NULL,
               lease_until = NULL
         WHERE r.state = 'claimed' AND r.claimed_by = release_reminders.worker
        RETURNING r.due_at
    )
    SELECT count(*), min(back.due_at) INTO released, next_due FROM back;
    PERFORM cartwatch.notify_reminders(next_due);
    RETURN released;
END
$$;
COMMENT ON FUNCTION cartwatch.release_reminders(text) IS
    'Graceful stop: every reminder worker holds and has not reported on goes back to pending (the claim does not count as an attempt); returns how many. Notifies cartwatch_reminders so another worker takes them.';
REVOKE ALL ON FUNCTION cartwatch.release_reminders(text) FROM PUBLIC;
