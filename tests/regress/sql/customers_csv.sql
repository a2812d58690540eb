-- PrestaShop customer CSV: export, import, round trip, bad files.
\ir tests/regress/setup.psql
\ir tests/regress/fixtures/shop.psql
SET timezone = 'Europe/Warsaw';

INSERT INTO cartwatch.visits (customer_id, started_at) VALUES (1, '2026-11-20 07:55+00');
-- Hostile but legal values: the delimiter, quotes, a line break, blanks at the ends, seconds.
UPDATE cartwatch.customers
   SET company = E'Kowalska; "Sklep"\r\nS.A.', title = ' Pani ', registered_at = '2025-03-01 10:00:07.5+00'
 WHERE customer_id = 1;
UPDATE cartwatch.customers SET company = '' WHERE customer_id = 3;
SELECT cartwatch.export_customers_csv();

-- The lines form is the same file a record a row: each followed by CRLF, in the order the rows
-- come, they are the text form's bytes. No row carries a line end of its own, the header comes
-- first, then every customer once, by rising id. (Either order or CRLF wrong fails same_bytes.)
CREATE TEMP VIEW lines_against_text AS
SELECT count(*) AS lines, (SELECT count(*) + 1 FROM cartwatch.customers) AS customers_and_header,
       string_agg(l.line || E'\r\n', '' ORDER BY l.n) = cartwatch.export_customers_csv() AS same_bytes,
       count(*) FILTER (WHERE l.line ~ E'[\r\n]$') AS ending_in_a_line_break,
       bool_and(l.n > 1 OR l.line LIKE 'ID;Nazwa kontaktu;%') AS header_first,
       bool_and(l.previous_id IS NULL OR l.id > l.previous_id) AS ids_rising
  FROM (SELECT n, line, id, lag(id) OVER (ORDER BY n) AS previous_id
          FROM cartwatch.export_customers_csv_lines() WITH ORDINALITY AS f (line, n)
         CROSS JOIN LATERAL (SELECT CASE WHEN n > 1 THEN split_part(line, ';', 1)::bigint END AS id) AS i
       ) AS l;
SELECT * FROM lines_against_text;
-- Called in the select list too; the quoted line break stays inside its row.
SELECT cartwatch.export_customers_csv_lines() LIMIT 2;

-- The round trip changes nothing: every row is unchanged, and a second export is identical.
CREATE TEMP TABLE first_export AS SELECT cartwatch.export_customers_csv() AS csv;
SELECT outcome, count(*) FROM cartwatch.import_customers_csv((SELECT csv FROM first_export))
 GROUP BY outcome;
SELECT cartwatch.export_customers_csv() = csv AS identical FROM first_export;
-- Into an empty shop: the same customers come back (sales and last visit are derived data).
CREATE TEMP TABLE before AS
SELECT customer_id, title, first_name, last_name, email, company, enabled, newsletter,
       partner_offers, registered_at FROM cartwatch.customers;
DELETE FROM cartwatch.orders;
DELETE FROM cartwatch.carts;
DELETE FROM cartwatch.visits;
DELETE FROM cartwatch.customers;
-- An empty shop: the header alone, in both forms.
SELECT * FROM cartwatch.export_customers_csv_lines();
SELECT * FROM lines_against_text;
SELECT outcome, count(*) FROM cartwatch.import_customers_csv((SELECT csv FROM first_export))
 GROUP BY outcome;
SELECT * FROM before
EXCEPT
SELECT customer_id, title, first_name, last_name, email, company, enabled, newsletter,
       partner_offers, registered_at FROM cartwatch.customers;
-- Imported ids moved the identity past them.
INSERT INTO cartwatch.customers (email) VALUES ('next@example.com') RETURNING customer_id > 3 AS fresh_id;

