-- Shop KPIs and the customer search.
\ir tests/regress/setup.psql
\ir tests/regress/fixtures/shop.psql
\set as_of '''2026-11-20 12:00+00'''

-- Three visitors in 30 days: Anna twice (one visitor), Jürgen and an anonymous IP; a fourth
-- visit is too old to count.
INSERT INTO cartwatch.visits (customer_id, ip, started_at)
VALUES (1, '192.0.2.10', '2026-11-19 09:00+00'), (1, '192.0.2.10', '2026-11-20 08:00+00'),
       (2, '192.0.2.11', '2026-11-20 10:00+00'), (NULL, '198.51.100.15', '2026-11-19 11:00+00'),
       (NULL, '198.51.100.99', '2026-10-01 11:00+00');
-- A pending order does not convert; a cancelled one neither.
INSERT INTO cartwatch.orders (customer_id, status, total, placed_at)
VALUES (2, 'pending', 50.00, '2026-11-20 10:40+00'), (2, 'cancelled', 20.00, '2026-11-15 10:00+00');
SELECT * FROM cartwatch.shop_kpis(:as_of);
-- Nothing happened before the shop opened: ratios are NULL, not zero.
SELECT * FROM cartwatch.shop_kpis('2020-01-01');
SELECT * FROM cartwatch.shop_kpis(NULL);

-- Search by name (any word order, any case), e-mail, company, IP, network, id.
SELECT customer_id, first_name, last_name, matched_on FROM cartwatch.search_customers('KOWALSKA anna');
SELECT customer_id, email, matched_on FROM cartwatch.search_customers('juergen@example.de');
SELECT customer_id, company, matched_on FROM cartwatch.search_customers('gmbh');
SELECT customer_id, matched_on FROM cartwatch.search_customers('192.0.2.14');
SELECT customer_id, matched_on FROM cartwatch.search_customers('192.0.2.0/24');
SELECT customer_id, matched_on FROM cartwatch.search_customers('192.0.');
SELECT customer_id, matched_on FROM cartwatch.search_customers('3');
SELECT customer_id, matched_on FROM cartwatch.search_customers('example', 2);
-- Case folds by Unicode rules even where lower() would fold ASCII alone (the C collation,
-- common in databases created for speed): Polish capitals match.
SELECT cartwatch.customer_search_text('Łukasz' COLLATE "C", 'ŻÓŁW' COLLATE "C", 'Ł@X.PL', NULL);
INSERT INTO cartwatch.customers (email, first_name, last_name)
VALUES ('lukasz.zolw@example.pl', 'Łukasz', 'Żółw');
SELECT first_name, last_name, matched_on FROM cartwatch.search_customers('łukasz ŻÓŁW');
DELETE FROM cartwatch.customers WHERE email = 'lukasz.zolw@example.pl';
-- A complete address finds the customer with it and every one whose text holds it (the index
-- is asked for the local part alone, the whole address is checked after): not an address that
-- only shares the local part or the domain, nor one where a wildcard of the query would match.
INSERT INTO cartwatch.customers (email, first_name, last_name, company)
VALUES ('marta_k@example.pl', 'Marta', 'Exact', NULL),
       ('jmarta_k@example.pl', 'Marta', 'Longer', NULL),
       ('marta_k@example.pl.eu', 'Marta', 'Domain', NULL),
       ('marta_k@other.pl', 'Marta', 'Otherdomain', NULL),
       ('martaxk@example.pl', 'Marta', 'Wildcard', NULL),
       ('office@firma.pl', 'Marta', 'Company', 'Skrzynka marta_k@example.pl');
SELECT last_name, email, matched_on FROM cartwatch.search_customers('MARTA_K@example.pl');
SELECT last_name, matched_on FROM cartwatch.search_customers('marta marta_k@example.pl');
DELETE FROM cartwatch.customers WHERE first_name = 'Marta';
-- LIKE's wildcards in a query are plain characters.
SELECT count(*) FROM cartwatch.search_customers('%');
SELECT count(*) FROM cartwatch.search_customers('a_n');
SELECT * FROM cartwatch.search_customers('  ');
SELECT * FROM cartwatch.search_customers('anna', 0);

-- The name search and the IP search read indexes.
SET enable_seqscan = off;
EXPLAIN (COSTS OFF)
SELECT customer_id FROM cartwatch.customers
 WHERE cartwatch.customer_search_text(first_name, last_name, email, company) LIKE '%kowal%';
EXPLAIN (COSTS OFF)
SELECT customer_id FROM cartwatch.visits WHERE ip <<= '192.0.2.0/24' AND customer_id IS NOT NULL;
RESET enable_seqscan;
