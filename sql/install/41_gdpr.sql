-- section: personal data (GDPR right of access and right to erasure)
--
-- Which rows belong to a person is found from the catalog, not from a hand-kept list, so a
-- table added to schema cartwatch later is covered the day it appears:
--  * a column named customer_id, a column named cart_id, and an e-mail column (of type
--    cartwatch.email_address, or text with "email" in its name) tie a row to its person;
--  * an inet column holds an IP address, which is cleared wherever it appears once it is
--    known to be the person's;
--  * personal_data_rules says what erasure does to a table's rows; a table without a rule
--    has its person's rows deleted. Rules exist only where a row must outlive its person:
--    orders keep their money figures, carts that became orders stay with their orders,
--    suppressions stay, keyed by the address's hash, so an opt-out outlives the erasure.
-- The person ("subject") is one or more customer ids and e-mail addresses, widened once: the
-- addresses the customers used (account, guest carts, orders) and the accounts with those
-- addresses (a guest account of a registered customer is the same person).

CREATE TABLE cartwatch.personal_data_rules (
    table_name        text PRIMARY KEY CHECK (table_name ~ '^[a-z][a-z0-9_]*$'),
    erase_order       integer NOT NULL,
    delete_when       text,
    anonymise         text[] NOT NULL DEFAULT '{}',
    description       text NOT NULL
);
COMMENT ON TABLE cartwatch.personal_data_rules IS
    'What erasing a person does to the rows of a table of schema cartwatch; a table without a rule has them deleted.';
COMMENT ON COLUMN cartwatch.personal_data_rules.table_name IS
    'A table of schema cartwatch. It may not exist yet: rules are read at erasure time.';
COMMENT ON COLUMN cartwatch.personal_data_rules.erase_order IS
    'Tables are erased in this order, after the tables without a rule (those first, as they may reference these).';
COMMENT ON COLUMN cartwatch.personal_data_rules.delete_when IS
    'SQL condition on the table''s columns: the person''s rows meeting it are deleted (true = all of them); NULL = none is.';
COMMENT ON COLUMN cartwatch.personal_data_rules.anonymise IS
    'Columns set to NULL in the person''s rows that are not deleted.';

INSERT INTO cartwatch.personal_data_rules
       (table_name, erase_order, delete_when, anonymise, description)
VALUES ('cart_items', 10, NULL, '{}',
        'Cart lines hold no personal data; they go with their carts (ON DELETE CASCADE).'),
       ('carts', 20, 'order_id IS NULL', '{customer_id,guest_email,ip}',
        'Carts never ordered are deleted; carts that became orders stay without customer, e-mail or IP.'),
       ('orders', 30, NULL, '{customer_id,email}',
        'Orders keep their money figures, status and dates; customer and e-mail are removed.'),
       ('suppressions', 40, NULL, '{email}',
        'Opt-outs stay, keyed by the address''s SHA-256 (email_hash); the readable address is cleared.'),
       ('customers', 90, 'true', '{}', 'The customer account is deleted.');

CREATE VIEW cartwatch.personal_data AS
WITH columns AS (
    SELECT c.relname::text AS table_name,
           a.attname::text AS column_name,
           CASE WHEN a.attname OPERATOR(pg_catalog.=) 'customer_id' THEN 'customer'
                WHEN a.attname OPERATOR(pg_catalog.=) 'cart_id' THEN 'cart'
                WHEN a.atttypid OPERATOR(pg_catalog.=) 'cartwatch.email_address'::regtype
                     OR (a.atttypid OPERATOR(pg_catalog.=) ANY ('{text,varchar}'::regtype[])
                         AND a.attname OPERATOR(pg_catalog.~) 'email') THEN 'email'
                WHEN a.atttypid OPERATOR(pg_catalog.=) ANY ('{inet,cidr}'::regtype[]) THEN 'ip'
           END AS role
      FROM pg_catalog.pg_class AS c
      JOIN pg_catalog.pg_attribute AS a ON a.attrelid OPERATOR(pg_catalog.=) c.oid
     WHERE c.relnamespace OPERATOR(pg_catalog.=) 'cartwatch'::regnamespace
       AND c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p}'::"char"[])
       AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
)
SELECT col.table_name,
       coalesce(pg_catalog.array_agg(col.column_name ORDER BY col.column_name)
                FILTER (WHERE col.role OPERATOR(pg_catalog.=) 'customer'), '{}') AS customer_columns,
       coalesce(pg_catalog.array_agg(col.column_name ORDER BY col.column_name)
                FILTER (WHERE col.role OPERATOR(pg_catalog.=) 'cart'), '{}') AS cart_columns,
       coalesce(pg_catalog.array_agg(col.column_name ORDER BY col.column_name)
                FILTER (WHERE col.role OPERATOR(pg_catalog.=) 'email'), '{}') AS email_columns,
       coalesce(pg_catalog.array_agg(col.column_name ORDER BY col.column_name)
                FILTER (WHERE col.role OPERATOR(pg_catalog.=) 'ip'), '{}') AS ip_columns,
       r.table_name IS NOT NULL AS has_rule,
       CASE WHEN r.table_name IS NULL THEN 'true' ELSE r.delete_when END AS delete_when,
       coalesce(r.anonymise, '{}') AS anonymise,
       coalesce(r.erase_order, 0) AS erase_order,
       coalesce(r.description,
                'No rule: the person''s rows are deleted, their IP addresses cleared.') AS description
  FROM columns AS col
  LEFT JOIN cartwatch.personal_data_rules AS r ON r.table_name OPERATOR(pg_catalog.=) col.table_name
 WHERE col.role IS NOT NULL
 GROUP BY col.table_name, r.table_name, r.delete_when, r.anonymise, r.erase_order,
          r.description;
