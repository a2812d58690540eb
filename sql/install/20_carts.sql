-- section: cart lifecycle

-- A pinned search_path, unlike the summary trigger's C++ session lookup (extension/spi.hpp):
-- this trigger's UPDATE of cartwatch.carts fires the triggers a shop may have put on carts,
-- and those must run under their own settings.
CREATE FUNCTION cartwatch.cart_items_activity() RETURNS trigger
AS 'MODULE_PATHNAME', 'cartwatch_cart_items_activity'
LANGUAGE C
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cartwatch.cart_items_activity() IS
    'Statement trigger (C++): recounts the touched carts'' items and moves last_activity_at forward.';

-- PostgreSQL allows transition tables only on single-event triggers: one trigger per event.
CREATE TRIGGER cart_items_inserted AFTER INSERT ON cartwatch.cart_items
    REFERENCING NEW TABLE AS new_items
    FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.cart_items_activity();
CREATE TRIGGER cart_items_updated AFTER UPDATE ON cartwatch.cart_items
    REFERENCING OLD TABLE AS old_items NEW TABLE AS new_items
    FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.cart_items_activity();
CREATE TRIGGER cart_items_deleted AFTER DELETE ON cartwatch.cart_items
    REFERENCING OLD TABLE AS old_items
    FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.cart_items_activity();
CREATE TRIGGER cart_items_truncated AFTER TRUNCATE ON cartwatch.cart_items
    FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.cart_items_activity();

-- An item inserted without a name or price takes the product's current ones, so a shop can
-- feed (cart_id, product_id, quantity) alone.
CREATE FUNCTION cartwatch.cart_item_defaults() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.product_name IS NULL OR NEW.unit_price IS NULL THEN
        SELECT coalesce(NEW.product_name, p.name), coalesce(NEW.unit_price, p.price)
          INTO NEW.product_name, NEW.unit_price
          FROM cartwatch.products AS p
         WHERE p.product_id = NEW.product_id;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION cartwatch.cart_item_defaults() IS
    'Trigger: fills a cart item''s missing product_name and unit_price from the product.';
CREATE TRIGGER cart_items_defaults BEFORE INSERT ON cartwatch.cart_items
    FOR EACH ROW EXECUTE FUNCTION cartwatch.cart_item_defaults();

-- An order naming a cart marks the cart ordered. Deleting the order keeps the mark: the cart
-- did become an order, and must never look abandoned (and be reminded about) afterwards.
CREATE FUNCTION cartwatch.link_order_to_cart() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.cart_id IS DISTINCT FROM NEW.cart_id AND OLD.cart_id IS NOT NULL THEN
        UPDATE cartwatch.carts SET order_id = NULL
         WHERE cart_id = OLD.cart_id AND order_id = OLD.order_id;
    END IF;
    IF NEW.cart_id IS NOT NULL THEN
        UPDATE cartwatch.carts SET order_id = NEW.order_id
         WHERE cart_id = NEW.cart_id AND order_id IS DISTINCT FROM NEW.order_id;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION cartwatch.link_order_to_cart() IS
    'Trigger: sets carts.order_id when an order names the cart.';
CREATE TRIGGER orders_link_cart AFTER INSERT OR UPDATE OF cart_id, order_id ON cartwatch.orders
    FOR EACH ROW EXECUTE FUNCTION cartwatch.link_order_to_cart();

-- No pinned search_path here, deliberately: classify_cart runs no SQL (a search_path cannot
-- change what it does), and a pinned setting would cost a GUC save and restore for every row
-- of every cart view.
CREATE FUNCTION cartwatch.classify_cart(item_quantity bigint, ordered boolean,
                                        last_activity_at timestamptz,
                                        abandoned_before timestamptz)
RETURNS text
AS 'MODULE_PATHNAME', 'cartwatch_classify_cart'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION cartwatch.classify_cart(bigint, boolean, timestamptz, timestamptz) IS
    'The cart rule (C++): ordered, empty, abandoned (idle since abandoned_before) or active.';

