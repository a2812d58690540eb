-- Right of access and right to erasure: export_customer(), forget_customer(), forget_email().
\ir tests/regress/setup.psql
\ir tests/regress/fixtures/gdpr.psql

-- Where personal data lives, found from the catalog (the shop's tables and the stand-ins).
SELECT table_name, customer_columns, cart_columns, email_columns, ip_columns, has_rule,
       delete_when, anonymise
  FROM cartwatch.personal_data
 ORDER BY erase_order, table_name;

-- Right of access: everything held about Anna, the guest account, cart and order included.
-- (Times the fixture did not set, which have fractions of a second, are masked.)
SELECT jsonb_pretty(regexp_replace((cartwatch.export_customer(1) - 'exported_at')::text,
                                   '"(created_at|updated_at|suppressed_at)": "[^"]*\.[0-9]+[^"]*"', '"\1": "(now)"', 'g')::jsonb);

-- Every column of every table in schema cartwatch that still holds one of Anna's traces.
-- Catalog-driven: a table added later is searched too. Columns of every type are read as text.
CREATE FUNCTION pg_temp.traces(needles text[])
RETURNS TABLE (table_name text, column_name text, needle text, hits bigint)
LANGUAGE plpgsql AS $$
DECLARE
    col record;
BEGIN
    FOR col IN SELECT c.relname::text AS rel, a.attname::text AS att
                 FROM pg_class AS c JOIN pg_attribute AS a ON a.attrelid = c.oid
                WHERE c.relnamespace = 'cartwatch'::regnamespace AND c.relkind IN ('r', 'p')
                  AND a.attnum > 0 AND NOT a.attisdropped
                ORDER BY 1, 2 LOOP
        FOREACH needle IN ARRAY needles LOOP
            EXECUTE format('SELECT count(*) FROM cartwatch.%I WHERE %I::text ILIKE $1', col.rel, col.att)
               INTO hits USING '%' || needle || '%';
            IF hits > 0 THEN
                table_name := col.rel;
                column_name := col.att;
                RETURN NEXT;
            END IF;
        END LOOP;
    END LOOP;
END
$$;
\set anna '''{anna.kowalska@example.pl, Kowalska, Anna, 192.0.2.10, 203.0.113.16}'''
SELECT * FROM pg_temp.traces(:anna);

-- Right to erasure.
SELECT * FROM cartwatch.forget_customer(1);

-- Nothing of Anna is left anywhere.
SELECT * FROM pg_temp.traces(:anna);

-- What stays: her ordered cart and her orders, without her; money figures intact.
SELECT cart_id, customer_id, guest_email, ip, order_id, item_quantity FROM cartwatch.carts
 ORDER BY cart_id;
SELECT order_id, customer_id, cart_id, email, status, total, currency, placed_at
  FROM cartwatch.orders ORDER BY order_id;
-- Other people's rows are untouched.
SELECT customer_id, email FROM cartwatch.customers ORDER BY customer_id;
SELECT visit_id, customer_id, ip FROM cartwatch.visits ORDER BY visit_id;
SELECT view_id, customer_id FROM cartwatch.product_views ORDER BY view_id;
SELECT reminder_id, email FROM cartwatch.outbox_standin ORDER BY reminder_id;

-- Her opt-out outlives her data, by the address's hash: a later reminder to her address is
-- suppressed, however the address is written.
SELECT email_hash = sha256('anna.kowalska@example.pl') AS hers, email, reason, source
  FROM cartwatch.suppressions ORDER BY reason;
SELECT cartwatch.is_suppressed(' ANNA.Kowalska@example.pl ') AS anna_suppressed,
       cartwatch.is_suppressed('claire@example.fr') AS claire_suppressed;

-- Erasing is idempotent: once more finds nothing.
SELECT count(*) FROM cartwatch.forget_email('anna.kowalska@example.pl');
SELECT jsonb_pretty(cartwatch.export_email('Anna.Kowalska@example.pl') - 'exported_at');

-- A guest known only by address; without suppression the address may be reminded again.
SELECT * FROM cartwatch.forget_email(' GUEST@example.com', suppress_reminders => false);
SELECT cart_id FROM cartwatch.carts WHERE cart_id = 12;
SELECT cartwatch.is_suppressed('guest@example.com');
-- With suppression (the default), an address never opted out becomes suppressed.
SELECT * FROM cartwatch.forget_customer(3);
SELECT email, reason, source FROM cartwatch.suppressions
 WHERE email_hash = cartwatch.email_hash('claire@example.fr');

-- Bad input.
\set VERBOSITY default
SELECT * FROM cartwatch.forget_customer(NULL);
SELECT * FROM cartwatch.forget_customer(1);
SELECT * FROM cartwatch.forget_email('  ');
SELECT * FROM cartwatch.forget_email(NULL);
SELECT cartwatch.export_customer(999);

-- Erasure and export are for the shop's administrators only.
CREATE ROLE cw_gdpr_clerk;
GRANT USAGE ON SCHEMA cartwatch TO cw_gdpr_clerk;
SET ROLE cw_gdpr_clerk;
SELECT * FROM cartwatch.forget_customer(2);
SELECT cartwatch.export_customer(2);
RESET ROLE;
DROP OWNED BY cw_gdpr_clerk;
DROP ROLE cw_gdpr_clerk;
