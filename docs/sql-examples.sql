-- The hand-written examples of docs/SQL.md, one block per object, each starting with a line
-- "-- example: cartwatch.<object>". scripts/sql-reference.sh puts each block under its object;
-- tests/integration/sql_reference.sh runs every block against the demo shop
-- (scripts/demo-shop.sql, seed 42, 300 customers, as of now), each in a transaction it rolls
-- back, and fails when one errors or when a documented object has none.

-- example: cartwatch.email_address
-- The domain refuses what cannot be an address (and header-injection attempts):
SELECT 'anna.kowalska@poczta.example'::cartwatch.email_address;

-- example: cartwatch.customers
-- A registered customer with consent to cart reminders; the shop may bring its own id.
INSERT INTO cartwatch.customers (customer_id, email, first_name, last_name, locale,
                                 registered_at, activated, reminder_consent)
VALUES (90001, 'jan.nowak@poczta.example', 'Jan', 'Nowak', 'pl', now(), true, true);

-- example: cartwatch.products
INSERT INTO cartwatch.products (product_id, reference, name, price, cost_price, stock)
VALUES (90001, 'MUG-350', 'Kubek emaliowany 350 ml', 45.00, 19.50, 40);

-- example: cartwatch.carts
-- A guest's cart: no customer, the address typed at checkout, consent given there.
INSERT INTO cartwatch.carts (guest_email, guest_reminder_consent, ip, locale, currency)
VALUES ('gosc@poczta.example', true, '192.0.2.44', 'pl', 'PLN')
RETURNING cart_id, created_at, item_quantity;

-- example: cartwatch.cart_items
-- Name and price may be left out: the product's current ones are taken.
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, variant)
VALUES (1, 2, 1, 'Colour: Orange');
SELECT cart_id, item_quantity, last_activity_at FROM cartwatch.carts WHERE cart_id = 1;

-- example: cartwatch.orders
-- An order naming its cart marks the cart ordered.
INSERT INTO cartwatch.orders (customer_id, cart_id, email, status, total, currency)
SELECT customer_id, cart_id, email, 'paid', value, currency
  FROM cartwatch.abandoned_carts() LIMIT 1;

-- example: cartwatch.visits
INSERT INTO cartwatch.visits (customer_id, ip, started_at, ended_at, start_url, exit_url, page_views)
VALUES (1, '192.0.2.10', now() - interval '12 minutes', now(), '/pl/kubki', '/cart', 7);

-- example: cartwatch.product_views
INSERT INTO cartwatch.product_views (customer_id, product_id) VALUES (1, 3);

-- example: cartwatch.touch_updated_at
-- customers_touch, products_touch, carts_touch and orders_touch keep updated_at:
UPDATE cartwatch.products SET price = price + 1 WHERE product_id = 1 RETURNING updated_at;

-- example: cartwatch.open_cart_activity
-- Written with the index's expression and predicate, a query reads carts_open_activity_idx:
SELECT cart_id, last_activity_at
  FROM cartwatch.carts
 WHERE cartwatch.open_cart_activity(order_id, item_quantity, last_activity_at) < now() - interval '1 day'
   AND order_id IS NULL AND item_quantity > 0
 ORDER BY last_activity_at DESC
 LIMIT 5;

-- example: cartwatch.setting_definitions
SELECT name, type, default_value, min_value, max_value FROM cartwatch.setting_definitions ORDER BY name;

-- example: cartwatch.setting_values
SELECT name, value, changed_at, changed_by FROM cartwatch.setting_values;

-- example: cartwatch.settings
SELECT name, value, changed, description FROM cartwatch.settings ORDER BY name;

-- example: cartwatch.setting
SELECT cartwatch.setting('abandon_after')::interval AS abandon_after;

-- example: cartwatch.validate_setting
-- The canonical form of a value, or the error set_setting() would raise:
SELECT cartwatch.validate_setting('first_after', '90 min');

-- example: cartwatch.set_setting
SELECT cartwatch.set_setting('abandon_after', '90 minutes');
SELECT cartwatch.set_setting('audience', 'registered');

-- example: cartwatch.reset_setting
SELECT cartwatch.reset_setting('abandon_after');

-- example: cartwatch.abandon_after
-- What every abandoned-cart view compares with: kept by the connection until a setting
-- changes, and the change seen from the next statement on.
SELECT cartwatch.abandon_after();
SELECT cartwatch.set_setting('abandon_after', '3 hours');
SELECT cartwatch.abandon_after();

-- example: cartwatch.settings_changed
-- The trigger on both settings tables; a change through set_setting() fires it.
SELECT tgname, tgrelid::regclass FROM pg_trigger
 WHERE tgfoid = 'cartwatch.settings_changed()'::regprocedure ORDER BY tgname;