-- The seed's layout: a BOM, CRLF, ';' at the end, "191,20 zł", "01.11.2021 13:00", a row
-- without an ID matched by e-mail, and bad rows each rejected with its line.
SELECT * FROM cartwatch.import_customers_csv(
    E'\xEF\xBB\xBFID;Nazwa kontaktu;Imię;Nazwisko;Adres e-mail;Firma;Sprzedaż;Włączony;Newsletter;Oferty partnerów;Rejestracja;Ostatnia wizyta;\r\n'
    '10;Pan;Paweł;Wąs;anonymous@psgdpr.com;;0;1;1;1;01.11.2021 13:00;;\r\n'
    '11;Pan;John;DOE;pub@prestashop.com;"PrestaShop; SA";"1 191,20 zł";1;1;1;20.11.2021 13:01;20.11.2021 13:01;\r\n'
    ';Pani;Anna;Kowalska-Nowak;ANNA.KOWALSKA@example.pl;;;;tak;nie;;;\r\n'
    '\r\n'
    '12;Pan;Short;Row;short@example.com;0;0;1;1;01.11.2021 13:00;\r\n'
    '13;Pan;Bad;Amount;bad1@example.com;;12,3,4 zł;1;0;0;;;\r\n'
    '14;Pan;Bad;Amount;bad2@example.com;;1.234;1;0;0;;;\r\n'
    '15;Pan;Bad;Date;bad3@example.com;;;1;0;0;31.02.2021 10:00;;\r\n'
    '16;Pan;Bad;Date;bad4@example.com;;;1;0;0;20.11.2021 13:0120.11.2021 13:01;;\r\n'
    '17;Pan;Bad;Mail;not-an-email;;;1;0;0;;;\r\n'
    '18;Pan;No;Mail;;;;1;0;0;;;\r\n'
    '19;Pan;Bad;Flag;flag@example.com;;;maybe;0;0;;;\r\n'
    'x1;Pan;Bad;Id;id@example.com;;;1;0;0;;;\r\n'
    '20;Pan;Bad;"Quote"x;q@example.com;;;1;0;0;;;\r\n'
    '21;Pan;Extra;Field;extra@example.com;;;1;0;0;;;surplus\r\n'
    '22;Pan;Last;Line;last@example.com;;;1;0;0;01.11.2021;;');
SELECT customer_id, title, first_name, last_name, email, company, newsletter, partner_offers,
       registered_at FROM cartwatch.customers WHERE customer_id IN (1, 10, 11, 22) ORDER BY 1;

-- English headers in another order are the same file; an unterminated quote ends the file.
SELECT * FROM cartwatch.import_customers_csv(
    E'Email;ID;Social title;First name;Last name;Company;Sales;Enabled;Newsletter;Partner offers;Registration;Last visit\n'
    'en@example.com;;Mr;Eng;Lish;;"191.20";yes;no;no;2021-11-01 13:00:00;\n'
    'open@example.com;;Mr;"Open;quote;;;1;0;0;;\n');

-- Files that are not customer lists at all.
SELECT * FROM cartwatch.import_customers_csv('');
SELECT * FROM cartwatch.import_customers_csv(E'ID;Imię;Nazwisko;Adres e-mail\r\n1;A;B;a@b.pl\r\n');
SELECT * FROM cartwatch.import_customers_csv(E'ID;Nazwa kontaktu;Imię;Nazwisko;Adres e-mail;Firma;Sprzedaż;Włączony;Newsletter;Oferty partnerów;Rejestracja;Ostatnia wizyta;Hasło\r\n');
SELECT * FROM cartwatch.import_customers_csv(NULL);

-- 10,000 rows, every 1,000th broken: 9,990 inserted, 10 rejected with their lines.
SELECT outcome, count(*), min(line_number), max(line_number)
  FROM cartwatch.import_customers_csv(
       'ID;Nazwa kontaktu;Imię;Nazwisko;Adres e-mail;Firma;Sprzedaż;Włączony;Newsletter;Oferty partnerów;Rejestracja;Ostatnia wizyta;'
       || E'\r\n' ||
       (SELECT string_agg(format('%s;Pan;Jan%s;Nowak;jan%s@example.com;;%s;1;0;0;%s;;',
                                 100000 + n, n, n, '0,00 zł',
                                 CASE WHEN n % 1000 = 0 THEN 'abc' ELSE '01.11.2021 13:00' END),
                          E'\r\n' ORDER BY n)
          FROM generate_series(1, 10000) AS n))
 GROUP BY outcome ORDER BY outcome;
SELECT * FROM cartwatch.check_customer_summary();