COMMENT ON VIEW cartwatch.personal_data IS
    'Every table of schema cartwatch that holds personal data: the columns tying a row to a person, and what erasure does.';

-- The condition "row t belongs to the subject", with $1 = customer ids, $2 = cart ids,
-- $3 = normalised e-mail addresses; false for a table with no such column.
CREATE FUNCTION cartwatch.personal_data_condition(customer_columns text[], cart_columns text[],
                                                  email_columns text[])
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
RETURN coalesce(
    (SELECT string_agg(condition, ' OR ')
       FROM (SELECT format('t.%I = ANY ($1)', c) FROM unnest(customer_columns) AS c
             UNION ALL SELECT format('t.%I = ANY ($2)', c) FROM unnest(cart_columns) AS c
             UNION ALL SELECT format('cartwatch.email_key(t.%I::text) = ANY ($3)', c)
                         FROM unnest(email_columns) AS c) AS parts(condition)),
    'false');
COMMENT ON FUNCTION cartwatch.personal_data_condition(text[], text[], text[]) IS
    'SQL condition matching the rows of one person, for personal_data''s columns of a table.';

-- Widens the given customers and addresses to the person (see the section note).
CREATE FUNCTION cartwatch.personal_data_subject(given_customers bigint[], given_emails text[],
                                                OUT customer_ids bigint[], OUT emails text[],
                                                OUT cart_ids bigint[])
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    emails := ARRAY(
        SELECT DISTINCT e FROM (
            SELECT cartwatch.email_key(g) FROM unnest(given_emails) AS g
            UNION ALL SELECT cartwatch.email_key(c.email) FROM cartwatch.customers AS c
                       WHERE c.customer_id = ANY (given_customers)
            UNION ALL SELECT cartwatch.email_key(k.guest_email) FROM cartwatch.carts AS k
                       WHERE k.customer_id = ANY (given_customers)
            UNION ALL SELECT cartwatch.email_key(o.email) FROM cartwatch.orders AS o
                       WHERE o.customer_id = ANY (given_customers)) AS addresses(e)
         WHERE e IS NOT NULL AND e <> ''
         ORDER BY e);
    customer_ids := ARRAY(
        SELECT DISTINCT id FROM (
            SELECT unnest(given_customers)
            UNION ALL SELECT c.customer_id FROM cartwatch.customers AS c
                       WHERE cartwatch.email_key(c.email) = ANY (emails)) AS accounts(id)
         WHERE id IS NOT NULL
         ORDER BY id);
    cart_ids := ARRAY(
        SELECT k.cart_id FROM cartwatch.carts AS k WHERE k.customer_id = ANY (customer_ids)
        UNION
        SELECT k.cart_id FROM cartwatch.carts AS k WHERE cartwatch.email_key(k.guest_email) = ANY (emails)
        ORDER BY 1);
END
$$;
COMMENT ON FUNCTION cartwatch.personal_data_subject(bigint[], text[]) IS
    'The customer ids, normalised e-mail addresses and carts of the person the given customers and addresses belong to.';

CREATE FUNCTION cartwatch.erase_personal_data(given_customers bigint[], given_emails text[],
                                              suppress_reminders boolean)