-- example: cartwatch.cart_items_activity
-- Fired once per statement: adding two items moves the cart's clock and count once.
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity)
VALUES (2, 1, 1), (2, 4, 2)
ON CONFLICT (cart_id, product_id, variant) DO UPDATE SET quantity = cart_items.quantity + EXCLUDED.quantity;
SELECT item_quantity, last_activity_at FROM cartwatch.carts WHERE cart_id = 2;

-- example: cartwatch.cart_item_defaults
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity) VALUES (3, 5, 1)
ON CONFLICT DO NOTHING
RETURNING product_name, unit_price;

-- example: cartwatch.link_order_to_cart
INSERT INTO cartwatch.orders (customer_id, cart_id, status, total)
VALUES (NULL, 4, 'pending', 0)
ON CONFLICT DO NOTHING;
SELECT cart_id, order_id, cartwatch.cart_status(cart_id) FROM cartwatch.carts WHERE cart_id = 4;

-- example: cartwatch.classify_cart
SELECT cartwatch.classify_cart(item_quantity => 3, ordered => false,
                               last_activity_at => now() - interval '5 hours',
                               abandoned_before => now() - interval '2 hours');

-- example: cartwatch.display_name
SELECT cartwatch.display_name(' Zofia ', 'Wiśniewska'), cartwatch.display_name(NULL, '');

-- example: cartwatch.abandoned_before
SELECT cartwatch.abandoned_before(now());

-- example: cartwatch.cart_status
SELECT cart_id, cartwatch.cart_status(cart_id), cartwatch.cart_status(cart_id, now() + interval '1 day')
  FROM cartwatch.carts ORDER BY cart_id LIMIT 5;

-- example: cartwatch.abandoned_carts
-- The carts left behind, newest first; or as the list looked yesterday at noon.
SELECT cart_id, email, customer_type, item_count, value, currency, last_activity_at
  FROM cartwatch.abandoned_carts()
 LIMIT 10;
SELECT count(*) FROM cartwatch.abandoned_carts(date_trunc('day', now()) - interval '12 hours');

-- example: cartwatch.cart_overview
SELECT customer_name, ip, item_count, value, currency, idle_for, status
  FROM cartwatch.cart_overview
 WHERE status IN ('active', 'abandoned')
 ORDER BY last_activity_at DESC
 LIMIT 10;

-- example: cartwatch.abandoned_cart_items
SELECT email, product_name, customer_type, quantity, unit_price, line_total
  FROM cartwatch.abandoned_cart_items
 ORDER BY last_activity_at DESC, cart_id
 LIMIT 10;

-- example: cartwatch.product_cart_stats
SELECT product_name, customers_added, customers_in_abandoned_carts, quantity_in_open_carts
  FROM cartwatch.product_cart_stats
 ORDER BY customers_in_abandoned_carts DESC, product_name
 LIMIT 5;

-- example: cartwatch.export_abandoned_carts
SELECT cartwatch.export_abandoned_carts('csv');
SELECT cartwatch.export_abandoned_carts('xml', now() - interval '1 day');

-- example: cartwatch.email_key
SELECT cartwatch.email_key('  Anna.Kowalska@Poczta.Example ');

-- example: cartwatch.email_hash
SELECT encode(cartwatch.email_hash(' Anna.Kowalska@Poczta.Example'), 'hex');

-- example: cartwatch.retry_delay
-- The backoff after each transient failure of reminder 42 (base 5 minutes, cap 6 hours):
SELECT failures, cartwatch.retry_delay(failures, '5 minutes', '6 hours', 42)
  FROM generate_series(1, 8) AS failures;

-- example: cartwatch.notify_reminders
LISTEN cartwatch_reminders;
SELECT cartwatch.notify_reminders(now() + interval '10 minutes');

-- example: cartwatch.reminders
-- Why was a cart reminded, or not?
SELECT cart_id, step, state, cancel_reason, skipped, due_at, sent_at, last_error
  FROM cartwatch.reminders
 WHERE cart_id = 7
 ORDER BY reminder_id;

-- example: cartwatch.cart_reminder_facts
SELECT cart_id, email, locale, value, veto
  FROM cartwatch.cart_reminder_facts(ARRAY(SELECT cart_id FROM cartwatch.abandoned_carts() LIMIT 10), now());

