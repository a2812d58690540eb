-- cartwatch.cart_lines(), the aggregate behind claim_reminders' items: the same jsonb, to the
-- byte of its text (cartwatchd parses the text), as jsonb_agg(jsonb_build_object(...)) of the
-- same lines, for every kind of value a cart line can hold.
\ir tests/regress/setup.psql
CREATE TABLE lines (line integer, product_id bigint, name text, quantity integer,
                    unit_price numeric(12,2), variant text);
INSERT INTO lines VALUES
    (1, 1, 'Kubek ceramiczny 350 ml', 1, 39.90, ''),
    (2, 2, 'T-shirt „Żółw” "cytat" \ ukośnik', 2, 59.00, 'Kolor: "pomarańczowy", rozmiar: S'),
    (3, 3, E'tab\tnowa linia\nsterujący \u0001 emoji 🐢', 3, 0.00, E'wariant\r'),
    (4, 9223372036854775807, NULL, 2147483647, NULL, NULL),
    (5, 5, '', 7, 'NaN', 'x'),
    (6, 6, repeat('długa nazwa ', 400), 1, 9999999999.99, repeat('w', 3000)),
    (7, 7, 'ułamek', 3, 0.01, ' ');
CREATE VIEW built AS
SELECT (SELECT jsonb_agg(jsonb_build_object('product_id', product_id, 'name', name,
                                            'quantity', quantity, 'unit_price', unit_price,
                                            'line_total', unit_price * quantity,
                                            'variant', nullif(variant, ''))
                         ORDER BY line) FROM lines) AS expected,
       (SELECT cartwatch.cart_lines(product_id, name, quantity, unit_price,
                                    unit_price * quantity, nullif(variant, '') ORDER BY line)
          FROM lines) AS actual;
SELECT actual::text = expected::text AS same_text, actual = expected AS same_value,
       jsonb_array_length(actual) AS lines
  FROM built;
-- Each line on its own, too (an object's keys are sorted per object).
SELECT l.line,
       cartwatch.cart_lines(l.product_id, l.name, l.quantity, l.unit_price,
                            l.unit_price * l.quantity, nullif(l.variant, ''))::text
     = jsonb_agg(jsonb_build_object('product_id', l.product_id, 'name', l.name,
                                    'quantity', l.quantity, 'unit_price', l.unit_price,
                                    'line_total', l.unit_price * l.quantity,
                                    'variant', nullif(l.variant, '')))::text AS same_text
  FROM lines AS l GROUP BY l.line ORDER BY l.line;
-- The text cartwatchd reads: jsonb's usual output, keys in jsonb's order.
SELECT cartwatch.cart_lines(product_id, name, quantity, unit_price, unit_price * quantity,
                            nullif(variant, '') ORDER BY line)
  FROM lines WHERE line IN (1, 4, 5);
-- No lines: NULL, which cart_contents turns into [].
SELECT cartwatch.cart_lines(product_id, name, quantity, unit_price, unit_price * quantity, variant)
  FROM lines WHERE false;
-- Not a window function: its final function closes the array in its state.
SELECT cartwatch.cart_lines(product_id, name, quantity, unit_price, unit_price, variant)
       OVER (ORDER BY line)
  FROM lines;
-- cart_contents builds items with it: a cart with one line of each kind, in added_at order.
INSERT INTO cartwatch.products (product_id, name, price) VALUES (1, 'Kubek', 39.90), (2, 'Koszulka', 59.00);
INSERT INTO cartwatch.carts (cart_id, guest_email) VALUES (1, 'gosc@example.com'), (2, 'pusty@example.com');
INSERT INTO cartwatch.cart_items (cart_id, product_id, variant, product_name, unit_price, quantity, added_at)
VALUES (1, 2, 'Rozmiar: "M"', NULL, 59.00, 2, '2026-11-20 10:00+00'),
       (1, 1, '', 'Kubek „Żółw”', 39.90, 1, '2026-11-20 09:00+00');
SELECT cart_id, items, total FROM cartwatch.cart_contents(ARRAY[1, 2, 1, 999]) ORDER BY cart_id;