RETURNS TABLE (table_name text, action text, rows bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    subject record;
    ips inet[] := '{}';
    found inet[];
    tab cartwatch.personal_data;
    condition text;
    col text;
    n bigint;
    -- What was done, one [table, action, rows] entry per statement.
    done jsonb := '[]';
BEGIN
    SELECT * INTO subject FROM cartwatch.personal_data_subject(given_customers, given_emails);

    -- 1. The person's IP addresses, from their rows, before any row goes.
    FOR tab IN SELECT * FROM cartwatch.personal_data AS p WHERE p.ip_columns <> '{}' LOOP
        condition := cartwatch.personal_data_condition(tab.customer_columns, tab.cart_columns,
                                                       tab.email_columns);
        FOREACH col IN ARRAY tab.ip_columns LOOP
            EXECUTE format('SELECT array_agg(DISTINCT t.%1$I) FROM cartwatch.%2$I AS t'
                           ' WHERE t.%1$I IS NOT NULL AND (%3$s)', col, tab.table_name, condition)
               INTO found USING subject.customer_ids, subject.cart_ids, subject.emails;
            ips := ips || coalesce(found, '{}');
        END LOOP;
    END LOOP;

    -- 2. Table by table: tables without a rule first (they may reference those with one).
    FOR tab IN SELECT * FROM cartwatch.personal_data AS p
                WHERE p.customer_columns || p.cart_columns || p.email_columns <> '{}'
                ORDER BY p.erase_order, p.table_name LOOP
        condition := cartwatch.personal_data_condition(tab.customer_columns, tab.cart_columns,
                                                       tab.email_columns);
        IF tab.delete_when IS NOT NULL THEN
            EXECUTE format('DELETE FROM cartwatch.%I AS t WHERE (%s) AND (%s)',
                           tab.table_name, condition, tab.delete_when)
              USING subject.customer_ids, subject.cart_ids, subject.emails;
            GET DIAGNOSTICS n = ROW_COUNT;
            done := done || jsonb_build_array(jsonb_build_array(tab.table_name, 'deleted', n));
        END IF;
        IF tab.anonymise <> '{}' THEN
            EXECUTE format('UPDATE cartwatch.%I AS t SET %s WHERE (%s) AND (%s)', tab.table_name,
                           (SELECT string_agg(format('%I = NULL', c), ', ') FROM unnest(tab.anonymise) AS c),
                           condition,
                           (SELECT string_agg(format('t.%I IS NOT NULL', c), ' OR ') FROM unnest(tab.anonymise) AS c))
              USING subject.customer_ids, subject.cart_ids, subject.emails;
            GET DIAGNOSTICS n = ROW_COUNT;
            done := done || jsonb_build_array(jsonb_build_array(tab.table_name, 'anonymised', n));
        END IF;
    END LOOP;

    -- 3. The person's IP addresses, wherever they still appear (other rows from the same address).
    IF ips <> '{}' THEN
        FOR tab IN SELECT * FROM cartwatch.personal_data AS p WHERE p.ip_columns <> '{}'
                    ORDER BY p.table_name LOOP
            FOREACH col IN ARRAY tab.ip_columns LOOP
                EXECUTE format('UPDATE cartwatch.%1$I AS t SET %2$I = NULL WHERE t.%2$I = ANY ($1)',
                               tab.table_name, col)
                  USING ips;
                GET DIAGNOSTICS n = ROW_COUNT;
                done := done || jsonb_build_array(jsonb_build_array(tab.table_name, 'IP address cleared', n));
            END LOOP;
        END LOOP;
    END IF;

    -- 4. The erasure itself opts the person out, unless the caller says otherwise: a
    --    suppression by hash alone (an earlier opt-out keeps its own reason).
    IF suppress_reminders THEN
        INSERT INTO cartwatch.suppressions AS s (email_hash, email, reason, source)
        SELECT cartwatch.email_hash(e), NULL, 'manual', 'erasure request'
          FROM unnest(subject.emails) AS e
        ON CONFLICT (email_hash) DO NOTHING;
        GET DIAGNOSTICS n = ROW_COUNT;
        done := done || jsonb_build_array(jsonb_build_array('suppressions', 'suppressed by hash', n));
    END IF;

    RETURN QUERY
    SELECT d ->> 0, d ->> 1, sum((d ->> 2)::bigint)::bigint
      FROM jsonb_array_elements(done) AS d
     GROUP BY d ->> 0, d ->> 1
    HAVING sum((d ->> 2)::bigint) > 0
     ORDER BY 1, 2;
END
$$;
COMMENT ON FUNCTION cartwatch.erase_personal_data(bigint[], text[], boolean) IS
    'Erases one person''s data from every table of schema cartwatch, per cartwatch.personal_data; rows changed per table and action.';

-- Everything held about one person, table by table, each table's rows in key order.
CREATE FUNCTION cartwatch.export_personal_data(given_customers bigint[], given_emails text[])
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    subject record;
    tab cartwatch.personal_data;
    ordering text;
    rows jsonb;
    tables jsonb := '{}';
BEGIN
    SELECT * INTO subject FROM cartwatch.personal_data_subject(given_customers, given_emails);
    FOR tab IN SELECT * FROM cartwatch.personal_data AS p
                WHERE p.customer_columns || p.cart_columns || p.email_columns <> '{}'
                ORDER BY p.table_name LOOP
        SELECT string_agg(format('t.%I', a.attname), ', ' ORDER BY k.position) INTO ordering
          FROM pg_index AS i
          CROSS JOIN unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
          JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
         WHERE i.indrelid = format('cartwatch.%I', tab.table_name)::regclass AND i.indisprimary;
        EXECUTE format('SELECT jsonb_agg(to_jsonb(t) ORDER BY %s) FROM cartwatch.%I AS t WHERE %s',
                       coalesce(ordering, 't::text'), tab.table_name,
                       cartwatch.personal_data_condition(tab.customer_columns, tab.cart_columns,
                                                         tab.email_columns))
           INTO rows USING subject.customer_ids, subject.cart_ids, subject.emails;
        IF rows IS NOT NULL THEN
            tables := tables || jsonb_build_object(tab.table_name, rows);
        END IF;
    END LOOP;
    RETURN jsonb_build_object('exported_at', now(),
                              'customer_ids', to_jsonb(subject.customer_ids),
                              'emails', to_jsonb(subject.emails),
                              'reminders_suppressed',
                              coalesce((SELECT bool_or(cartwatch.is_suppressed(e))
                                          FROM unnest(subject.emails) AS e), false),
                              'tables', tables);
END
$$;
COMMENT ON FUNCTION cartwatch.export_personal_data(bigint[], text[]) IS
    'Everything held about one person, as JSON: the tables of cartwatch.personal_data with the person''s rows.';

CREATE FUNCTION cartwatch.check_subject_email(email text) RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF email IS NULL OR btrim(email) = '' THEN
        RAISE EXCEPTION 'e-mail address must not be NULL or empty'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    RETURN cartwatch.email_key(email);
END
$$;
COMMENT ON FUNCTION cartwatch.check_subject_email(text) IS
    'Rejects a NULL or empty address; returns it normalised (lower case, no surrounding blanks).';

CREATE FUNCTION cartwatch.check_subject_customer(customer_id bigint) RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF customer_id IS NULL THEN
        RAISE EXCEPTION 'customer_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM cartwatch.customers AS c WHERE c.customer_id = check_subject_customer.customer_id) THEN
        RAISE EXCEPTION 'customer % does not exist', customer_id
            USING ERRCODE = 'no_data_found',
                  HINT = 'A customer erased before is gone for good; cartwatch.forget_email() erases what is left under an address.';
    END IF;
    RETURN customer_id;
END
$$;
COMMENT ON FUNCTION cartwatch.check_subject_customer(bigint) IS
    'Rejects a NULL or unknown customer id; returns it.';

CREATE FUNCTION cartwatch.forget_customer(customer_id bigint, suppress_reminders boolean DEFAULT true)
RETURNS TABLE (table_name text, action text, rows bigint)
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT * FROM cartwatch.erase_personal_data(
        ARRAY[cartwatch.check_subject_customer(customer_id)], '{}', coalesce(suppress_reminders, true));
END;
COMMENT ON FUNCTION cartwatch.forget_customer(bigint, boolean) IS
    'Right to erasure: erases a customer, their carts'' e-mails and IPs, visits, views and reminders; orders stay, anonymised. Returns rows per table.';

CREATE FUNCTION cartwatch.forget_email(email text, suppress_reminders boolean DEFAULT true)
RETURNS TABLE (table_name text, action text, rows bigint)
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT * FROM cartwatch.erase_personal_data(
        '{}', ARRAY[cartwatch.check_subject_email(email)], coalesce(suppress_reminders, true));
END;
COMMENT ON FUNCTION cartwatch.forget_email(text, boolean) IS
    'Right to erasure by address (guests): erases every account, cart, order e-mail and reminder under it. Returns rows per table.';

CREATE FUNCTION cartwatch.export_customer(customer_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN cartwatch.export_personal_data(ARRAY[cartwatch.check_subject_customer(customer_id)], '{}');
COMMENT ON FUNCTION cartwatch.export_customer(bigint) IS
    'Right of access: everything cartwatch holds about a customer, as JSON, table by table.';

CREATE FUNCTION cartwatch.export_email(email text) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN cartwatch.export_personal_data('{}', ARRAY[cartwatch.check_subject_email(email)]);
COMMENT ON FUNCTION cartwatch.export_email(text) IS
    'Right of access by address (guests): everything cartwatch holds under an e-mail address, as JSON.';

REVOKE ALL ON FUNCTION cartwatch.erase_personal_data(bigint[], text[], boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION cartwatch.export_personal_data(bigint[], text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION cartwatch.personal_data_subject(bigint[], text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION cartwatch.forget_customer(bigint, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION cartwatch.forget_email(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION cartwatch.export_customer(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION cartwatch.export_email(text) FROM PUBLIC;
