-- A demo shop for cartwatch: customers with Polish, German, French and English names and
-- locales, guests and registered ones, consent as real shops have it, a catalogue with prices
-- and cost prices, carts at every stage, orders in every status, visits and product views.
--
-- Deterministic: the same seed and sizes give the same shop. Sizes go from a few hundred rows
-- to millions (everything is set-based; nothing loops per row).
--
--   psql -v seed=42 -v customers=300 -v as_of="'2026-11-20 12:00+00'" -f scripts/demo-shop.sql
--
-- as_of is the shop's "now": carts are active, freshly abandoned or old relative to it, so a
-- demo run at any date sees the same picture. Ids start at 1 in an empty cartwatch schema.
\set ON_ERROR_STOP on
\if :{?seed}
\else
\set seed 42
\endif
\if :{?customers}
\else
\set customers 300
\endif
\if :{?as_of}
\else
\set as_of 'now()'
\endif

BEGIN;
SET LOCAL client_min_messages = warning;
-- random() is reproducible after setseed() in a single-process INSERT ... SELECT.
SELECT setseed((:seed % 1000) / 1000.0);

CREATE TEMP TABLE demo_names (locale text, gender char, kind text, pos int, name text) ON COMMIT DROP;
INSERT INTO demo_names (locale, gender, kind, pos, name)
SELECT l, g, k, ord, n
  FROM (VALUES
    ('pl', 'f', 'first', '{Anna,Katarzyna,Małgorzata,Agnieszka,Magdalena,Zofia,Joanna,Ewa,Barbara,Aleksandra}'),
    ('pl', 'm', 'first', '{Piotr,Tomasz,Michał,Paweł,Krzysztof,Jakub,Łukasz,Marcin,Grzegorz,Wojciech}'),
    ('pl', 'f', 'last',  '{Kowalska,Nowak,Wiśniewska,Wójcik,Kamińska,Lewandowska,Zielińska,Szymańska,Woźniak,Dąbrowska}'),
    ('pl', 'm', 'last',  '{Kowalski,Nowak,Wiśniewski,Wójcik,Kamiński,Lewandowski,Zieliński,Szymański,Woźniak,Dąbrowski}'),
    ('de', 'f', 'first', '{Anna,Sophie,Marie,Lena,Julia,Hannah,Katrin,Ursula,Jana,Charlotte}'),
    ('de', 'm', 'first', '{Lukas,Jürgen,Felix,Maximilian,Jonas,Tobias,Stefan,Matthias,Jörg,Uwe}'),
    ('de', 'f', 'last',  '{Müller,Schmidt,Schneider,Fischer,Weber,Meyer,Wagner,Becker,Schäfer,Groß}'),
    ('de', 'm', 'last',  '{Müller,Schmidt,Schneider,Fischer,Weber,Meyer,Wagner,Becker,Schäfer,Groß}'),
    ('fr', 'f', 'first', '{Camille,Léa,Chloé,Manon,Élodie,Inès,Juliette,Margaux,Céline,Hélène}'),
    ('fr', 'm', 'first', '{Lucas,Hugo,Théo,François,Jérôme,Louis,Mathéo,Étienne,Noël,Benoît}'),
    ('fr', 'f', 'last',  '{Martin,Bernard,Dubois,Thomas,Robert,Richard,Petit,Durand,Lefèvre,Moreau}'),
    ('fr', 'm', 'last',  '{Martin,Bernard,Dubois,Thomas,Robert,Richard,Petit,Durand,Lefèvre,Moreau}'),
    ('en', 'f', 'first', '{Emily,Olivia,Sophie,Charlotte,Amelia,Grace,Isla,Jessica,Lucy,Hannah}'),
    ('en', 'm', 'first', '{James,Oliver,Harry,George,Jack,Thomas,William,Noah,Alfie,Henry}'),
    ('en', 'f', 'last',  '{Smith,Jones,Taylor,Brown,Williams,Wilson,Johnson,Davies,Evans,Walker}'),
    ('en', 'm', 'last',  '{Smith,Jones,Taylor,Brown,Williams,Wilson,Johnson,Davies,Evans,Walker}'))
       AS v(l, g, k, names),
       unnest(names::text[]) WITH ORDINALITY AS u(n, ord);

