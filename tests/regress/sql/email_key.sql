-- email_key(): one address, one person, whatever the case it was typed in and whatever the
-- database's locale. The test cluster runs --locale=C, where lower() alone folds only ASCII.
\ir tests/regress/setup.psql

SELECT pg_catalog.lower('ZOË ŁUCKA' COLLATE "C") AS c_lower_leaves_non_ascii,
       cartwatch.email_key('  ZOË.Łucka@Example.PL ') AS key,
       cartwatch.email_key('zoë.łucka@example.pl') = cartwatch.email_key('ZOË.ŁUCKA@EXAMPLE.PL') AS same,
       cartwatch.email_key(NULL) IS NULL AS null_stays_null;

-- The same person in three places: an account typed in capitals, a guest cart and an order in
-- lower case.
INSERT INTO cartwatch.customers (customer_id, email, first_name, last_name, registered_at,
                                 reminder_consent)
VALUES (1, 'ZOË.ŁUCKA@EXAMPLE.PL', 'Zoë', 'Łucka', '2026-01-01 10:00+00', true),
       (2, 'other@example.pl', 'Olek', 'Inny', '2026-01-01 10:00+00', true);
INSERT INTO cartwatch.products (product_id, name, price) VALUES (1, 'Kubek', 30.00);
INSERT INTO cartwatch.carts (cart_id, customer_id, guest_email, guest_reminder_consent, currency,
                             created_at, last_activity_at)
VALUES (10, 1, NULL, false, 'PLN', '2026-11-20 06:00+00', '2026-11-20 06:00+00'),
       (11, NULL, 'zoë.łucka@example.pl', true, 'PLN', '2026-11-20 07:00+00', '2026-11-20 07:00+00'),
       (12, 2, NULL, false, 'PLN', '2026-11-20 06:00+00', '2026-11-20 06:00+00');
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, unit_price, added_at)
VALUES (10, 1, 1, 30.00, '2026-11-20 06:00+00'), (11, 1, 2, 30.00, '2026-11-20 07:00+00'),
       (12, 1, 1, 30.00, '2026-11-20 06:00+00');

-- The account's cart is superseded by the guest cart of the same address, typed in lower case.
SELECT cart_id, email_key, veto
  FROM cartwatch.cart_reminder_facts(ARRAY[10, 11, 12], '2026-11-20 12:00+00') ORDER BY cart_id;

-- An opt-out typed in lower case holds for the address typed in capitals, and the other way.
SELECT cartwatch.suppress('zoë.łucka@example.pl', 'manual') IS NOT NULL AS suppressed;
SELECT cartwatch.is_suppressed('ZOË.ŁUCKA@EXAMPLE.PL') AS capitals_suppressed,
       cartwatch.is_suppressed('other@example.pl') AS other_suppressed;
SELECT cart_id, veto
  FROM cartwatch.cart_reminder_facts(ARRAY[11], '2026-11-20 12:00+00');

-- A later order under the address in another case rules out a reminder for the cart.
SELECT cartwatch.unsuppress('ZOË.ŁUCKA@example.pl') AS unsuppressed;
INSERT INTO cartwatch.orders (order_id, customer_id, email, status, total, currency, placed_at)
VALUES (100, NULL, 'Zoë.Łucka@Example.pl', 'paid', 60.00, 'PLN', '2026-11-20 08:00+00');
SELECT cart_id, veto
  FROM cartwatch.cart_reminder_facts(ARRAY[11], '2026-11-20 12:00+00');

-- The right of access finds the account, the guest cart and the order from either spelling.
SELECT customer_ids, emails, cart_ids
  FROM cartwatch.personal_data_subject(NULL, ARRAY['ZOË.ŁUCKA@EXAMPLE.PL']);

-- The admin search finds the account by its address in any case.
SELECT customer_id, matched_on FROM cartwatch.search_customers('zoë.łucka@example.pl');

-- Every comparison above reads the e-mail indexes: the key and the indexes are one expression.
SET enable_seqscan = off;
EXPLAIN (COSTS OFF)
SELECT customer_id FROM cartwatch.customers WHERE cartwatch.email_key(email) = cartwatch.email_key('ZOË@X.PL');
EXPLAIN (COSTS OFF)
SELECT cart_id FROM cartwatch.carts WHERE cartwatch.email_key(guest_email) = 'zoë@x.pl';
EXPLAIN (COSTS OFF)
SELECT order_id FROM cartwatch.orders WHERE cartwatch.email_key(email) = 'zoë@x.pl';
RESET enable_seqscan;

-- A Unicode domain and its ASCII form (what cartwatchd sends to when the relay offers no
-- SMTPUTF8, and what a bounce names) are one address; a domain that is no valid IDN keeps its
-- letters, lower-cased; the local part stays as typed, lower-cased.
SELECT cartwatch.email_key('Anna@Müller.DE') AS unicode_domain,
       cartwatch.email_key(' anna@XN--MLLER-KVA.de') AS ascii_domain,
       cartwatch.email_key('Anna@Müller.DE') = cartwatch.email_key('anna@xn--mller-kva.de') AS same,
       cartwatch.email_key('ZOË@Żółw.PL') AS both_beyond_ascii,
       cartwatch.email_key('x@☃.Example') AS not_an_idn,
       cartwatch.email_key('   ') AS blank,
       cartwatch.email_key('No-At-Sign') AS no_at;
-- An opt-out recorded under the ASCII form holds for the address typed in Unicode, and a
-- search by either form finds the account.
INSERT INTO cartwatch.customers (customer_id, email, first_name, last_name)
VALUES (3, 'Jürgen@Müller.de', 'Jürgen', 'Müller');
SELECT cartwatch.suppress('jürgen@xn--mller-kva.de', 'manual') IS NOT NULL AS suppressed;
SELECT cartwatch.is_suppressed('JÜRGEN@MÜLLER.DE') AS unicode_form_suppressed;
SELECT customer_ids FROM cartwatch.personal_data_subject(NULL, ARRAY['jürgen@xn--mller-kva.de']);

-- In a LATIN2 database the domain goes to the IDNA conversion in UTF-8, and comes out the same.
\set latin2_database cw_regress_email_key_latin2
\ir tests/regress/fixtures/latin2_database.psql
SELECT cartwatch.email_key('Anna@Müller.DE') AS unicode_domain,
       cartwatch.email_key('ŁUCJA@Łódź.PL') AS polish,
       cartwatch.email_key('ZOË@X.PL') AS local_part_beyond_ascii;
\c :main_database
DROP DATABASE :"latin2_database";
