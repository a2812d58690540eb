-- section: customer summary
--
-- One row of figures per customer (account state, orders, carts, visits, reminders), kept
-- current by C++ statement triggers on the base tables (extension/customer_summary.cpp), so that
-- a customer's figures and the "top customers" list are index reads instead of aggregates over
-- every order.
--
-- Each figure is defined once, in the customer_*_figures views below (one row per customer,
-- zeros when there is nothing). The triggers recompute a touched customer's row from these
-- views; customer_totals_live joins them for check_customer_summary() and
-- rebuild_customer_summary(). Recomputing instead of adding deltas keeps the row right however
-- the base rows arrive, in particular when pg_restore replays them through the triggers. Two
-- writes add their difference instead, where it is exact and a recount would be costly: new
-- orders, and orders that change status or total but keep their customer and placed_at
-- (extension/customer_summary.cpp).
--
-- Order statuses, in PrestaShop's sense of a "valid" order (payment accepted):
--   valid    paid, shipped, delivered                 -> paid_value
--   invalid  pending (not paid yet)                   -> counted in orders, in neither value
--            cancelled, returned, refunded            -> cancelled_value
-- so orders_value = paid_value + cancelled_value + the value of pending orders. Values are the
-- sums of the orders' totals as recorded, in the shop's currency.