-- The same 10,000 customers again, all valid this time: the ten rejected above go in, the
-- others are unchanged. With one bad e-mail among them the file goes row by row, and only that
-- row is rejected.
\set header '''ID;Nazwa kontaktu;Imię;Nazwisko;Adres e-mail;Firma;Sprzedaż;Włączony;Newsletter;Oferty partnerów;Rejestracja;Ostatnia wizyta;'''
CREATE TEMP TABLE big_file AS
SELECT :header || E'\r\n' ||
       string_agg(format('%s;Pan;Jan%s;Nowak;jan%s@example.com;;0,00 zł;1;0;0;01.11.2021 13:00;;',
                         100000 + n, n, n), E'\r\n' ORDER BY n) AS csv
  FROM generate_series(1, 10000) AS n;
SELECT outcome, count(*) FROM cartwatch.import_customers_csv((SELECT csv FROM big_file))
 GROUP BY outcome ORDER BY outcome;
SELECT outcome, count(*), min(line_number), max(line_number), min(reason)
  FROM cartwatch.import_customers_csv((SELECT replace(csv, 'jan777@example.com', 'jan777@') FROM big_file))
 GROUP BY outcome ORDER BY outcome;

-- Rows that see each other's work are applied one after the other, in line order: a second
-- row with the same e-mail updates the customer the first one created; a row without an ID
-- whose e-mail names the customer another row updates by ID sees that row's change.
SELECT * FROM cartwatch.import_customers_csv(:header || E'\r\n' ||
    E';Pan;Twin;One;twin@example.com;;;1;0;0;;;\r\n'
    ';Pan;Twin;Two;TWIN@example.com;;;1;1;0;;;\r\n'
    '100001;Pan;Jan;Renamed;jan1.new@example.com;;;1;0;0;;;\r\n'
    ';Pan;Jan;Second;jan1@example.com;;;1;0;0;;;\r\n');
SELECT customer_id, first_name, last_name, email, newsletter FROM cartwatch.customers
 WHERE email IN ('twin@example.com', 'TWIN@example.com', 'jan1.new@example.com', 'jan1@example.com')
 ORDER BY customer_id;
-- A new customer's ID that the identity is about to hand out: the identity moves past it
-- first, so the row without an ID gets another id and both customers go in.
SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END AS next_id
  FROM cartwatch.customers_customer_id_seq \gset
SELECT line_number, outcome, customer_id = :next_id AS next_id, reason
  FROM cartwatch.import_customers_csv(:header || E'\r\n' ||
       E';Pan;Early;Bird;early@example.com;;;1;0;0;;;\r\n' ||
       format(E'%s;Pan;Late;Comer;late@example.com;;;1;0;0;;;\r\n', :next_id));
SELECT first_name FROM cartwatch.customers WHERE email IN ('early@example.com', 'late@example.com')
 ORDER BY 1;
-- An ID two ahead of the identity, then three rows without one: none of them is handed it.
SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END AS next_id
  FROM cartwatch.customers_customer_id_seq \gset
SELECT line_number, outcome, customer_id - :next_id AS past_next_id, reason
  FROM cartwatch.import_customers_csv(:header || E'\r\n' ||
       format(E'%s;Pan;Own;Id;own.id@example.com;;;1;0;0;;;\r\n', :next_id + 2) ||
       E';Pan;New;One;new.one@example.com;;;1;0;0;;;\r\n'
       ';Pan;New;Two;new.two@example.com;;;1;0;0;;;\r\n'
       ';Pan;New;Three;new.three@example.com;;;1;0;0;;;\r\n');
-- The shop inserted ids of its own without moving the identity: new customers skip them.
SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END AS next_id
  FROM cartwatch.customers_customer_id_seq \gset
INSERT INTO cartwatch.customers (customer_id, email)
VALUES (:next_id, 'shop.own1@example.com'), (:next_id + 1, 'shop.own2@example.com');
SELECT line_number, outcome, customer_id - :next_id AS past_next_id, reason
  FROM cartwatch.import_customers_csv(:header || E'\r\n' ||
       E';Pan;After;One;after.one@example.com;;;1;0;0;;;\r\n'
       ';Pan;After;Two;after.two@example.com;;;1;0;0;;;\r\n');
SELECT * FROM cartwatch.check_customer_summary();

-- An unterminated quote takes the rest of the file with it: the rows before it go in, and its
-- rejection names every line it swallowed, so none of them vanishes unreported.
SELECT * FROM cartwatch.import_customers_csv(:header || E'\r\n' ||
    E'200001;Pan;Before;Quote;before.quote@example.com;;;1;0;0;;;\r\n'
    ';;"Jan;Kowalski;jan.open@example.com;;;1;0;0;;;\r\n'
    ';Pan;Swallowed;One;swallowed1@example.com;;;1;0;0;;;\r\n'
    ';Pan;Swallowed;Two;swallowed2@example.com;;;1;0;0;;;\r\n');