-- example: cartwatch.reminder_cancel_reason
-- A cart touched after its reminder was scheduled; an order outranks the touch.
SELECT cartwatch.reminder_cancel_reason(true, NULL, now(), now() - interval '1 hour') AS touched,
       cartwatch.reminder_cancel_reason(true, 'ordered', now(), now() - interval '1 hour') AS ordered,
       cartwatch.reminder_cancel_reason(false, NULL, NULL, now()) AS deleted,
       cartwatch.reminder_cancel_reason(true, NULL, now(), now()) AS may_go;

-- example: cartwatch.reminder_verdicts
SELECT cartwatch.schedule_reminders();
SELECT v.reminder_id, v.cancel_reason, v.email, v.locale
  FROM cartwatch.reminder_verdicts(
           ARRAY(SELECT reminder_id FROM cartwatch.reminders WHERE state = 'pending'), now()) AS v;

-- example: cartwatch.expire_leases
SELECT cartwatch.expire_leases(now());

-- example: cartwatch.schedule_reminders
SELECT cartwatch.schedule_reminders();
SELECT step, state, cancel_reason, count(*)
  FROM cartwatch.reminders GROUP BY step, state, cancel_reason ORDER BY 1, 2, 3;

-- example: cartwatch.cart_content
SELECT jsonb_pretty(items), total FROM cartwatch.cart_content(1);

-- example: cartwatch.cart_contents
-- A whole claim's carts at once; an empty cart (or an unknown id) has no lines and total 0.
SELECT cart_id, jsonb_array_length(items) AS lines, total
  FROM cartwatch.cart_contents(ARRAY[1, 2, 3, 999999]);

-- example: cartwatch.cart_lines
-- cart_contents' items for one cart: its lines in the order they were added.
SELECT cartwatch.cart_lines(i.product_id, coalesce(i.product_name, p.name), i.quantity,
                            i.unit_price, i.unit_price * i.quantity, nullif(i.variant, '')
                            ORDER BY i.added_at, i.product_id, i.variant)
  FROM cartwatch.cart_items AS i
  LEFT JOIN cartwatch.products AS p ON p.product_id = i.product_id
 WHERE i.cart_id = 1;

-- example: cartwatch.cart_lines_transfn
-- Called by the aggregate cartwatch.cart_lines only (its state is internal):
SELECT aggtransfn, aggfinalfn, aggfinalmodify
  FROM pg_aggregate WHERE aggfnoid = 'cartwatch.cart_lines'::regproc;

-- example: cartwatch.cart_lines_finalfn
-- Called by the aggregate cartwatch.cart_lines only; no lines, no call, and NULL:
SELECT cartwatch.cart_lines(1, 'Kubek', 1, 45.00, 45.00, NULL) FROM generate_series(1, 0);

-- example: cartwatch.claim_reminders
-- What cartwatchd does in a transaction of its own: claim, render, send, report.
SELECT cartwatch.schedule_reminders();
SELECT reminder_id, step, email, display_name, locale, currency, total, message_key
  FROM cartwatch.claim_reminders(worker => 'mailer-1@shop-host', max_count => 10,
                                 lease => '2 minutes');

-- example: cartwatch.leased_reminder
SELECT cartwatch.schedule_reminders();
SELECT (cartwatch.leased_reminder(c.reminder_id, 'mailer-1', now())).lease_until
  FROM cartwatch.claim_reminders('mailer-1', 1) AS c;

-- example: cartwatch.complete_reminder
SELECT cartwatch.schedule_reminders();
SELECT cartwatch.complete_reminder(c.reminder_id, 'mailer-1',
                                   message_id => '<' || c.message_key || '@shop.example>',
                                   smtp_reply => '250 2.0.0 Ok: queued as 4F2A1',
                                   subject => 'You left something in your cart',
                                   template => c.locale || '/' || c.step || '_reminder')
  FROM cartwatch.claim_reminders('mailer-1', 1) AS c;

-- example: cartwatch.complete_reminders
-- What cartwatchd does: the outcomes of many sends in one statement; refused ones come back.
SELECT cartwatch.schedule_reminders();
WITH claimed AS (
    SELECT * FROM cartwatch.claim_reminders('mailer-1', 10)
), sent AS (
    SELECT coalesce(array_agg(reminder_id), '{}') AS ids,
           coalesce(array_agg('<' || message_key || '@shop.example>'), '{}') AS message_ids,
           coalesce(array_agg('250 2.0.0 Ok: queued'::text), '{}') AS replies,
           coalesce(array_agg('You left something in your cart'::text), '{}') AS subjects,
           coalesce(array_agg(locale || '/' || step || '_reminder'), '{}') AS templates
      FROM claimed
)
SELECT refused.*
  FROM sent, cartwatch.complete_reminders('mailer-1', sent.ids, sent.message_ids, sent.replies,
                                          sent.subjects, sent.templates) AS refused;