-- Inlined into the views; schema-qualified so the caller's search_path cannot redirect it.
CREATE FUNCTION cartwatch.display_name(first_name text, last_name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN nullif(pg_catalog.concat_ws(' ', nullif(pg_catalog.btrim(first_name), ''),
                                        nullif(pg_catalog.btrim(last_name), '')), '');
COMMENT ON FUNCTION cartwatch.display_name(text, text) IS
    'First and last name joined, or NULL when neither is known.';

CREATE FUNCTION cartwatch.abandoned_before(as_of timestamptz) RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'as_of must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass a timestamp such as now().';
    END IF;
    RETURN as_of - cartwatch.abandon_after();
END
$$;
COMMENT ON FUNCTION cartwatch.abandoned_before(timestamptz) IS
    'as_of minus the abandon_after setting: carts idle since then are abandoned.';

CREATE FUNCTION cartwatch.cart_status(cart_id bigint, as_of timestamptz DEFAULT now())
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cart cartwatch.carts;
BEGIN
    IF cart_id IS NULL THEN
        RAISE EXCEPTION 'cart_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO cart FROM cartwatch.carts AS c WHERE c.cart_id = cart_status.cart_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cart % does not exist', cart_id USING ERRCODE = 'no_data_found';
    END IF;
    RETURN cartwatch.classify_cart(cart.item_quantity, cart.order_id IS NOT NULL,
                                   cart.last_activity_at, cartwatch.abandoned_before(as_of));
END
$$;
COMMENT ON FUNCTION cartwatch.cart_status(bigint, timestamptz) IS
    'A cart''s status at as_of: active, abandoned, ordered or empty.';

CREATE FUNCTION cartwatch.abandoned_carts(as_of timestamptz DEFAULT now())
RETURNS TABLE (cart_id bigint, customer_id bigint, email text, customer_type text,
               customer_name text, item_count bigint, value numeric, currency text,
               created_at timestamptz, last_activity_at timestamptz)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cutoff timestamptz := cartwatch.abandoned_before(as_of);
BEGIN
    -- Written as carts_open_activity_idx is built (key and predicate), so only open carts are read.
    RETURN QUERY
    SELECT c.cart_id, c.customer_id,
           coalesce(cu.email, c.guest_email)::text,
           CASE WHEN cu.registered_at IS NOT NULL THEN 'registered' ELSE 'guest' END,
           cartwatch.display_name(cu.first_name, cu.last_name),
           c.item_quantity, lines.value, c.currency::text, c.created_at, c.last_activity_at
      FROM cartwatch.carts AS c
      LEFT JOIN cartwatch.customers AS cu ON cu.customer_id = c.customer_id
     CROSS JOIN LATERAL (SELECT sum(i.unit_price * i.quantity) AS value
                           FROM cartwatch.cart_items AS i WHERE i.cart_id = c.cart_id) AS lines
     WHERE cartwatch.open_cart_activity(c.order_id, c.item_quantity, c.last_activity_at) <= cutoff
       AND c.order_id IS NULL AND c.item_quantity > 0
     ORDER BY c.last_activity_at DESC, c.cart_id;
END
$$;
COMMENT ON FUNCTION cartwatch.abandoned_carts(timestamptz) IS
    'Carts abandoned at as_of, newest first: e-mail (customer''s or typed by the guest), type, items, value.';

CREATE VIEW cartwatch.cart_overview AS
SELECT c.cart_id,
       c.customer_id,
       CASE WHEN c.customer_id IS NULL THEN 'Guest'
            ELSE coalesce(cartwatch.display_name(cu.first_name, cu.last_name), cu.email::text,
                          'Customer ' || c.customer_id) END AS customer_name,
       CASE WHEN cu.registered_at IS NOT NULL THEN 'registered' ELSE 'guest' END AS customer_type,
       coalesce(cu.email, c.guest_email)::text AS email,
       c.ip,
       c.item_quantity AS item_count,
       coalesce(lines.line_count, 0) AS line_count,
       coalesce(lines.value, 0) AS value,
       c.currency,
       c.created_at,
       c.last_activity_at,
       now() - c.last_activity_at AS idle_for,
       cartwatch.classify_cart(c.item_quantity, c.order_id IS NOT NULL, c.last_activity_at,
                               pg_catalog.now() OPERATOR(pg_catalog.-) (SELECT cartwatch.abandon_after())) AS status,
       c.order_id
  FROM cartwatch.carts AS c
  LEFT JOIN cartwatch.customers AS cu ON cu.customer_id = c.customer_id
  LEFT JOIN LATERAL (SELECT count(*) AS line_count, sum(i.unit_price * i.quantity) AS value
                       FROM cartwatch.cart_items AS i WHERE i.cart_id = c.cart_id) AS lines ON true;
COMMENT ON VIEW cartwatch.cart_overview IS
    'Every cart as the shop''s cart list shows it: customer or Guest, IP, items, value, idle time, status.';

CREATE VIEW cartwatch.abandoned_cart_items AS
SELECT a.email,
       coalesce(i.product_name, p.name) AS product_name,
       a.customer_type,
       i.quantity,
       i.unit_price,
       i.unit_price * i.quantity AS line_total,
       i.variant,
       a.cart_id,
       i.product_id,
       a.currency,
       a.last_activity_at
  FROM cartwatch.abandoned_carts() AS a
  JOIN cartwatch.cart_items AS i ON i.cart_id = a.cart_id
  LEFT JOIN cartwatch.products AS p ON p.product_id = i.product_id;
COMMENT ON VIEW cartwatch.abandoned_cart_items IS
    'One row per item of every abandoned cart: e-mail, product, customer type, quantity, price.';

-- A "customer" is the registered customer, else the guest's typed e-mail, else the cart itself
-- (an anonymous visitor), so that one person with several carts counts once.
CREATE VIEW cartwatch.product_cart_stats AS
WITH lines AS (
    SELECT i.product_id,
           coalesce('c' || c.customer_id, 'e' || cartwatch.email_key(c.guest_email), 'k' || c.cart_id)
               AS who,
           cartwatch.classify_cart(c.item_quantity, c.order_id IS NOT NULL, c.last_activity_at,
                                   pg_catalog.now() OPERATOR(pg_catalog.-) (SELECT cartwatch.abandon_after())) AS status,
           i.quantity
      FROM cartwatch.cart_items AS i
      JOIN cartwatch.carts AS c ON c.cart_id = i.cart_id
)
SELECT p.product_id,
       p.name AS product_name,
       count(DISTINCT l.who) AS customers_added,
       count(DISTINCT l.who) FILTER (WHERE l.status IN ('active', 'abandoned')) AS customers_in_open_carts,
       count(DISTINCT l.who) FILTER (WHERE l.status = 'abandoned') AS customers_in_abandoned_carts,
       coalesce(sum(l.quantity) FILTER (WHERE l.status IN ('active', 'abandoned')), 0)
           AS quantity_in_open_carts
  FROM cartwatch.products AS p
  JOIN lines AS l ON l.product_id = p.product_id
 GROUP BY p.product_id, p.name;
COMMENT ON VIEW cartwatch.product_cart_stats IS
    'Per product: distinct customers who put it in a cart, in an open cart, in an abandoned cart.';

CREATE FUNCTION cartwatch.export_abandoned_carts(format text, as_of timestamptz DEFAULT now())
RETURNS text
AS 'MODULE_PATHNAME', 'cartwatch_export_abandoned_carts'
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION cartwatch.export_abandoned_carts(text, timestamptz) IS
    'Abandoned carts as CSV (RFC 4180, one record per item) or XML (one element per cart).';