-- Customers: 40 % Polish, 25 % German, 20 % French, 15 % English; 70 % registered, the rest
-- guest accounts from checkouts without registration. About half of the registered customers
-- agreed to cart reminders, as opt-in checkboxes typically end up.
CREATE TEMP TABLE demo_people ON COMMIT DROP AS
SELECT g AS id,
       CASE WHEN r1 < 0.40 THEN 'pl' WHEN r1 < 0.65 THEN 'de' WHEN r1 < 0.85 THEN 'fr' ELSE 'en' END AS locale,
       CASE WHEN r2 < 0.55 THEN 'f' ELSE 'm' END AS gender,
       1 + floor(r3 * 10)::int AS first_pos,
       1 + floor(r4 * 10)::int AS last_pos,
       r5 < 0.70 AS registered,
       r6 AS consent_draw
  FROM (SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
               random() AS r6
          FROM generate_series(1, :customers) AS g) AS draws;

INSERT INTO cartwatch.customers
       (customer_id, email, title, first_name, last_name, company, locale, registered_at,
        activated, enabled, newsletter, partner_offers, reminder_consent, birthday,
        loyalty_points, created_at)
SELECT p.id,
       -- lower() folds only ASCII in a C-locale database: fold the accented capitals by hand.
       lower(translate(f.name || '.' || l.name,
                       'ąćęłńóśźżäöüßéèêëàâçîïôûùĄĆĘŁŃÓŚŹŻÄÖÜÉÈÊËÀÂÇÎÏÔÛÙ',
                       'acelnoszzaouseeeeaaciiouuACELNOSZZAOUEEEEAACIIOUU'))
           || '.' || p.id || '@'
           || CASE p.locale WHEN 'pl' THEN 'poczta' WHEN 'de' THEN 'post'
                            WHEN 'fr' THEN 'courriel' ELSE 'mail' END || '.example',
       CASE p.locale WHEN 'pl' THEN CASE p.gender WHEN 'f' THEN 'Pani' ELSE 'Pan' END
                     WHEN 'de' THEN CASE p.gender WHEN 'f' THEN 'Frau' ELSE 'Herr' END
                     WHEN 'fr' THEN CASE p.gender WHEN 'f' THEN 'Mme' ELSE 'M.' END
                     ELSE CASE p.gender WHEN 'f' THEN 'Ms' ELSE 'Mr' END END,
       f.name, l.name,
       CASE WHEN p.id % 17 = 0 THEN l.name || CASE p.locale WHEN 'pl' THEN ' Sp. z o.o.'
                                                          WHEN 'de' THEN ' GmbH'
                                                          WHEN 'fr' THEN ' SARL' ELSE ' Ltd' END END,
       p.locale,
       CASE WHEN p.registered THEN :as_of::timestamptz - (30 + p.id % 700) * interval '1 day' END,
       p.registered,
       p.id % 97 <> 0,
       p.registered AND p.consent_draw < 0.35,
       p.registered AND p.consent_draw < 0.20,
       p.registered AND p.consent_draw < 0.55,
       CASE WHEN p.id % 3 = 0 THEN date '1960-01-01' + (p.id * 37 % 15000) END,
       CASE WHEN p.registered THEN (p.id * 13) % 400 ELSE 0 END,
       :as_of::timestamptz - (30 + p.id % 700) * interval '1 day'
  FROM demo_people AS p
  JOIN demo_names AS f ON f.locale = p.locale AND f.gender = p.gender AND f.kind = 'first' AND f.pos = p.first_pos
  JOIN demo_names AS l ON l.locale = p.locale AND l.gender = p.gender AND l.kind = 'last' AND l.pos = p.last_pos;