-- example: cartwatch.fail_reminder
-- A 4xx reply: retried after a backoff. A 5.1.1 reply would pass permanent and suppress.
SELECT cartwatch.schedule_reminders();
SELECT cartwatch.fail_reminder(c.reminder_id, 'mailer-1', '451 4.3.0 try again later',
                               permanent => false)
  FROM cartwatch.claim_reminders('mailer-1', 1) AS c;

-- example: cartwatch.release_reminders
-- On a graceful stop, a worker hands back what it has not sent.
SELECT cartwatch.schedule_reminders();
SELECT count(*) FROM cartwatch.claim_reminders('mailer-1', 5);
SELECT cartwatch.release_reminders('mailer-1');

-- example: cartwatch.requeue_reminders
-- After the relay was fixed: the reminders it refused for good go out again (the claim checks
-- each cart once more, so an ordered cart gets nothing).
SELECT cartwatch.schedule_reminders();
SELECT cartwatch.fail_reminder(c.reminder_id, 'mailer-1',
                               '553 5.6.7 the SMTP server does not offer SMTPUTF8', permanent => true)
  FROM cartwatch.claim_reminders('mailer-1', 2) AS c;
SELECT * FROM cartwatch.requeue_reminders(
    ARRAY(SELECT reminder_id FROM cartwatch.reminders
           WHERE state = 'dead' AND last_error LIKE '%SMTPUTF8%'));

-- example: cartwatch.suppressions
SELECT reason, suppressed_at, source FROM cartwatch.suppressions ORDER BY suppressed_at DESC LIMIT 10;

-- example: cartwatch.suppress
SELECT cartwatch.suppress('Anna.Kowalska@Poczta.Example', 'complaint', 'feedback loop of poczta.example');

-- example: cartwatch.unsuppress
SELECT cartwatch.suppress('jan@poczta.example');
SELECT cartwatch.unsuppress('jan@poczta.example');

-- example: cartwatch.is_suppressed
SELECT cartwatch.suppress('jan@poczta.example');
SELECT cartwatch.is_suppressed(' JAN@poczta.example');

-- example: cartwatch.strong_random_bytes
SELECT encode(cartwatch.strong_random_bytes(16), 'hex');

-- example: cartwatch.token_keys
-- Keys themselves are never shown; their age is what matters.
SELECT key_id, created_at, retired_at FROM cartwatch.token_keys ORDER BY created_at;

-- example: cartwatch.token_sign
SELECT cartwatch.token_sign(cartwatch.signing_key(), 'recovery', 42);

-- example: cartwatch.token_verify
SELECT cartwatch.token_verify(ARRAY[key], 'recovery', cartwatch.token_sign(key, 'recovery', 42)) AS genuine,
       cartwatch.token_verify(ARRAY[key], 'unsubscribe', cartwatch.token_sign(key, 'recovery', 42)) AS other_purpose
  FROM (SELECT cartwatch.strong_random_bytes(32)) AS k(key);

-- example: cartwatch.signing_key
SELECT octet_length(cartwatch.signing_key());

-- example: cartwatch.verify_link_token
SELECT cartwatch.verify_link_token('recovery', cartwatch.token_sign(cartwatch.signing_key(), 'recovery', 42));

-- example: cartwatch.rotate_token_key
-- Routine rotation: new links get the new key, links already sent keep working.
SELECT cartwatch.rotate_token_key();
-- After a leak: every link sent so far stops working.
SELECT cartwatch.rotate_token_key(retire_old => true);

-- example: cartwatch.unsubscribe
-- The shop's unsubscribe endpoint passes the token from the link (or the List-Unsubscribe POST):
SELECT cartwatch.schedule_reminders();
SELECT cartwatch.unsubscribe(c.unsubscribe_token) FROM cartwatch.claim_reminders('mailer-1', 1) AS c;
SELECT cartwatch.unsubscribe('forged-token');

-- example: cartwatch.cart_from_recovery_token
-- The shop's "return to your cart" page: which cart, and what is in it.
SELECT cartwatch.schedule_reminders();
SELECT r.cart_id, r.status, r.total, r.currency, jsonb_array_length(r.items) AS lines
  FROM cartwatch.claim_reminders('mailer-1', 1) AS c,
       cartwatch.cart_from_recovery_token(c.recovery_token) AS r;

-- example: cartwatch.attribute_order
-- A reminder goes out, then the customer orders: the order is credited to the reminder.
SELECT cartwatch.schedule_reminders();
SELECT cartwatch.complete_reminder(c.reminder_id, 'mailer-1', '<m1@shop.example>', '250 ok',
                                   'Your cart', 'en/first_reminder')
  FROM cartwatch.claim_reminders('mailer-1', 1) AS c;