-- Ids of 0 and below are customers too (the identity is BY DEFAULT): exported, and read back.
INSERT INTO cartwatch.customers (customer_id, email, first_name)
VALUES (0, 'zero@example.com', 'Zero'), (-9223372036854775808, 'min@example.com', 'Min');
SELECT line FROM regexp_split_to_table(cartwatch.export_customers_csv(), E'\r\n') AS line
 WHERE line ~ '^(0|-)';
SELECT outcome, count(*) FROM cartwatch.import_customers_csv(cartwatch.export_customers_csv())
 GROUP BY outcome ORDER BY outcome;
DELETE FROM cartwatch.customers WHERE customer_id <= 0;
SELECT * FROM cartwatch.import_customers_csv(:header || E'\r\n' ||
    E'0;;Zero;;zero@example.com;;;1;0;0;;;\r\n'
    '-9223372036854775808;;Min;;min@example.com;;;1;0;0;;;\r\n'
    '-9223372036854775809;;Below;;below@example.com;;;1;0;0;;;\r\n');

-- Sprzedaż and Ostatnia wizyta are checked, never stored: a bad value there is left out with a
-- warning and the customer goes in. The currency is case-folded, the Polish letter included.
SELECT * FROM cartwatch.import_customers_csv(:header || E'\r\n' ||
    E'200101;Pan;Upper;Zloty;upper.zloty@example.com;;191,20 ZŁ;1;0;0;;;\r\n'
    '200102;Pan;Bad;Sales;bad.sales@example.com;;12 34,5 zł;1;0;0;;;\r\n'
    '200103;Pan;Bad;Visit;bad.visit@example.com;;abc;1;0;0;;31.02.2021 10:00;\r\n'
    '200104;Pan;Bad;Registration;bad.registration@example.com;;;1;0;0;31.02.2021 10:00;;\r\n');

-- Round trips at the edges. A customer without an e-mail address exports with an empty one and
-- reads back by its ID; a row with neither ID nor e-mail is still rejected. The hour the clocks
-- go back shows two instants as one local time: the unchanged export leaves both as they are.
INSERT INTO cartwatch.customers (customer_id, email, first_name, registered_at)
VALUES (200201, NULL, 'No Mail', NULL),
       (200202, 'before@example.com', 'Before', '2024-10-27 00:30+00'),
       (200203, 'after@example.com', 'After', '2024-10-27 01:30+00');
SELECT line FROM regexp_split_to_table(cartwatch.export_customers_csv(), E'\r\n') AS line
 WHERE line ~ '^20020[1-3];';
SELECT outcome, count(*) FROM cartwatch.import_customers_csv(cartwatch.export_customers_csv())
 GROUP BY outcome ORDER BY outcome;
SELECT customer_id, registered_at AT TIME ZONE 'UTC' AS registered_utc
  FROM cartwatch.customers WHERE customer_id IN (200202, 200203) ORDER BY 1;
SELECT * FROM cartwatch.import_customers_csv(:header || E'\r\n' ||
    E';Pan;No;Mail;;;;1;0;0;;;\r\n'
    '200201;;No Mail;;;;;1;1;0;;;\r\n');
-- A local time that differs from the stored one still moves it.
SELECT * FROM cartwatch.import_customers_csv(:header || E'\r\n' ||
    E'200203;;After;;after@example.com;;;1;0;0;27.10.2024 03:30;;\r\n');
SELECT registered_at AT TIME ZONE 'UTC' AS registered_utc FROM cartwatch.customers
 WHERE customer_id = 200203;

-- Registration dates the format cannot hold stop the export, naming the customer; the same
-- last visit (derived data, not imported) is written empty.
UPDATE cartwatch.customers SET registered_at = 'infinity' WHERE customer_id = 200201;
SELECT cartwatch.export_customers_csv();
SELECT count(*) FROM cartwatch.export_customers_csv_lines();
UPDATE cartwatch.customers SET registered_at = '-infinity' WHERE customer_id = 200201;
SELECT cartwatch.export_customers_csv();
UPDATE cartwatch.customers SET registered_at = '0044-03-15 12:00+00 BC' WHERE customer_id = 200201;
SELECT cartwatch.export_customers_csv();
UPDATE cartwatch.customers SET registered_at = '10000-01-01 12:00+00' WHERE customer_id = 200201;
SELECT cartwatch.export_customers_csv();
UPDATE cartwatch.customers SET registered_at = NULL WHERE customer_id = 200201;
INSERT INTO cartwatch.visits (customer_id, started_at) VALUES (200201, 'infinity');
SELECT line FROM regexp_split_to_table(cartwatch.export_customers_csv(), E'\r\n') AS line
 WHERE line ~ '^200201;';

