-- section: shop KPIs
--
-- The KPI row of PrestaShop's Carts page, over the 30 days before as_of (a rolling window
-- (as_of - 30 days, as_of]):
--   conversion rate        valid orders / unique visitors (a visitor is the customer, else the
--                          visit's IP, else the visit itself), in percent
--   abandoned carts today  carts created today (the session's time zone) that are abandoned at
--                          as_of
--   average cart value     the average total of the valid orders (PrestaShop's "panier moyen")
--   net margin per visitor the valid orders' lines at their sold price minus the products' cost
--                          price, divided by the unique visitors; a line whose product has no
--                          cost price counts as zero margin (neither profit nor loss is claimed)
--   reminder recovery rate carts that got a reminder in the window and were recovered by it,
--                          over the carts reminded, in percent; NULL while the reminder outbox
--                          (cartwatch.reminders) is not installed. Recovered as reminder_stats
--                          counts it: the outbox's attribution (recovered_order_id, last touch
--                          within attribution_window) credited the reminder with an order by
--                          as_of, and that order was not cancelled, returned or refunded
-- A ratio with nothing to divide by is NULL, not 0: "no visitors" is not "no conversion".

CREATE FUNCTION cartwatch.shop_kpis(as_of timestamptz DEFAULT now())
RETURNS TABLE (conversion_rate_pct numeric, valid_orders_30d bigint, visitors_30d bigint,
               abandoned_carts_today bigint, average_cart_value_30d numeric,
               net_margin_per_visitor_30d numeric, reminder_recovery_rate_pct numeric,
               reminded_carts_30d bigint, recovered_carts_30d bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    window_start timestamptz;
    cutoff timestamptz := cartwatch.abandoned_before(as_of);   -- also rejects a NULL as_of
    order_total numeric;
    margin numeric;
BEGIN
    window_start := as_of - interval '30 days';
    SELECT count(*), sum(o.total), round(avg(o.total), 2)
      INTO valid_orders_30d, order_total, average_cart_value_30d
      FROM cartwatch.orders AS o
     WHERE o.placed_at > window_start AND o.placed_at <= as_of
       AND cartwatch.order_is_valid(o.status);

    SELECT count(DISTINCT coalesce('c' || v.customer_id, 'i' || host(v.ip), 'v' || v.visit_id))
      INTO visitors_30d
      FROM cartwatch.visits AS v
     WHERE v.started_at > window_start AND v.started_at <= as_of;

    SELECT coalesce(sum((i.unit_price - coalesce(p.cost_price, i.unit_price)) * i.quantity), 0)
      INTO margin
      FROM cartwatch.orders AS o
      JOIN cartwatch.cart_items AS i ON i.cart_id = o.cart_id
      LEFT JOIN cartwatch.products AS p ON p.product_id = i.product_id
     WHERE o.placed_at > window_start AND o.placed_at <= as_of
       AND cartwatch.order_is_valid(o.status);

    SELECT count(*) INTO abandoned_carts_today
      FROM cartwatch.carts AS k
     WHERE k.created_at >= date_trunc('day', as_of) AND k.created_at <= as_of
       AND k.order_id IS NULL AND k.item_quantity > 0 AND k.last_activity_at <= cutoff;

    conversion_rate_pct := round(100.0 * valid_orders_30d / nullif(visitors_30d, 0), 2);
    net_margin_per_visitor_30d := round(margin / nullif(visitors_30d, 0), 2);

    IF to_regclass('cartwatch.reminders') IS NOT NULL THEN
        -- Dynamic: the outbox is installed separately, and this function must exist without it.
        -- The attribution is the outbox's (attribute_order), read, not done again here: an order
        -- long after the reminder, or one the reminder did not get the last touch for, is no
        -- recovery. A deleted cart's reminders have no cart to count.
        EXECUTE $sql$
            SELECT count(DISTINCT r.cart_id),
                   count(DISTINCT r.cart_id) FILTER (WHERE o.order_id IS NOT NULL)
              FROM cartwatch.reminders AS r
              LEFT JOIN cartwatch.orders AS o
                ON o.order_id = r.recovered_order_id AND r.recovered_at <= $2
               AND NOT cartwatch.order_is_cancelled(o.status)
             WHERE r.sent_at > $1 AND r.sent_at <= $2
               -- implied (reminders_sent_finished_check), and an index range: without it the
               -- 30-day window read every reminder ever kept
               AND r.finished_at > $1
        $sql$ INTO reminded_carts_30d, recovered_carts_30d USING window_start, as_of;
        reminder_recovery_rate_pct :=
            round(100.0 * recovered_carts_30d / nullif(reminded_carts_30d, 0), 2);
    END IF;
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION cartwatch.shop_kpis(timestamptz) IS
    'PrestaShop''s cart KPIs at as_of: conversion rate, abandoned carts today, average cart value, net margin per visitor, reminder recovery rate (30 days: carts reminded, and those whose reminder recovered an order as reminder_stats counts it, within attribution_window and not cancelled or refunded).';

-- section: customer search

-- Case folding for search, by Unicode rules whatever the database's locale: lower() under
-- the C collation folds ASCII alone, so "Łukasz" would never match "łukasz" there. The ICU root
-- collation is part of every PostgreSQL built with ICU (Debian's is). No pinned search_path:
-- the collation is named with its schema, and the function must stay inlinable.
CREATE FUNCTION cartwatch.search_fold(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN pg_catalog.lower(value COLLATE pg_catalog."und-x-icu");
COMMENT ON FUNCTION cartwatch.search_fold(text) IS
    'Lower case by Unicode rules (the ICU root collation), the same in every database locale: what customer search compares.';

-- No pinned search_path: an index expression that runs no SQL (and must stay inlinable).
CREATE FUNCTION cartwatch.customer_search_text(first_name text, last_name text, email text,
                                               company text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN cartwatch.search_fold(coalesce(first_name, '') OPERATOR(pg_catalog.||) ' '
                        OPERATOR(pg_catalog.||) coalesce(last_name, '') OPERATOR(pg_catalog.||) ' '
                        OPERATOR(pg_catalog.||) coalesce(email, '') OPERATOR(pg_catalog.||) ' '
                        OPERATOR(pg_catalog.||) coalesce(company, ''));
COMMENT ON FUNCTION cartwatch.customer_search_text(text, text, text, text) IS
    'The lower-case text search_customers() matches: first and last name, e-mail, company.';

-- gin_trgm_ops comes from pg_trgm, whose schema is on the search_path while this script runs.
CREATE INDEX customers_search_idx ON cartwatch.customers
    USING gin (cartwatch.customer_search_text(first_name, last_name, email, company) gin_trgm_ops);
-- inet <<= (contained in a network) uses a btree on the address: one index serves both an
-- exact IP and a network such as 192.0.2.0/24.
CREATE INDEX visits_ip_idx ON cartwatch.visits (ip) WHERE customer_id IS NOT NULL;
CREATE INDEX carts_ip_idx ON cartwatch.carts (ip) WHERE customer_id IS NOT NULL;

-- The network a search term names: an address or CIDR network, or the complete leading octets
-- of an IPv4 address ("192.168." or "192.168.1"); NULL when the term is not one.
CREATE FUNCTION cartwatch.search_network(term text) RETURNS inet
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    octets text[];
BEGIN
    IF term ~ '^[0-9]{1,3}(\.[0-9]{1,3}){0,2}\.?$' THEN
        octets := string_to_array(rtrim(term, '.'), '.');
        IF 255 < ANY (octets::int[]) THEN
            RETURN NULL;
        END IF;
        IF cardinality(octets) = 1 AND right(term, 1) <> '.' THEN
            RETURN NULL;   -- a lone number is a customer id, not a network
        END IF;
        RETURN (array_to_string(octets || array_fill('0'::text, ARRAY[4 - cardinality(octets)]), '.')
                || '/' || 8 * cardinality(octets))::inet;
    END IF;
    IF term ~ '^[0-9a-fA-F:.]+(/[0-9]{1,3})?$' AND term ~ '[.:]' THEN
        BEGIN
            RETURN term::inet;
        EXCEPTION WHEN invalid_text_representation THEN
            RETURN NULL;
        END;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION cartwatch.search_network(text) IS
    'The network a customer search term names (an IP, a CIDR network or leading IPv4 octets), else NULL.';

CREATE FUNCTION cartwatch.search_customers(query text, max_rows integer DEFAULT 50)
RETURNS TABLE (customer_id bigint, title text, first_name text, last_name text, email text,
               company text, birthday date, registered_at timestamptz, valid_orders bigint,
               enabled boolean, matched_on text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    term text := btrim(query);
    words text[];
    text_filter text;
    -- What every word is matched in: the trigram index's expression.
    haystack constant text :=
        'cartwatch.customer_search_text(c.first_name, c.last_name, c.email, c.company)';
    network inet := cartwatch.search_network(btrim(query));
    wanted_id bigint;
BEGIN
    IF term IS NULL OR term = '' THEN
        RAISE EXCEPTION 'search query must not be empty'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Search by name, e-mail, company, IP address or customer id.';
    END IF;
    IF max_rows IS NULL OR max_rows NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'max_rows must be between 1 and 10000, not %', coalesce(max_rows::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF term ~ '^[0-9]{1,18}$' THEN
        wanted_id := term::bigint;
    END IF;
    -- Every word must occur, each as a condition of its own that the trigram index serves, so
    -- that "kowalska anna" reads the customers who have both words, not every Kowalska. The
    -- longest word ranks a hit that starts a field. The conditions are written into the query
    -- text (quoted literals), since their number follows the query's words.
    SELECT array_agg('%' || replace(replace(replace(w, '\', '\\'), '%', '\%'), '_', '\_') || '%'
                     ORDER BY length(w) DESC, w)
      INTO words
      FROM regexp_split_to_table(cartwatch.search_fold(term), '\s+') AS w
     WHERE w <> '';
    -- A word with an e-mail address's "@" (client778@example.de) gives the index its local
    -- part alone ("%client778@%"), and the whole word is checked on the rows that brings: a
    -- domain's trigrams (example., gmail.com) are in a great many addresses, and the index read
    -- every one of their entries to intersect them, for no fewer candidates. The rows found are
    -- the same (every row with the word has its local part); "|| ''" keeps the whole-word test
    -- out of the index condition.
    SELECT string_agg(
               CASE WHEN strpos(w, '@') > 4 AND strpos(w, '@') < length(w) - 1
                    THEN format('%1$s LIKE %2$L AND (%1$s OPERATOR(pg_catalog.||) '''') LIKE %3$L',
                                haystack, left(w, strpos(w, '@')) || '%', w)
                    ELSE format('%s LIKE %L', haystack, w)
               END, ' AND ')
      INTO text_filter
      FROM unnest(words) AS w;

    -- The page is chosen from the hits (with the names it is ordered by) before the customers'
    -- other columns and figures are read, so a common word costs max_rows of those reads, not
    -- one per hit.
    RETURN QUERY EXECUTE format($query$
    WITH hits AS (
        SELECT c.customer_id, 1 AS rank, 'id' AS matched_on, c.last_name, c.first_name
          FROM cartwatch.customers AS c WHERE c.customer_id = $1
        UNION ALL
        SELECT c.customer_id, 2, 'email', c.last_name, c.first_name
          FROM cartwatch.customers AS c WHERE cartwatch.email_key(c.email) = cartwatch.email_key($2)
        UNION ALL
        SELECT c.customer_id, 3, 'ip', c.last_name, c.first_name
          FROM (SELECT v.customer_id FROM cartwatch.visits AS v
                 WHERE v.ip <<= $3 AND v.customer_id IS NOT NULL
                UNION
                SELECT k.customer_id FROM cartwatch.carts AS k
                 WHERE k.ip <<= $3 AND k.customer_id IS NOT NULL) AS ip_hits
          JOIN cartwatch.customers AS c ON c.customer_id = ip_hits.customer_id
        UNION ALL
        SELECT c.customer_id,
               CASE WHEN cartwatch.search_fold(c.last_name) LIKE $4
                      OR cartwatch.search_fold(c.first_name) LIKE $4
                      OR cartwatch.search_fold(c.email) LIKE $4
                      OR cartwatch.search_fold(c.company) LIKE $4 THEN 4 ELSE 5 END,
               'text', c.last_name, c.first_name
          FROM cartwatch.customers AS c
         WHERE %s
    ), best AS (
        SELECT DISTINCT ON (h.customer_id) h.customer_id, h.rank, h.matched_on, h.last_name,
               h.first_name
          FROM hits AS h ORDER BY h.customer_id, h.rank
    ), page AS (
        SELECT b.* FROM best AS b
         ORDER BY b.rank, b.last_name, b.first_name, b.customer_id
         LIMIT $5
    )
    SELECT c.customer_id, c.title, c.first_name, c.last_name, c.email::text, c.company,
           c.birthday, c.registered_at, coalesce(t.valid_orders, 0), c.enabled, p.matched_on
      FROM page AS p
      JOIN cartwatch.customers AS c ON c.customer_id = p.customer_id
      LEFT JOIN cartwatch.customer_totals AS t ON t.customer_id = c.customer_id
     ORDER BY p.rank, p.last_name, p.first_name, p.customer_id
    $query$, coalesce(text_filter, 'false'))
    USING wanted_id, term, network, ltrim(words[1], '%'), max_rows;
END
$$;
COMMENT ON FUNCTION cartwatch.search_customers(text, integer) IS
    'Finds customers as PrestaShop''s admin search does: by name, e-mail, company (every word, anywhere), IP or network, or id.';