INSERT INTO cartwatch.orders (customer_id, cart_id, status, total)
SELECT k.customer_id, r.cart_id, 'paid', 120.00
  FROM cartwatch.reminders AS r JOIN cartwatch.carts AS k ON k.cart_id = r.cart_id
 WHERE r.state = 'sent';
SELECT reminder_id, cart_id, recovered_order_id, recovered_value
  FROM cartwatch.reminders WHERE state = 'sent';

-- example: cartwatch.reminder_stats
SELECT day, step, currency, scheduled, sent, cancelled, skipped, skipped_by_reason, recovered,
       recovery_rate
  FROM cartwatch.reminder_stats
 ORDER BY day DESC, step, currency;

-- example: cartwatch.customer_emails
SELECT sent_at, language, subject, template, email
  FROM cartwatch.customer_emails WHERE customer_id = 1 ORDER BY sent_at DESC;

-- example: cartwatch.reminder_queue_metrics
SELECT due, oldest_due_age_seconds, next_due_at, claimed, expired_leases, sent_24h, dead_24h
  FROM cartwatch.reminder_queue_metrics();

-- example: cartwatch.cancel_reminder
SELECT cartwatch.schedule_reminders();
SELECT cartwatch.cancel_reminder(reminder_id)
  FROM cartwatch.reminders WHERE state = 'pending' ORDER BY reminder_id LIMIT 1;

-- example: cartwatch.daemon_functions
SELECT unnest(cartwatch.daemon_functions());

-- example: cartwatch.grant_daemon
CREATE ROLE cartwatchd_example LOGIN;
SELECT cartwatch.grant_daemon('cartwatchd_example');
SELECT has_function_privilege('cartwatchd_example',
                              'cartwatch.claim_reminders(text, integer, interval, timestamptz)', 'EXECUTE');

-- example: cartwatch.revoke_daemon
CREATE ROLE cartwatchd_example LOGIN;
SELECT cartwatch.grant_daemon('cartwatchd_example');
SELECT cartwatch.revoke_daemon('cartwatchd_example');

-- example: cartwatch.set_routine_access
CREATE ROLE access_example LOGIN;
SELECT cartwatch.set_routine_access('access_example', cartwatch.daemon_functions(), true);
SELECT cartwatch.set_routine_access('access_example', cartwatch.daemon_functions(), false,
                                    cartwatch.retention_functions());
SELECT has_schema_privilege('access_example', 'cartwatch', 'USAGE');

-- example: cartwatch.order_is_valid
SELECT status, cartwatch.order_is_valid(status), cartwatch.order_is_cancelled(status)
  FROM unnest(ARRAY['pending', 'paid', 'shipped', 'delivered', 'cancelled', 'returned', 'refunded']) AS status;

-- example: cartwatch.order_is_cancelled
SELECT count(*) FILTER (WHERE cartwatch.order_is_cancelled(status)) AS cancelled,
       sum(total) FILTER (WHERE cartwatch.order_is_cancelled(status)) AS cancelled_value
  FROM cartwatch.orders;

-- example: cartwatch.customer_order_figures
SELECT * FROM cartwatch.customer_order_figures WHERE customer_id = 1;

-- example: cartwatch.customer_cart_figures
SELECT * FROM cartwatch.customer_cart_figures WHERE customer_id = 1;

-- example: cartwatch.customer_visit_figures
SELECT * FROM cartwatch.customer_visit_figures WHERE customer_id = 1;

-- example: cartwatch.customer_account_figures
SELECT * FROM cartwatch.customer_account_figures WHERE customer_id = 1;

-- example: cartwatch.open_carts_abandoned
-- Two open carts, idle for 5 and 3 hours: both are abandoned under the default 2 hours.
SELECT cartwatch.open_carts_abandoned(2, now() - interval '5 hours', now() - interval '3 hours');

-- example: cartwatch.customer_reminder_figures
SELECT * FROM cartwatch.customer_reminder_figures WHERE reminders_sent > 0;

-- example: cartwatch.customer_totals
-- The top customers by paid value, read from the narrow summary table:
SELECT customer_id, paid_value, valid_orders FROM cartwatch.customer_totals
 ORDER BY paid_value DESC, customer_id LIMIT 5;

-- example: cartwatch.customer_totals_live
SELECT * FROM cartwatch.customer_totals_live WHERE customer_id = 1;

-- example: cartwatch.customer_summary
SELECT customer_name, customer_type, valid_orders, paid_value, cancelled_value, abandoned_carts,
       last_visit_at
  FROM cartwatch.customer_summary
 ORDER BY paid_value DESC, customer_id
 LIMIT 10;

