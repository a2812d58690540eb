-- section: PrestaShop customer CSV
--
-- The customer list as PrestaShop's Polish back office exports and imports it (extension/
-- customers_csv.cpp has the format). Sprzedaż (sales: the paid value) and Ostatnia wizyta
-- (last visit) come from the summary on export; on import they are checked but not stored,
-- since cartwatch derives them from orders and visits: a bad value there is left out with a
-- warning, and never costs the row.

CREATE FUNCTION cartwatch.parse_customers_csv(data text)
RETURNS TABLE (line_number integer, customer_id bigint, title text, first_name text,
               last_name text, email text, company text, sales numeric, enabled boolean,
               newsletter boolean, partner_offers boolean, registered_at timestamptz,
               last_visit_at timestamptz, error text, warning text)
AS 'MODULE_PATHNAME', 'cartwatch_parse_customers_csv'
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cartwatch.parse_customers_csv(text) IS
    'Parses a PrestaShop customer CSV (C++: quoting, BOM, CRLF, Polish amounts and dates); one row per record, error set when it is bad, warning when a value of a column that is not stored (sales, last visit) was bad and left out.';

CREATE FUNCTION cartwatch.export_customers_csv() RETURNS text
AS 'MODULE_PATHNAME', 'cartwatch_export_customers_csv'
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cartwatch.export_customers_csv() IS
    'Every customer as a PrestaShop customer CSV (";", CRLF line ends, "191,20 zł", "01.11.2021 13:00" in the session''s time zone); sales in the currency of the customer''s paid orders ("178,00 EUR"), each currency''s amount when they are in several ("10,00 EUR + 20,00 CHF"). One text value: up to about 8 million customers (1 GB), held whole in memory; export_customers_csv_lines() has no limit.';

-- One row per record, without the CRLF that ends each record of the text form: that text is
-- string_agg(line || E'\r\n', '') of these rows in their order, which is the file's. The rows go
-- through a tuplestore (work_mem, then a temporary file), so any number of customers exports.
CREATE FUNCTION cartwatch.export_customers_csv_lines() RETURNS TABLE (line text)
AS 'MODULE_PATHNAME', 'cartwatch_export_customers_csv_lines'
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cartwatch.export_customers_csv_lines() IS
    'The customer CSV of export_customers_csv() a line at a time, for shops of any size: the header, then one row per customer in id order, each without its CRLF line end (a quoted name may hold a line break). Written to a file with psql -At, each line followed by chr(13), it is the same bytes.';