-- The catalogue: a gift and outdoor shop, cost price 40-60 % of the price.
INSERT INTO cartwatch.products (product_id, reference, name, price, cost_price, stock)
SELECT row_number() OVER (ORDER BY v.name, s.size),
       upper(left(translate(v.name, ' ąćęłńóśźż,', '_acelnoszz_'), 6)) || '-' || s.size,
       v.name || CASE WHEN s.size = 1 THEN '' ELSE ' ' || s.label END,
       round(v.price * s.factor, 2),
       round(v.price * s.factor * (0.40 + (length(v.name) % 5) * 0.05), 2),
       (length(v.name) * 7 * s.size) % 120
  FROM (VALUES ('Kubek ceramiczny 350 ml', 39.90), ('Plecak turystyczny 30 l', 249.00),
               ('T-shirt bawełniany', 59.00), ('Bluza z kapturem', 179.00),
               ('Czapka zimowa', 49.00), ('Rękawiczki skórzane', 129.00),
               ('Termos stalowy 0,5 l', 89.90), ('Parasol automatyczny', 99.00),
               ('Notes A5 w kratkę', 19.90), ('Lampka biurkowa LED', 149.00),
               ('Koc polarowy', 79.00), ('Świeca zapachowa', 34.90),
               ('Słuchawki bezprzewodowe', 399.00), ('Ładowarka USB-C 65 W', 119.00),
               ('Butelka filtrująca', 69.00), ('Kurtka przeciwdeszczowa', 459.00)) AS v(name, price),
       (VALUES (1, '', 1.0), (2, 'XL', 1.15), (3, 'zestaw 2 szt.', 1.8)) AS s(size, label, factor)
 WHERE s.size = 1 OR v.name IN ('T-shirt bawełniany', 'Bluza z kapturem', 'Kubek ceramiczny 350 ml',
                                'Kurtka przeciwdeszczowa', 'Świeca zapachowa');

-- Carts, 1.5 per customer, at every stage relative to as_of:
--   10 % active (changed within the last 90 minutes)
--   10 % abandoned a few hours ago (2-20 h: the first reminder is due)
--   10 % abandoned 1-6 days ago (the second reminder is due)
--    5 % abandoned 8-60 days ago (too old for reminders; retention takes them at 90 days)
--   50 % ordered
--   15 % empty (opened, nothing put in)
-- A fifth of the carts belong to nobody known: anonymous visitors, some of whom typed an e-mail
-- at checkout before leaving.
CREATE TEMP TABLE demo_carts ON COMMIT DROP AS
SELECT g AS cart_id,
       CASE WHEN random() < 0.80 THEN 1 + floor(random() * :customers)::bigint END AS customer_id,
       random() AS stage_draw,
       random() AS time_draw,
       random() AS guest_draw,
       1 + floor(random() * 4)::int AS lines
  FROM generate_series(1, (:customers * 3) / 2) AS g;

INSERT INTO cartwatch.carts (cart_id, customer_id, guest_email, guest_reminder_consent, ip,
                             locale, currency, created_at, last_activity_at, order_id)
SELECT d.cart_id, d.customer_id,
       CASE WHEN d.customer_id IS NULL AND d.guest_draw < 0.5
            THEN 'gosc.' || d.cart_id || '@' || CASE WHEN d.guest_draw < 0.25 THEN 'poczta' ELSE 'mail' END || '.example' END,
       d.customer_id IS NULL AND d.guest_draw < 0.3,
       ('10.' || d.cart_id % 200 || '.' || (d.cart_id / 200) % 250 || '.' || 1 + d.cart_id % 250)::inet,
       coalesce(c.locale, CASE WHEN d.guest_draw < 0.25 THEN 'pl' ELSE 'en' END),
       CASE WHEN coalesce(c.locale, CASE WHEN d.guest_draw < 0.25 THEN 'pl' ELSE 'en' END) = 'pl'
            THEN 'PLN' ELSE 'EUR' END,
       t.activity - interval '25 minutes',
       t.activity,
       NULL
  FROM demo_carts AS d
  LEFT JOIN cartwatch.customers AS c ON c.customer_id = d.customer_id
 CROSS JOIN LATERAL (SELECT :as_of::timestamptz - CASE
            WHEN d.stage_draw < 0.10 THEN d.time_draw * interval '90 minutes'
            WHEN d.stage_draw < 0.20 THEN interval '2 hours' + d.time_draw * interval '18 hours'
            WHEN d.stage_draw < 0.30 THEN interval '1 day' + d.time_draw * interval '5 days'
            WHEN d.stage_draw < 0.35 THEN interval '8 days' + d.time_draw * interval '52 days'
            ELSE d.time_draw * interval '60 days' END AS activity) AS t;

-- Items, except in empty carts (stage 0.85 and above); each added before the cart's last change.
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
SELECT DISTINCT ON (d.cart_id, p.product_id)
       d.cart_id, p.product_id, 1 + (d.cart_id + n) % 3,
       c.last_activity_at - n * interval '2 minutes'
  FROM demo_carts AS d
  JOIN cartwatch.carts AS c ON c.cart_id = d.cart_id
 CROSS JOIN LATERAL generate_series(0, d.lines - 1) AS n
  JOIN cartwatch.products AS p
    ON p.product_id = 1 + (d.cart_id * 7 + n * 11) % (SELECT count(*) FROM cartwatch.products)
 WHERE d.stage_draw < 0.85;