-- example: cartwatch.customer_summary_maintain
-- A new visit shows in the summary at once:
INSERT INTO cartwatch.visits (customer_id, started_at) VALUES (1, now());
SELECT visits_count, last_visit_at FROM cartwatch.customer_summary WHERE customer_id = 1;

-- example: cartwatch.attach_reminders_to_customer_summary
-- Idempotent; true once the reminder outbox is installed (it is, in cartwatch 0.1.0).
SELECT cartwatch.attach_reminders_to_customer_summary();

-- example: cartwatch.rebuild_customer_summary
-- After a data-only restore with --disable-triggers; returns the rows it corrected.
SELECT cartwatch.rebuild_customer_summary();

-- example: cartwatch.check_customer_summary
SELECT * FROM cartwatch.check_customer_summary();

-- example: cartwatch.customer_orders
SELECT order_id, placed_at, status, valid, total, currency, item_count
  FROM cartwatch.customer_orders WHERE customer_id = 1 ORDER BY placed_at DESC;

-- example: cartwatch.customer_unordered_carts
SELECT cart_id, last_activity_at, item_count, value, status
  FROM cartwatch.customer_unordered_carts WHERE customer_id = 1 ORDER BY last_activity_at DESC;

-- example: cartwatch.customer_purchased_products
SELECT product_name, quantity, orders, last_purchased_at
  FROM cartwatch.customer_purchased_products WHERE customer_id = 1 ORDER BY quantity DESC;

-- example: cartwatch.customer_viewed_products
SELECT product_name, views, last_viewed_at
  FROM cartwatch.customer_viewed_products WHERE customer_id = 1 ORDER BY views DESC;

-- example: cartwatch.customer_visits
SELECT started_at, ip, start_url, exit_url, duration, page_views, purchased
  FROM cartwatch.customer_visits WHERE customer_id = 1 ORDER BY started_at DESC LIMIT 5;

-- example: cartwatch.customer_notes
SELECT customer_id, note, updated_at, updated_by FROM cartwatch.customer_notes;

-- example: cartwatch.set_customer_note
SELECT note, updated_by FROM cartwatch.set_customer_note(1, 'Prefers delivery to the parcel locker.');
-- An empty note deletes it:
SELECT cartwatch.set_customer_note(1, '');

-- example: cartwatch.wishlist_items
INSERT INTO cartwatch.wishlist_items (customer_id, product_id) VALUES (1, 3), (1, 5);

-- example: cartwatch.wishlists
INSERT INTO cartwatch.wishlist_items (customer_id, product_id) VALUES (1, 3), (1, 5);
SELECT customer_name, email, item_count, value, last_change_at, product_names
  FROM cartwatch.wishlists;

-- example: cartwatch.shop_kpis
SELECT conversion_rate_pct, abandoned_carts_today, average_cart_value_30d,
       net_margin_per_visitor_30d, reminder_recovery_rate_pct
  FROM cartwatch.shop_kpis();

-- example: cartwatch.search_fold
SELECT cartwatch.search_fold('ŻÓŁTOWSKA Łucja' COLLATE "C"), lower('ŻÓŁTOWSKA Łucja' COLLATE "C");

-- example: cartwatch.customer_search_text
SELECT cartwatch.customer_search_text('Łukasz', 'Nowak', 'lukasz@poczta.example', NULL);

-- example: cartwatch.search_network
SELECT term, cartwatch.search_network(term)
  FROM unnest(ARRAY['10.1.', '10.1.2', '192.0.2.0/24', '2001:db8::1', '42', 'nowak']) AS term;

-- example: cartwatch.search_customers
SELECT customer_id, first_name, last_name, email, valid_orders, matched_on
  FROM cartwatch.search_customers('nowak');
SELECT customer_id, email, matched_on FROM cartwatch.search_customers('10.1.');

-- example: cartwatch.parse_customers_csv
SELECT line_number, customer_id, first_name, email, sales, registered_at, error
  FROM cartwatch.parse_customers_csv(
      E'ID;Nazwa kontaktu;Imię;Nazwisko;Adres e-mail;Firma;Sprzedaż;Włączony;Newsletter;Oferty partnerów;Rejestracja;Ostatnia wizyta;\r\n'
      '10;Pan;Paweł;Wąs;pawel.was@poczta.example;;191,20 zł;1;1;0;01.11.2021 13:00;;\r\n'
      '11;Pani;Ewa;Bąk;not an address;;0;1;0;0;;;\r\n');