-- No pinned search_path: a per-row helper that runs no SQL, inlined into the views.
CREATE FUNCTION cartwatch.order_is_valid(status text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN status OPERATOR(pg_catalog.=) ANY ('{paid,shipped,delivered}'::text[]);
COMMENT ON FUNCTION cartwatch.order_is_valid(text) IS
    'A valid order (PrestaShop''s meaning): paid, shipped or delivered. Pending, cancelled, returned and refunded orders are invalid.';

-- No pinned search_path: a per-row helper that runs no SQL, inlined into the views.
CREATE FUNCTION cartwatch.order_is_cancelled(status text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN status OPERATOR(pg_catalog.=) ANY ('{cancelled,returned,refunded}'::text[]);
COMMENT ON FUNCTION cartwatch.order_is_cancelled(text) IS
    'A cancelled order in the AtomStore sense: cancelled (e.g. never paid), returned or refunded.';

CREATE VIEW cartwatch.customer_order_figures AS
SELECT c.customer_id, f.orders_count, f.valid_orders, f.orders_count - f.valid_orders AS invalid_orders,
       f.orders_value, f.paid_value, f.cancelled_value, f.first_order_at, f.last_order_at
  FROM cartwatch.customers AS c
 CROSS JOIN LATERAL (
       SELECT count(*) AS orders_count,
              count(*) FILTER (WHERE cartwatch.order_is_valid(o.status)) AS valid_orders,
              coalesce(sum(o.total), 0) AS orders_value,
              coalesce(sum(o.total) FILTER (WHERE cartwatch.order_is_valid(o.status)), 0)
                  AS paid_value,
              coalesce(sum(o.total) FILTER (WHERE cartwatch.order_is_cancelled(o.status)), 0)
                  AS cancelled_value,
              min(o.placed_at) AS first_order_at,
              max(o.placed_at) AS last_order_at
         FROM cartwatch.orders AS o
        WHERE o.customer_id OPERATOR(pg_catalog.=) c.customer_id) AS f;
COMMENT ON VIEW cartwatch.customer_order_figures IS
    'Per customer, computed from orders: counts (valid = paid/shipped/delivered), values, first and last order.';

-- An open cart has items and no order; whether it is abandoned depends on the clock, so the
-- summary keeps the open carts' oldest and newest activity and decides at read time.
CREATE VIEW cartwatch.customer_cart_figures AS
SELECT c.customer_id, f.carts_count, f.open_carts, f.open_carts_oldest_activity,
       f.open_carts_newest_activity, f.last_cart_activity_at
  FROM cartwatch.customers AS c
 CROSS JOIN LATERAL (
       SELECT count(*) AS carts_count,
              count(*) FILTER (WHERE k.order_id IS NULL AND k.item_quantity > 0) AS open_carts,
              min(k.last_activity_at) FILTER (WHERE k.order_id IS NULL AND k.item_quantity > 0)
                  AS open_carts_oldest_activity,
              max(k.last_activity_at) FILTER (WHERE k.order_id IS NULL AND k.item_quantity > 0)
                  AS open_carts_newest_activity,
              max(k.last_activity_at) AS last_cart_activity_at
         FROM cartwatch.carts AS k
        WHERE k.customer_id OPERATOR(pg_catalog.=) c.customer_id) AS f;
COMMENT ON VIEW cartwatch.customer_cart_figures IS
    'Per customer, computed from carts: carts, open carts (items, no order) with their oldest and newest activity, last activity.';

CREATE VIEW cartwatch.customer_visit_figures AS
SELECT c.customer_id, f.visits_count, f.first_visit_at, f.last_visit_at
  FROM cartwatch.customers AS c
 CROSS JOIN LATERAL (
       SELECT count(*) AS visits_count, min(v.started_at) AS first_visit_at,
              max(v.started_at) AS last_visit_at
         FROM cartwatch.visits AS v
        WHERE v.customer_id OPERATOR(pg_catalog.=) c.customer_id) AS f;
COMMENT ON VIEW cartwatch.customer_visit_figures IS
    'Per customer, computed from visits: number of visits, first and last visit (entry time).';

-- The account's own figures, copied from the customer's row: so that reading every figure of
-- the summary is one index probe of customer_totals, not a second one of customers (about half
-- a lookup's cost). They change with the customer's row alone, through the customers trigger.
CREATE VIEW cartwatch.customer_account_figures AS
SELECT c.customer_id, c.registered_at IS NOT NULL AS registered, c.activated, c.enabled,
       c.loyalty_points, c.newsletter, c.partner_offers, c.reminder_consent
  FROM cartwatch.customers AS c;
COMMENT ON VIEW cartwatch.customer_account_figures IS
    'Per customer, from the customer''s row: registered (not a guest), activated, enabled, loyalty points, newsletter, partner-offer and reminder consent.';

-- Reminders sent: read from the reminder outbox (cartwatch.reminders: one row per reminder,
-- with the customer it was scheduled for and sent_at set once it went out) when that table
-- exists when this script runs; otherwise a placeholder with zeros. The part that installs the
-- outbox re-creates the view and the triggers by calling
-- cartwatch.attach_reminders_to_customer_summary().
CREATE VIEW cartwatch.customer_reminder_figures AS
SELECT c.customer_id, 0::bigint AS reminders_sent
  FROM cartwatch.customers AS c;
COMMENT ON VIEW cartwatch.customer_reminder_figures IS
    'Per customer: reminder e-mails sent to the customer (0 until the reminder outbox is installed).';

CREATE TABLE cartwatch.customer_totals (
    customer_id                bigint PRIMARY KEY
                               REFERENCES cartwatch.customers ON DELETE CASCADE ON UPDATE CASCADE,
    orders_count               bigint NOT NULL DEFAULT 0,
    valid_orders               bigint NOT NULL DEFAULT 0,
    invalid_orders             bigint NOT NULL DEFAULT 0,
    orders_value               numeric NOT NULL DEFAULT 0,
    paid_value                 numeric NOT NULL DEFAULT 0,
    cancelled_value            numeric NOT NULL DEFAULT 0,
    first_order_at             timestamptz,
    last_order_at              timestamptz,
    carts_count                bigint NOT NULL DEFAULT 0,
    open_carts                 bigint NOT NULL DEFAULT 0,
    open_carts_oldest_activity timestamptz,
    open_carts_newest_activity timestamptz,
    last_cart_activity_at      timestamptz,
    visits_count               bigint NOT NULL DEFAULT 0,
    first_visit_at             timestamptz,
    last_visit_at              timestamptz,
    reminders_sent             bigint NOT NULL DEFAULT 0,
    registered                 boolean NOT NULL DEFAULT false,
    activated                  boolean NOT NULL DEFAULT false,
    enabled                    boolean NOT NULL DEFAULT true,
    loyalty_points             integer NOT NULL DEFAULT 0,
    newsletter                 boolean NOT NULL DEFAULT false,
    partner_offers             boolean NOT NULL DEFAULT false,
    reminder_consent           boolean NOT NULL DEFAULT false
)
-- Every write to the shop rewrites its customer's row here, so the row must be cheap to
-- rewrite: the only index is the primary key, which never changes, so each update can be HOT
-- (no index entry written) when the page has room for the new version; the free fifth of each
-- page is that room. An index on a figure (paid_value, for "top customers") would make every
-- paid order's update write two index entries and cost checkout about a tenth of its speed;
-- the top-customers list reads this narrow table whole instead (a sequential scan and a top-N
-- sort: milliseconds at 100,000 customers, see docs/BENCHMARKS.md).
WITH (fillfactor = 80);
-- Not registered with pg_extension_config_dump, deliberately: the rows are derived. A restore
-- replays customers, carts, orders and visits through the triggers, which rebuild every row;
-- a dumped copy would collide with those rows. After a data-only restore with
-- --disable-triggers, run cartwatch.rebuild_customer_summary().
COMMENT ON TABLE cartwatch.customer_totals IS
    'Figures per customer kept current by triggers; read cartwatch.customer_summary. Derived data: not dumped, rebuilt on restore.';

CREATE VIEW cartwatch.customer_totals_live AS
SELECT o.customer_id, o.orders_count, o.valid_orders, o.invalid_orders, o.orders_value,
       o.paid_value, o.cancelled_value, o.first_order_at, o.last_order_at,
       k.carts_count, k.open_carts, k.open_carts_oldest_activity, k.open_carts_newest_activity,
       k.last_cart_activity_at, v.visits_count, v.first_visit_at, v.last_visit_at,
       r.reminders_sent, a.registered, a.activated, a.enabled, a.loyalty_points, a.newsletter,
       a.partner_offers, a.reminder_consent
  FROM cartwatch.customer_order_figures AS o
  JOIN cartwatch.customer_cart_figures AS k ON k.customer_id OPERATOR(pg_catalog.=) o.customer_id
  JOIN cartwatch.customer_visit_figures AS v ON v.customer_id OPERATOR(pg_catalog.=) o.customer_id
  JOIN cartwatch.customer_reminder_figures AS r ON r.customer_id OPERATOR(pg_catalog.=) o.customer_id
  JOIN cartwatch.customer_account_figures AS a ON a.customer_id OPERATOR(pg_catalog.=) o.customer_id;
COMMENT ON VIEW cartwatch.customer_totals_live IS
    'What cartwatch.customer_totals must hold, computed from the base tables (slow on large shops: for checks).';

-- The abandoned-cart count of a summary row, where the row decides it
-- (extension/abandon_after.cpp): the open carts' oldest and newest activity against now() minus
-- abandon_after, in one call. NULL means the cut-off falls between the two, and the view counts
-- the customer's carts.
CREATE FUNCTION cartwatch.open_carts_abandoned(open_carts bigint, oldest_activity timestamptz,
                                               newest_activity timestamptz)
RETURNS bigint
AS 'MODULE_PATHNAME', 'cartwatch_open_carts_abandoned'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION cartwatch.open_carts_abandoned(bigint, timestamptz, timestamptz) IS
    'How many of open_carts open carts, last active between oldest_activity and newest_activity, are abandoned now: all, none, or NULL when the abandon_after cut-off falls between the two.';

-- A LEFT JOIN although every summary row has its customer (the foreign key, ON DELETE
-- CASCADE): a query that reads figures only (the top customers by sales, one customer's
-- figures, the account state and consents included) then never touches cartwatch.customers,
-- since PostgreSQL drops a left join to a unique key whose columns nobody reads. Only the
-- e-mail, the name and registered_at come from the customer's row.
CREATE VIEW cartwatch.customer_summary AS
SELECT t.customer_id,
       c.email::text AS email,
       cartwatch.display_name(c.first_name, c.last_name) AS customer_name,
       CASE WHEN t.registered THEN 'registered' ELSE 'guest' END AS customer_type,
       c.registered_at,
       t.activated,
       t.enabled,
       t.orders_count,
       t.valid_orders,
       t.invalid_orders,
       t.orders_value,
       t.paid_value,
       t.cancelled_value,
       t.first_order_at,
       t.last_order_at,
       t.first_visit_at,
       t.last_visit_at,
       t.visits_count,
       t.carts_count,
       t.open_carts,
       -- Only a customer whose open carts straddle the cut-off needs to look at the carts, and
       -- the subquery runs for that customer alone. It is an ARRAY subquery, not a count(*):
       -- PostgreSQL sets a subquery's plan up at every lookup whether it runs or not, and an
       -- aggregate's set-up costs about as much as the probe of customer_totals. A subquery,
       -- not a function, so that the carts are read with the view's rights, as every view reads.
       coalesce(cartwatch.open_carts_abandoned(t.open_carts, t.open_carts_oldest_activity,
                                               t.open_carts_newest_activity),
                pg_catalog.cardinality(ARRAY(
                    SELECT 1 FROM cartwatch.carts AS k
                     WHERE k.customer_id = t.customer_id AND k.order_id IS NULL
                       AND k.item_quantity > 0
                       AND k.last_activity_at
                           <= pg_catalog.now() OPERATOR(pg_catalog.-) cartwatch.abandon_after())))::bigint
           AS abandoned_carts,
       t.last_cart_activity_at,
       t.reminders_sent,
       t.loyalty_points,
       t.newsletter,
       t.partner_offers,
       t.reminder_consent
  FROM cartwatch.customer_totals AS t
  LEFT JOIN cartwatch.customers AS c ON c.customer_id = t.customer_id;
COMMENT ON VIEW cartwatch.customer_summary IS
    'One row per customer: account state, orders (valid/invalid, paid and cancelled value), visits, carts (abandoned now), reminders, loyalty points, consents.';

-- section: customer summary maintenance

-- SECURITY DEFINER: the shop's roles that write orders, carts and visits need no right on
-- customer_totals, carts or reminders for the summary to follow. EXECUTE is closed, so that no
-- other role can put it on a table of its own, and the function checks that it fires on the
-- table its argument names.
-- No SET search_path, deliberately: the function runs on every checkout, and a SET clause costs
-- a GUC save, set and restore at each call, then a new lookup of the caller's search path (about
-- 5 % of an order insert's throughput). Its queries run in a C++ SPI session, which looks every
-- name up in pg_catalog alone whatever the search_path (extension/spi.hpp), so a caller's schema
-- cannot put an operator of its own in place of a built-in one (regress: customer_summary_security).
-- It writes customer_totals alone; a trigger put on that table would run with the same lookup.
CREATE FUNCTION cartwatch.customer_summary_maintain() RETURNS trigger
AS 'MODULE_PATHNAME', 'cartwatch_customer_summary_maintain'
LANGUAGE C
SECURITY DEFINER;
COMMENT ON FUNCTION cartwatch.customer_summary_maintain() IS
    'Statement trigger (C++): keeps the summary rows of the customers a statement touched current, adding the difference of inserted orders and of status or total changes, recounting otherwise. Argument: customers, orders, carts, visits or reminders.';
REVOKE ALL ON FUNCTION cartwatch.customer_summary_maintain() FROM PUBLIC;

CREATE TRIGGER customers_summary_inserted AFTER INSERT ON cartwatch.customers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.customer_summary_maintain('customers');
CREATE TRIGGER customers_summary_updated AFTER UPDATE ON cartwatch.customers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.customer_summary_maintain('customers');

CREATE TRIGGER orders_summary_inserted AFTER INSERT ON cartwatch.orders
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.customer_summary_maintain('orders');
CREATE TRIGGER orders_summary_updated AFTER UPDATE ON cartwatch.orders
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.customer_summary_maintain('orders');
CREATE TRIGGER orders_summary_deleted AFTER DELETE ON cartwatch.orders
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.customer_summary_maintain('orders');
CREATE TRIGGER orders_summary_truncated AFTER TRUNCATE ON cartwatch.orders
    FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.customer_summary_maintain('orders');

CREATE TRIGGER carts_summary_inserted AFTER INSERT ON cartwatch.carts
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.customer_summary_maintain('carts');
CREATE TRIGGER carts_summary_updated AFTER UPDATE ON cartwatch.carts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.customer_summary_maintain('carts');
CREATE TRIGGER carts_summary_deleted AFTER DELETE ON cartwatch.carts
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.customer_summary_maintain('carts');
CREATE TRIGGER carts_summary_truncated AFTER TRUNCATE ON cartwatch.carts
    FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.customer_summary_maintain('carts');

CREATE TRIGGER visits_summary_inserted AFTER INSERT ON cartwatch.visits
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.customer_summary_maintain('visits');
CREATE TRIGGER visits_summary_updated AFTER UPDATE ON cartwatch.visits
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.customer_summary_maintain('visits');
CREATE TRIGGER visits_summary_deleted AFTER DELETE ON cartwatch.visits
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.customer_summary_maintain('visits');
CREATE TRIGGER visits_summary_truncated AFTER TRUNCATE ON cartwatch.visits
    FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.customer_summary_maintain('visits');

-- Connects the reminder outbox to the summary: the real customer_reminder_figures view and the
-- four statement triggers on cartwatch.reminders. Idempotent; returns false (and changes
-- nothing) while the outbox table does not exist. The outbox must have customer_id and sent_at.
-- A reminder counts for the customer it names (its cart's customer when it was scheduled), not
-- through its cart: retention deletes abandoned carts after 90 days and keeps their reminders
-- longer, and an e-mail sent to one customer stays theirs when the cart changes hands. A guest
-- cart's reminder names no customer and counts for none, whoever the cart belongs to later.
CREATE FUNCTION cartwatch.attach_reminders_to_customer_summary() RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.to_regclass('cartwatch.reminders') IS NULL THEN
        RETURN false;
    END IF;
    CREATE OR REPLACE VIEW cartwatch.customer_reminder_figures AS
    SELECT c.customer_id, f.reminders_sent
      FROM cartwatch.customers AS c
     CROSS JOIN LATERAL (
           SELECT count(*) AS reminders_sent
             FROM cartwatch.reminders AS r
            WHERE r.customer_id = c.customer_id AND r.sent_at IS NOT NULL) AS f;
    DROP TRIGGER IF EXISTS reminders_summary_inserted ON cartwatch.reminders;
    DROP TRIGGER IF EXISTS reminders_summary_updated ON cartwatch.reminders;
    DROP TRIGGER IF EXISTS reminders_summary_deleted ON cartwatch.reminders;
    DROP TRIGGER IF EXISTS reminders_summary_truncated ON cartwatch.reminders;
    CREATE TRIGGER reminders_summary_inserted AFTER INSERT ON cartwatch.reminders
        REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.customer_summary_maintain('reminders');
    CREATE TRIGGER reminders_summary_updated AFTER UPDATE ON cartwatch.reminders
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.customer_summary_maintain('reminders');
    CREATE TRIGGER reminders_summary_deleted AFTER DELETE ON cartwatch.reminders
        REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.customer_summary_maintain('reminders');
    CREATE TRIGGER reminders_summary_truncated AFTER TRUNCATE ON cartwatch.reminders
        FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.customer_summary_maintain('reminders');
    RETURN true;
END
$$;
COMMENT ON FUNCTION cartwatch.attach_reminders_to_customer_summary() IS
    'Counts sent reminders (cartwatch.reminders) in the customer summary; false while the outbox is not installed.';
REVOKE ALL ON FUNCTION cartwatch.attach_reminders_to_customer_summary() FROM PUBLIC;
-- When the outbox is installed by an earlier part of this script, connect it now.
SELECT cartwatch.attach_reminders_to_customer_summary();

CREATE FUNCTION cartwatch.rebuild_customer_summary() RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    changed bigint;
BEGIN
    -- Writers' triggers take ROW EXCLUSIVE on the summary: waiting for them here means the
    -- recomputation below (a new snapshot) sees every change they committed, and the triggers
    -- of writers that come later recompute after us.
    LOCK TABLE cartwatch.customer_totals IN SHARE ROW EXCLUSIVE MODE;
    INSERT INTO cartwatch.customer_totals AS t
    SELECT l.* FROM cartwatch.customer_totals_live AS l
    ON CONFLICT (customer_id) DO UPDATE
       SET orders_count = EXCLUDED.orders_count, valid_orders = EXCLUDED.valid_orders,
           invalid_orders = EXCLUDED.invalid_orders, orders_value = EXCLUDED.orders_value,
           paid_value = EXCLUDED.paid_value, cancelled_value = EXCLUDED.cancelled_value,
           first_order_at = EXCLUDED.first_order_at, last_order_at = EXCLUDED.last_order_at,
           carts_count = EXCLUDED.carts_count, open_carts = EXCLUDED.open_carts,
           open_carts_oldest_activity = EXCLUDED.open_carts_oldest_activity,
           open_carts_newest_activity = EXCLUDED.open_carts_newest_activity,
           last_cart_activity_at = EXCLUDED.last_cart_activity_at,
           visits_count = EXCLUDED.visits_count, first_visit_at = EXCLUDED.first_visit_at,
           last_visit_at = EXCLUDED.last_visit_at, reminders_sent = EXCLUDED.reminders_sent,
           registered = EXCLUDED.registered, activated = EXCLUDED.activated,
           enabled = EXCLUDED.enabled, loyalty_points = EXCLUDED.loyalty_points,
           newsletter = EXCLUDED.newsletter, partner_offers = EXCLUDED.partner_offers,
           reminder_consent = EXCLUDED.reminder_consent
     WHERE t IS DISTINCT FROM EXCLUDED;
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN changed;
END
$$;
COMMENT ON FUNCTION cartwatch.rebuild_customer_summary() IS
    'Recomputes every customer''s summary row from the base tables; returns the number of rows it corrected.';
REVOKE ALL ON FUNCTION cartwatch.rebuild_customer_summary() FROM PUBLIC;

CREATE FUNCTION cartwatch.check_customer_summary()
RETURNS TABLE (customer_id bigint, field text, stored text, expected text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT d.customer_id, d.field, d.stored, d.expected
      FROM (SELECT t.customer_id, s.key AS field, s.value #>> '{}' AS stored,
                   e.value #>> '{}' AS expected
              FROM cartwatch.customer_totals AS t
              JOIN cartwatch.customer_totals_live AS l ON l.customer_id = t.customer_id
             CROSS JOIN LATERAL jsonb_each(to_jsonb(t)) AS s
              JOIN LATERAL jsonb_each(to_jsonb(l)) AS e ON e.key = s.key
             WHERE ROW(t.*) IS DISTINCT FROM ROW(l.*)
               AND s.value IS DISTINCT FROM e.value
            UNION ALL
            SELECT l.customer_id, '(row)', NULL, 'present'
              FROM cartwatch.customer_totals_live AS l
             WHERE NOT EXISTS (SELECT FROM cartwatch.customer_totals AS t
                                WHERE t.customer_id = l.customer_id)) AS d
     ORDER BY d.customer_id, d.field;
END;
COMMENT ON FUNCTION cartwatch.check_customer_summary() IS
    'Compares the customer summary with the base tables; one row per wrong figure (field "(row)" for a missing or extra row). Empty when all is right.';
