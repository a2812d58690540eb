-- section: PrestaShop customer CSV
--
-- The customer list as PrestaShop's Polish back office exports and imports it (extension/
-- customers_csv.cpp has the format). Sprzedaż (sales: the paid value) and Ostatnia wizyta
-- (last visit) come from the summary on export; on import they are checked but not stored,
-- since cartwatch derives them from orders and visits.

CREATE FUNCTION cartwatch.parse_customers_csv(data text)
RETURNS TABLE (line_number integer, customer_id bigint, title text, first_name text,
               last_name text, email text, company text, sales numeric, enabled boolean,
               newsletter boolean, partner_offers boolean, registered_at timestamptz,
               last_visit_at timestamptz, error text)
AS 'MODULE_PATHNAME', 'cartwatch_parse_customers_csv'
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cartwatch.parse_customers_csv(text) IS
    'Parses a PrestaShop customer CSV (C++: quoting, BOM, CRLF, Polish amounts and dates); one row per record, error set when it is bad.';

CREATE FUNCTION cartwatch.export_customers_csv() RETURNS text
AS 'MODULE_PATHNAME', 'cartwatch_export_customers_csv'
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cartwatch.export_customers_csv() IS
    'Every customer as a PrestaShop customer CSV (";", "191,20 zł", "01.11.2021 13:00" in the session''s time zone).';

-- A row names its customer by ID; without one, by e-mail (the oldest customer with it); else it
-- is a new customer. An empty flag keeps the current value (or the default for a new
-- customer); an empty Rejestracja means a guest account, as the export writes it. Each row is
-- applied on its own, so a row the database refuses is rejected with the reason and the others
-- go in.
CREATE FUNCTION cartwatch.import_customers_csv(data text)
RETURNS TABLE (line_number integer, outcome text, customer_id bigint, reason text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    target bigint;
    constraint_name text;
    max_imported_id bigint := 0;
BEGIN
    FOR r IN SELECT * FROM cartwatch.parse_customers_csv(data) AS p ORDER BY p.line_number LOOP
        line_number := r.line_number;
        customer_id := NULL;
        reason := r.error;
        IF r.error IS NOT NULL THEN
            outcome := 'rejected';
            RETURN NEXT;
            CONTINUE;
        END IF;
        BEGIN
            target := r.customer_id;
            IF target IS NULL THEN
                SELECT c.customer_id INTO target FROM cartwatch.customers AS c
                 WHERE lower(btrim(c.email)) = lower(r.email)
                 ORDER BY c.customer_id LIMIT 1;
            END IF;
            outcome := NULL;
            IF target IS NOT NULL THEN
                UPDATE cartwatch.customers AS c
                   SET title = r.title, first_name = r.first_name, last_name = r.last_name,
                       email = r.email, company = r.company,
                       enabled = coalesce(r.enabled, c.enabled),
                       newsletter = coalesce(r.newsletter, c.newsletter),
                       partner_offers = coalesce(r.partner_offers, c.partner_offers),
                       registered_at = r.registered_at
                 WHERE c.customer_id = target
                   AND (c.title, c.first_name, c.last_name, c.email::text, c.company, c.enabled,
                        c.newsletter, c.partner_offers, c.registered_at)
                       IS DISTINCT FROM
                       (r.title, r.first_name, r.last_name, r.email, r.company,
                        coalesce(r.enabled, c.enabled), coalesce(r.newsletter, c.newsletter),
                        coalesce(r.partner_offers, c.partner_offers), r.registered_at);
                IF FOUND THEN
                    outcome := 'updated';
                ELSIF EXISTS (SELECT FROM cartwatch.customers AS c WHERE c.customer_id = target) THEN
                    outcome := 'unchanged';
                END IF;
            END IF;
            IF outcome IS NULL THEN
                INSERT INTO cartwatch.customers AS c
                       (customer_id, title, first_name, last_name, email, company, enabled,
                        newsletter, partner_offers, registered_at, activated)
                VALUES (coalesce(target, nextval(pg_get_serial_sequence('cartwatch.customers', 'customer_id'))),
                        r.title, r.first_name, r.last_name, r.email, r.company,
                        coalesce(r.enabled, true), coalesce(r.newsletter, false),
                        coalesce(r.partner_offers, false), r.registered_at,
                        r.registered_at IS NOT NULL)
                RETURNING c.customer_id INTO target;
                outcome := 'inserted';
                IF r.customer_id IS NOT NULL THEN
                    max_imported_id := greatest(max_imported_id, target);
                END IF;
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
    -- Rows that brought their own ids must not make the identity hand those ids out again.
    IF max_imported_id > 0 THEN
        PERFORM setval(pg_get_serial_sequence('cartwatch.customers', 'customer_id'),
                       greatest(max_imported_id, (SELECT last_value FROM cartwatch.customers_customer_id_seq)));
    END IF;
END
$$;
COMMENT ON FUNCTION cartwatch.import_customers_csv(text) IS
    'Imports a PrestaShop customer CSV: one row per record with its line number and outcome (inserted, updated, unchanged, rejected with the reason).';
REVOKE ALL ON FUNCTION cartwatch.import_customers_csv(text) FROM PUBLIC;