-- example: cartwatch.export_customers_csv
-- As PrestaShop's Polish back office writes it, in the session's time zone: one text value,
-- CRLF after every line, for an application to write as it is. (Not through COPY or \copy:
-- their text format escapes the line ends and backslashes. For a file, see
-- export_customers_csv_lines.)
SET timezone = 'Europe/Warsaw';
SELECT length(cartwatch.export_customers_csv()) AS bytes;

-- example: cartwatch.export_customers_csv_lines
-- The same file a line at a time, whatever the shop's size. From a shell, byte for byte the
-- text form (psql ends each row with LF, chr(13) makes it CRLF; FETCH_COUNT keeps psql's
-- memory to 10,000 rows):
--   PGCLIENTENCODING=UTF8 PGTZ=Europe/Warsaw psql -X -At -v ON_ERROR_STOP=1 -v FETCH_COUNT=10000 \
--       -c 'SELECT line || chr(13) FROM cartwatch.export_customers_csv_lines()' > customers.csv
SELECT line FROM cartwatch.export_customers_csv_lines() LIMIT 3;

-- example: cartwatch.import_customers_csv
-- Each line applied on its own; a bad line is reported, the others go in.
SELECT * FROM cartwatch.import_customers_csv(
    E'ID;Nazwa kontaktu;Imię;Nazwisko;Adres e-mail;Firma;Sprzedaż;Włączony;Newsletter;Oferty partnerów;Rejestracja;Ostatnia wizyta;\r\n'
    ';Pan;Paweł;Wąs;pawel.was@poczta.example;;0;1;1;0;01.11.2021 13:00;;\r\n'
    ';Pani;Ewa;Bąk;not an address;;0;1;0;0;;;\r\n');

-- example: cartwatch.reminder_outcome_unknown
-- The daemon got no reply after the message body: maybe delivered. Recorded per the
-- lost_lease setting (unknown by default: never sent twice).
SELECT r.reminder_id, cartwatch.reminder_outcome_unknown(r.reminder_id, 'docs-worker',
                                                          'no reply after the final dot')
  FROM cartwatch.claim_reminders('docs-worker', 1) AS r;

-- example: cartwatch.retention_policies
SELECT target, keep, schedule_interval, last_run_finished, last_status, last_rows_removed, next_run
  FROM cartwatch.retention_policies;

-- example: cartwatch.retention_runs
SELECT * FROM cartwatch.retention_runs ORDER BY 1 DESC LIMIT 10;

-- example: cartwatch.retention_targets
SELECT * FROM cartwatch.retention_targets;

-- example: cartwatch.retention_policy_values
-- What the shop changed from the defaults (the rows pg_dump keeps).
SELECT * FROM cartwatch.retention_policy_values;

-- example: cartwatch.add_retention_policy
SELECT cartwatch.remove_retention_policy('visits');
SELECT cartwatch.add_retention_policy('visits', '180 days', '1 day');

-- example: cartwatch.alter_retention_policy
SELECT target, keep, schedule_interval
  FROM cartwatch.alter_retention_policy('abandoned_carts', keep => '60 days');

-- example: cartwatch.remove_retention_policy
SELECT cartwatch.remove_retention_policy('product_views', if_exists => true);

-- example: cartwatch.run_retention
-- A procedure that commits between batches, so it runs outside a transaction block:
--   CALL cartwatch.run_retention();                          -- every policy, now
--   CALL cartwatch.run_retention(due_only => true);          -- only the policies that are due
--   CALL cartwatch.run_retention(target => 'empty_carts', batch_size => 1000);
-- What it would do next:
SELECT target, next_run FROM cartwatch.retention_policies ORDER BY next_run;

-- example: cartwatch.retention_functions
SELECT unnest(cartwatch.retention_functions());

-- example: cartwatch.grant_retention
CREATE ROLE retention_example LOGIN;
SELECT cartwatch.grant_retention('retention_example');
SELECT has_function_privilege('retention_example',
                              'cartwatch.run_retention(timestamptz, integer, text, boolean)', 'EXECUTE') AS may_run,
       has_table_privilege('retention_example', 'cartwatch.carts', 'DELETE') AS may_delete;

-- example: cartwatch.revoke_retention
CREATE ROLE retention_example LOGIN;
SELECT cartwatch.grant_retention('retention_example');
SELECT cartwatch.revoke_retention('retention_example');

-- example: cartwatch.retention_runner_status
-- What cartwatchd checks before it runs retention: worker, not_granted or ready.
SELECT cartwatch.retention_runner_status();

-- example: cartwatch.retention_next_due
SELECT cartwatch.retention_next_due() AS next_policy_due;

