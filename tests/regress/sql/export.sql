-- export_abandoned_carts(): CSV and XML, and the C++ error boundary.
\ir tests/regress/setup.psql
\ir tests/regress/fixtures/shop.psql
\set as_of '''2026-11-20 12:00+00'''

-- Hostile but legal data: quotes, the delimiter, a line break, markup and a control character.
UPDATE cartwatch.cart_items SET product_name = E'Mug "Big", <b>red</b> & co\r\nline 2\x01'
 WHERE cart_id = 12;
-- (that change was activity; put the cart's clock back to keep it abandoned at as_of)
UPDATE cartwatch.carts SET last_activity_at = '2026-11-18 12:00+00' WHERE cart_id = 12;

SELECT cartwatch.export_abandoned_carts('csv', :as_of);
SELECT cartwatch.export_abandoned_carts('xml', :as_of);
-- XML that PostgreSQL's own parser accepts, with one element per cart.
SELECT xpath('count(/abandoned_carts/cart)', cartwatch.export_abandoned_carts('xml', :as_of)::xml);
SELECT (xpath('/abandoned_carts/cart[@id="12"]/items/item/name/text()',
              cartwatch.export_abandoned_carts('xml', :as_of)::xml))[1]::text;
-- An empty list is a header only, and an empty document.
SELECT cartwatch.export_abandoned_carts('csv', '2026-01-01');
SELECT cartwatch.export_abandoned_carts('xml', '2026-01-01');

-- A failure inside the C++ code is an ordinary SQL error: the session and the server go on.
CREATE TEMP TABLE server_start AS SELECT pg_postmaster_start_time() AS t;
SELECT cartwatch.export_abandoned_carts('pdf', :as_of);
-- A message longer than the error buffer (4 kB) is cut at a character boundary: it stays
-- valid UTF-8 (convert_from refuses anything else), 24 bytes of text and 2,035 letters of two.
DO $$
DECLARE
    message text;
BEGIN
    PERFORM cartwatch.export_abandoned_carts('a' || repeat('ż', 3000), now());
EXCEPTION WHEN invalid_parameter_value THEN
    GET STACKED DIAGNOSTICS message = MESSAGE_TEXT;
    RAISE NOTICE 'a cut message of % bytes, valid UTF-8: %', octet_length(message),
        convert_from(textsend(message), 'UTF8') = message;
END
$$;
SELECT cartwatch.export_abandoned_carts(NULL, :as_of);
SELECT cartwatch.export_abandoned_carts('csv', NULL);
SELECT pg_postmaster_start_time() = t AS same_server, 'still working' AS session
  FROM server_start;
-- Inside a transaction the error rolls back to the savepoint like any other.
BEGIN;
SAVEPOINT before_export;
SELECT cartwatch.export_abandoned_carts('json', :as_of);
ROLLBACK TO SAVEPOINT before_export;
SELECT count(*) AS abandoned FROM cartwatch.abandoned_carts(:as_of);
COMMIT;