-- A row names its customer by ID; without one, by e-mail (the oldest customer with it); else it
-- is a new customer. A row with an ID may leave the e-mail address empty (the customer has
-- none), a row without one may not. An empty flag keeps the current value (or the default for a
-- new customer); an empty Rejestracja means a guest account, as the export writes it. A
-- Rejestracja that is the stored registration's local time is unchanged, also when that local
-- time occurs twice (the hour the clocks go back): the export wrote it so. Rows are
-- applied in line order, each on its own, so a row the database refuses is rejected with the
-- reason and the others go in.
--
-- Two ways to get there, with the same outcome:
--   fast  one UPDATE and one INSERT for the whole file, inside one subtransaction. Taken when
--         no two rows can see each other's work: no e-mail twice in the file and no customer
--         named by two rows (by ID or by e-mail). Then the order of the rows cannot matter, and
--         new customers still get their ids in line order.
--   row   one subtransaction per row (a savepoint each: about a millisecond per row). Taken for
--         files the fast way does not fit, and when the database refuses anything in the fast
--         way's statement: that statement is rolled back whole and the file goes row by row, so
--         the refused rows are rejected with their line and reason.
CREATE FUNCTION cartwatch.import_customers_csv(data text)
RETURNS TABLE (line_number integer, outcome text, customer_id bigint, reason text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    target bigint;
    constraint_name text;
    registered timestamptz;
    zone text := current_setting('TimeZone');
    max_imported_id bigint;
    independent boolean;
    fast_lines integer[];
    fast_outcomes text[];
    fast_ids bigint[];
    fast_reasons text[];
BEGIN
    -- Where each row would go as the database stands, whether the rows are independent, and
    -- the largest ID a new customer of the file brings.
    WITH parsed AS (
        SELECT p.customer_id, p.email,
               coalesce(p.customer_id,
                        (SELECT c.customer_id FROM cartwatch.customers AS c
                          WHERE cartwatch.email_key(c.email) = cartwatch.email_key(p.email)
                          ORDER BY c.customer_id LIMIT 1)) AS target
          FROM cartwatch.parse_customers_csv(data) AS p
         WHERE p.error IS NULL)
    SELECT count(DISTINCT cartwatch.email_key(p.email)) = count(p.email)
               AND count(DISTINCT p.target) = count(p.target),
           max(p.customer_id) FILTER (
               WHERE NOT EXISTS (SELECT FROM cartwatch.customers AS c
                                  WHERE c.customer_id = p.customer_id))
      INTO independent, max_imported_id
      FROM parsed AS p;
    -- New customers' own ids move the identity past them before anything is inserted: a row
    -- without an ID must never be handed an id that a later row of the file brings.
    IF max_imported_id >= (SELECT CASE WHEN s.is_called THEN s.last_value + 1 ELSE s.last_value END
                             FROM cartwatch.customers_customer_id_seq AS s) THEN
        PERFORM setval(pg_get_serial_sequence('cartwatch.customers', 'customer_id'), max_imported_id);
    END IF;

    IF independent THEN
        -- The outcomes are collected and returned after the block: rows returned inside it
        -- would stay returned if the block failed.
        BEGIN
            WITH placed AS MATERIALIZED (
                -- In line order, so that new customers without an ID take theirs from the
                -- identity in line order, as row by row would.
                SELECT p.*, e.existed, e.kept_registered_at,
                       coalesce(e.target,
                                CASE WHEN p.error IS NULL THEN nextval(pg_get_serial_sequence(
                                     'cartwatch.customers', 'customer_id')) END) AS id
                  FROM (SELECT * FROM cartwatch.parse_customers_csv(data) AS q
                         ORDER BY q.line_number) AS p
                 CROSS JOIN LATERAL (
                       SELECT t.target, s.customer_id IS NOT NULL AS existed,
                              CASE WHEN s.registered_at AT TIME ZONE zone
                                        = p.registered_at AT TIME ZONE zone
                                   THEN s.registered_at ELSE p.registered_at END
                                  AS kept_registered_at
                         FROM (SELECT CASE WHEN p.error IS NULL THEN coalesce(p.customer_id,
                                          (SELECT c.customer_id FROM cartwatch.customers AS c
                                            WHERE cartwatch.email_key(c.email) = cartwatch.email_key(p.email)
                                            ORDER BY c.customer_id LIMIT 1)) END AS target) AS t
                         LEFT JOIN cartwatch.customers AS s ON s.customer_id = t.target
                       ) AS e),
            updated AS (
                UPDATE cartwatch.customers AS c
                   SET title = n.title, first_name = n.first_name, last_name = n.last_name,
                       email = n.email, company = n.company,
                       enabled = coalesce(n.enabled, c.enabled),
                       newsletter = coalesce(n.newsletter, c.newsletter),
                       partner_offers = coalesce(n.partner_offers, c.partner_offers),
                       registered_at = n.kept_registered_at
                  FROM placed AS n
                 WHERE n.existed AND c.customer_id = n.id
                   AND (c.title, c.first_name, c.last_name, c.email::text, c.company, c.enabled,
                        c.newsletter, c.partner_offers, c.registered_at)
                       IS DISTINCT FROM
                       (n.title, n.first_name, n.last_name, n.email, n.company,
                        coalesce(n.enabled, c.enabled), coalesce(n.newsletter, c.newsletter),
                        coalesce(n.partner_offers, c.partner_offers), n.kept_registered_at)
                RETURNING c.customer_id),
            -- Runs although nothing reads it: PostgreSQL runs every data-modifying WITH.
            inserted AS (
                INSERT INTO cartwatch.customers AS c
                       (customer_id, title, first_name, last_name, email, company, enabled,
                        newsletter, partner_offers, registered_at, activated)
                SELECT n.id, n.title, n.first_name, n.last_name, n.email, n.company,
                       coalesce(n.enabled, true), coalesce(n.newsletter, false),
                       coalesce(n.partner_offers, false), n.registered_at,
                       n.registered_at IS NOT NULL
                  FROM placed AS n WHERE n.error IS NULL AND NOT n.existed)
            SELECT array_agg(n.line_number ORDER BY n.line_number),
                   array_agg(CASE WHEN n.error IS NOT NULL THEN 'rejected'
                                  WHEN NOT n.existed THEN 'inserted'
                                  WHEN n.id IN (SELECT u.customer_id FROM updated AS u) THEN 'updated'
                                  ELSE 'unchanged' END ORDER BY n.line_number),
                   array_agg(n.id ORDER BY n.line_number),
                   array_agg(coalesce(n.error, n.warning) ORDER BY n.line_number)
              INTO fast_lines, fast_outcomes, fast_ids, fast_reasons
              FROM placed AS n;
        EXCEPTION WHEN integrity_constraint_violation OR data_exception THEN
            -- Row by row below: the rows the database refuses are rejected with the reason.
            -- (The ids the identity handed out here are skipped, as after any rolled-back
            -- insert.)
            independent := false;
        END;
    END IF;

    IF independent THEN
        RETURN QUERY SELECT * FROM unnest(fast_lines, fast_outcomes, fast_ids, fast_reasons);
    ELSE
        FOR r IN SELECT * FROM cartwatch.parse_customers_csv(data) AS p ORDER BY p.line_number LOOP
            line_number := r.line_number;
            customer_id := NULL;
            reason := coalesce(r.error, r.warning);
            IF r.error IS NOT NULL THEN
                outcome := 'rejected';
                RETURN NEXT;
                CONTINUE;
            END IF;
            BEGIN
                target := r.customer_id;
                IF target IS NULL THEN
                    SELECT c.customer_id INTO target FROM cartwatch.customers AS c
                     WHERE cartwatch.email_key(c.email) = cartwatch.email_key(r.email)
                     ORDER BY c.customer_id LIMIT 1;
                END IF;
                outcome := NULL;
                IF target IS NOT NULL THEN
                    registered := coalesce(
                        (SELECT c.registered_at FROM cartwatch.customers AS c
                          WHERE c.customer_id = target
                            AND c.registered_at AT TIME ZONE zone = r.registered_at AT TIME ZONE zone),
                        r.registered_at);
                    UPDATE cartwatch.customers AS c
                       SET title = r.title, first_name = r.first_name, last_name = r.last_name,
                           email = r.email, company = r.company,
                           enabled = coalesce(r.enabled, c.enabled),
                           newsletter = coalesce(r.newsletter, c.newsletter),
                           partner_offers = coalesce(r.partner_offers, c.partner_offers),
                           registered_at = registered
                     WHERE c.customer_id = target
                       AND (c.title, c.first_name, c.last_name, c.email::text, c.company, c.enabled,
                            c.newsletter, c.partner_offers, c.registered_at)
                           IS DISTINCT FROM
                           (r.title, r.first_name, r.last_name, r.email, r.company,
                            coalesce(r.enabled, c.enabled), coalesce(r.newsletter, c.newsletter),
                            coalesce(r.partner_offers, c.partner_offers), registered);
                    IF FOUND THEN
                        outcome := 'updated';
                    ELSIF EXISTS (SELECT FROM cartwatch.customers AS c WHERE c.customer_id = target) THEN
                        outcome := 'unchanged';
                    END IF;
                END IF;
                IF outcome IS NULL AND target IS NULL THEN
                    target := nextval(pg_get_serial_sequence('cartwatch.customers', 'customer_id'));
                    -- The shop inserted ids of its own without moving the identity: skip them
                    -- all at once rather than reject a new customer for an id it never asked for.
                    IF EXISTS (SELECT FROM cartwatch.customers AS c WHERE c.customer_id = target) THEN
                        PERFORM setval(pg_get_serial_sequence('cartwatch.customers', 'customer_id'),
                                       (SELECT max(c.customer_id) FROM cartwatch.customers AS c));
                        target := nextval(pg_get_serial_sequence('cartwatch.customers', 'customer_id'));
                    END IF;
                END IF;
                IF outcome IS NULL THEN
                    INSERT INTO cartwatch.customers AS c
                           (customer_id, title, first_name, last_name, email, company, enabled,
                            newsletter, partner_offers, registered_at, activated)
                    VALUES (target,
                            r.title, r.first_name, r.last_name, r.email, r.company,
                            coalesce(r.enabled, true), coalesce(r.newsletter, false),
                            coalesce(r.partner_offers, false), r.registered_at,
                            r.registered_at IS NOT NULL)
                    RETURNING c.customer_id INTO target;
                    outcome := 'inserted';
                END IF;
                customer_id := target;
            EXCEPTION WHEN integrity_constraint_violation OR data_exception THEN
                GET STACKED DIAGNOSTICS constraint_name = CONSTRAINT_NAME;
                outcome := 'rejected';
                reason := CASE WHEN constraint_name = 'email_address_check'
                               THEN format('invalid e-mail address "%s"', r.email)
                               ELSE SQLERRM END;
            END;
            RETURN NEXT;
        END LOOP;
    END IF;
END
$$;
COMMENT ON FUNCTION cartwatch.import_customers_csv(text) IS
    'Imports a PrestaShop customer CSV: one row per record with its line number and outcome (inserted, updated, unchanged, rejected with the reason); the reason of a row that went in is a warning about a bad value of a column that is not stored (sales, last visit), left out.';
REVOKE ALL ON FUNCTION cartwatch.import_customers_csv(text) FROM PUBLIC;