-- example: cartwatch.retention_worker_pid
-- The retention worker's process, when cartwatch is in shared_preload_libraries.
SELECT cartwatch.retention_worker_pid();

-- example: cartwatch.check_retention_intervals
-- Internal: the check add/alter_retention_policy run on their intervals.
SELECT cartwatch.check_retention_intervals('90 days', '1 hour');

-- example: cartwatch.store_retention_policy
-- Internal to add/alter_retention_policy: stores a policy's values.
SELECT cartwatch.store_retention_policy('visits', '400 days', '1 hour');

-- example: cartwatch.lock_retention_policy
-- Internal: run_retention takes a policy's lock (an advisory lock) with this.
SELECT target FROM cartwatch.lock_retention_policy('visits');
SELECT cartwatch.retention_unlock('visits');

-- example: cartwatch.retention_unlock
SELECT cartwatch.retention_unlock('visits');

-- example: cartwatch.retention_lock_class
-- Internal: the first key of the advisory locks retention runs take.
SELECT cartwatch.retention_lock_class();

-- example: cartwatch.retention_target
SELECT * FROM cartwatch.retention_target('empty_carts');

-- example: cartwatch.retention_pause
-- Internal: the pause after a batch that took 20 ms (60 ms with the default duty of 0.25).
SELECT cartwatch.retention_pause('20 milliseconds');

-- example: cartwatch.retention_pause_after
-- How long a run rests after a 120 ms batch: 360 ms at the default retention_max_duty (0.25).
SELECT cartwatch.retention_pause_after('120 milliseconds');

-- example: cartwatch.retention_batch_sql
-- The statement one batch of abandoned carts runs ($1: cutoff, $2: batch size).
SELECT cartwatch.retention_batch_sql('abandoned_carts');

-- example: cartwatch.retention_prepare_run
-- Internal to run_retention: the targets a run would take on (and locks them).
SELECT cartwatch.retention_prepare_run(now(), 5000, NULL, false);

-- example: cartwatch.retention_start_run
-- Internal to run_retention: opens a row of retention_runs.
SELECT cartwatch.retention_start_run('visits', now(), false);

-- example: cartwatch.retention_run_batch
-- Internal to run_retention: one batch of one run (run id, batch size).
SELECT cartwatch.retention_run_batch(cartwatch.retention_start_run('visits', now(), false), 100);

-- example: cartwatch.retention_finish_run
SELECT cartwatch.retention_finish_run(cartwatch.retention_start_run('visits', now(), false),
                                      'succeeded', NULL);

-- example: cartwatch.personal_data
-- Where cartwatch holds personal data, and what erasure does with each place.
SELECT * FROM cartwatch.personal_data;

-- example: cartwatch.personal_data_rules
SELECT * FROM cartwatch.personal_data_rules;

-- example: cartwatch.forget_customer
-- Right to be forgotten: erases what cartwatch holds on customer 5, keeps the orders' money
-- figures anonymised and the opt-out as a hash; returns what was done per table.
SELECT * FROM cartwatch.forget_customer(5);

-- example: cartwatch.forget_email
SELECT * FROM cartwatch.forget_email('gosc.224@poczta.example');

-- example: cartwatch.export_customer
-- Right of access: everything held about customer 5.
SELECT jsonb_pretty(cartwatch.export_customer(5));

-- example: cartwatch.export_email
SELECT jsonb_object_keys(cartwatch.export_email('gosc.224@poczta.example'));

-- example: cartwatch.export_personal_data
-- Internal to export_customer/export_email: by customer ids and addresses.
SELECT jsonb_typeof(cartwatch.export_personal_data(ARRAY[5::bigint], ARRAY[]::text[]));

-- example: cartwatch.erase_personal_data
-- Internal to forget_customer/forget_email: by customer ids and addresses.
SELECT * FROM cartwatch.erase_personal_data(ARRAY[6::bigint], ARRAY[]::text[], true);

-- example: cartwatch.check_subject_customer
-- Internal: refuses an unknown or NULL customer before an erasure or export.
SELECT cartwatch.check_subject_customer(5);

-- example: cartwatch.check_subject_email
SELECT cartwatch.check_subject_email('  Gosc.224@Poczta.Example ');

-- example: cartwatch.personal_data_subject
-- Internal: the customers and addresses that belong to one person.
SELECT * FROM cartwatch.personal_data_subject(ARRAY[5::bigint], ARRAY[]::text[]);

-- example: cartwatch.personal_data_condition
-- Internal: the WHERE clause erasure builds for a table from its columns.
SELECT cartwatch.personal_data_condition(ARRAY['customer_id'], ARRAY[]::text[], ARRAY[]::text[]);