-- What a spreadsheet would run as a formula is written quoted behind a ', and read back as the
-- customer typed it.
INSERT INTO cartwatch.customers (customer_id, email, first_name, last_name, company)
VALUES (200301, 'formula@example.com', '=HYPERLINK("http://evil.example","Klik")', '''=1+1',
        '@SUM(A1)');
SELECT line FROM regexp_split_to_table(cartwatch.export_customers_csv(), E'\r\n') AS line
 WHERE line ~ '^200301;';
SELECT outcome, count(*) FROM cartwatch.import_customers_csv(cartwatch.export_customers_csv())
 GROUP BY outcome ORDER BY outcome;
SELECT first_name, last_name, company FROM cartwatch.customers WHERE customer_id = 200301;

-- Sprzedaż in the currency of the customer's paid orders: zł for PLN, the code for another,
-- none without paid orders, each currency's amount when there are several (a sum across
-- currencies means nothing).
-- The import reads each back.
INSERT INTO cartwatch.customers (customer_id, email, first_name)
VALUES (200401, 'euro@example.com', 'Euro'), (200402, 'zloty@example.com', 'Zloty'),
       (200403, 'mixed@example.com', 'Mixed'), (200404, 'none@example.com', 'None');
INSERT INTO cartwatch.orders (customer_id, status, total, currency)
VALUES (200401, 'paid', 100.00, 'EUR'), (200401, 'delivered', 78.00, 'EUR'),
       (200401, 'pending', 5.00, 'PLN'),
       (200402, 'shipped', 191.20, 'PLN'),
       (200403, 'paid', 10.00, 'EUR'), (200403, 'paid', 20.00, 'CHF'),
       (200404, 'cancelled', 9.99, 'EUR');
SELECT line FROM regexp_split_to_table(cartwatch.export_customers_csv(), E'\r\n') AS line
 WHERE line ~ '^20040[1-4];';
SELECT line_number, sales, error, warning
  FROM cartwatch.parse_customers_csv(cartwatch.export_customers_csv())
 WHERE customer_id BETWEEN 200401 AND 200404 ORDER BY customer_id;
-- Every case above (guests, a customer without an e-mail address, formulas, several
-- currencies) in both forms.
SELECT * FROM lines_against_text;
SELECT * FROM cartwatch.check_customer_summary();

-- A LATIN2 database reads PrestaShop's own file and writes the same one: the text is converted
-- to UTF-8 and back.
\set latin2_database cw_regress_customers_csv_latin2
\ir tests/regress/fixtures/latin2_database.psql
SET timezone = 'Europe/Warsaw';
SHOW server_encoding;
SELECT * FROM cartwatch.import_customers_csv(
    E'\xEF\xBB\xBFID;Nazwa kontaktu;Imię;Nazwisko;Adres e-mail;Firma;Sprzedaż;Włączony;Newsletter;Oferty partnerów;Rejestracja;Ostatnia wizyta;\r\n'
    '1;Pan;Łukasz;Żółć;lukasz@example.pl;"Sklep; ""Wąs"" S.A.";"1 191,20 zł";1;1;0;01.11.2021 13:00;;\r\n');
SELECT first_name, last_name, company FROM cartwatch.customers;
SELECT cartwatch.export_customers_csv();
SELECT string_agg(line || E'\r\n', '') = cartwatch.export_customers_csv() AS same_bytes
  FROM cartwatch.export_customers_csv_lines();
SELECT outcome, count(*) FROM cartwatch.import_customers_csv(cartwatch.export_customers_csv())
 GROUP BY outcome;
-- Errors name the columns in the database's encoding too.
SELECT * FROM cartwatch.import_customers_csv(E'ID;Imię;Hasło\r\n');
\c :main_database
DROP DATABASE :"latin2_database";