-- Orders: every cart of the "ordered" stage (0.35-0.85), in every status a shop sees.
INSERT INTO cartwatch.orders (order_id, customer_id, cart_id, email, status, total, currency,
                              placed_at, paid_at, cancelled_at)
SELECT row_number() OVER (ORDER BY c.cart_id), c.customer_id, c.cart_id,
       coalesce(cu.email, c.guest_email),
       s.status, v.total, c.currency, c.last_activity_at + interval '5 minutes',
       CASE WHEN s.status IN ('paid', 'shipped', 'delivered', 'returned', 'refunded')
            THEN c.last_activity_at + interval '12 minutes' END,
       CASE WHEN s.status = 'cancelled' THEN c.last_activity_at + interval '2 days' END
  FROM demo_carts AS d
  JOIN cartwatch.carts AS c ON c.cart_id = d.cart_id
  LEFT JOIN cartwatch.customers AS cu ON cu.customer_id = c.customer_id
 CROSS JOIN LATERAL (SELECT coalesce(sum(i.unit_price * i.quantity), 0) AS total
                       FROM cartwatch.cart_items AS i WHERE i.cart_id = c.cart_id) AS v
 CROSS JOIN LATERAL (SELECT CASE WHEN d.time_draw < 0.40 THEN 'paid'
                                 WHEN d.time_draw < 0.55 THEN 'shipped'
                                 WHEN d.time_draw < 0.80 THEN 'delivered'
                                 WHEN d.time_draw < 0.88 THEN 'pending'
                                 WHEN d.time_draw < 0.94 THEN 'cancelled'
                                 WHEN d.time_draw < 0.97 THEN 'returned'
                                 ELSE 'refunded' END AS status) AS s
 WHERE d.stage_draw >= 0.35 AND d.stage_draw < 0.85;

-- Visits: three per customer over 60 days, plus anonymous ones; a quarter end in a purchase.
INSERT INTO cartwatch.visits (customer_id, ip, started_at, ended_at, start_url, exit_url,
                              page_views, cart_value, purchased)
SELECT CASE WHEN g % 4 = 0 THEN NULL ELSE 1 + (g * 7919) % :customers END,
       ('10.' || g % 200 || '.' || (g / 200) % 250 || '.' || 1 + g % 250)::inet,
       start_at, start_at + (2 + g % 40) * interval '1 minute',
       (ARRAY['/', '/pl/kubki', '/de/rucksaecke', '/fr/bougies', '/en/gifts'])[1 + g % 5],
       (ARRAY['/cart', '/checkout', '/', '/product/12', '/order/confirmation'])[1 + g % 5],
       1 + g % 25,
       CASE WHEN g % 3 = 0 THEN round((20 + g % 400)::numeric, 2) END,
       g % 4 = 1
  FROM generate_series(1::bigint, :customers * 3) AS g
 CROSS JOIN LATERAL (SELECT :as_of::timestamptz - (g % 60) * interval '1 day'
                              - (g % 1440) * interval '1 minute' AS start_at) AS t;

-- Product views: five per customer, some of the products later bought, some never.
INSERT INTO cartwatch.product_views (customer_id, product_id, viewed_at)
SELECT 1 + (g * 104729) % :customers,
       1 + (g * 31) % (SELECT count(*) FROM cartwatch.products),
       :as_of::timestamptz - (g % 45) * interval '1 day' - (g % 600) * interval '1 minute'
  FROM generate_series(1::bigint, :customers * 5) AS g;

-- Ids were given explicitly: move the identity sequences past them.
SELECT setval(pg_get_serial_sequence('cartwatch.customers', 'customer_id'), max(customer_id)) FROM cartwatch.customers;
SELECT setval(pg_get_serial_sequence('cartwatch.products', 'product_id'), max(product_id)) FROM cartwatch.products;
SELECT setval(pg_get_serial_sequence('cartwatch.carts', 'cart_id'), max(cart_id)) FROM cartwatch.carts;
SELECT setval(pg_get_serial_sequence('cartwatch.orders', 'order_id'), max(order_id)) FROM cartwatch.orders;
COMMIT;
ANALYZE;
