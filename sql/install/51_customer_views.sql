-- section: customer detail
--
-- The tabs of a customer's page in the shop's back office (PrestaShop, AtomStore): orders,
-- carts that did not end in an order, purchased and viewed products, visits, a private note,
-- and wishlists. Every view has customer_id first: filter on it, and the indexes on
-- (customer_id, ...) make each tab an index read.
--
-- What a customer bought is read from the carts their valid orders came from (an order names
-- its cart; the cart's lines are the order's lines).

CREATE VIEW cartwatch.customer_orders AS
SELECT o.customer_id,
       o.order_id,
       o.placed_at,
       o.status,
       cartwatch.order_is_valid(o.status) AS valid,
       o.total,
       o.currency,
       o.paid_at,
       o.cancelled_at,
       o.cart_id,
       k.item_quantity AS item_count
  FROM cartwatch.orders AS o
  LEFT JOIN cartwatch.carts AS k ON k.cart_id = o.cart_id
 WHERE o.customer_id IS NOT NULL;
COMMENT ON VIEW cartwatch.customer_orders IS
    'A customer''s orders: date, status, valid (paid, shipped or delivered), total, items.';

CREATE VIEW cartwatch.customer_unordered_carts AS
SELECT k.customer_id,
       k.cart_id,
       k.created_at,
       k.last_activity_at,
       k.item_quantity AS item_count,
       coalesce(lines.value, 0) AS value,
       k.currency,
       cartwatch.classify_cart(k.item_quantity, false, k.last_activity_at,
                               pg_catalog.now() OPERATOR(pg_catalog.-) (SELECT cartwatch.abandon_after())) AS status
  FROM cartwatch.carts AS k
  LEFT JOIN LATERAL (SELECT sum(i.unit_price * i.quantity) AS value
                       FROM cartwatch.cart_items AS i WHERE i.cart_id = k.cart_id) AS lines ON true
 WHERE k.customer_id IS NOT NULL AND k.order_id IS NULL;
COMMENT ON VIEW cartwatch.customer_unordered_carts IS
    'A customer''s carts that did not end in an order: items, value, last activity, status (active, abandoned, empty).';

CREATE VIEW cartwatch.customer_purchased_products AS
SELECT o.customer_id,
       i.product_id,
       coalesce(p.name, min(i.product_name)) AS product_name,
       sum(i.quantity) AS quantity,
       count(DISTINCT o.order_id) AS orders,
       min(o.placed_at) AS first_purchased_at,
       max(o.placed_at) AS last_purchased_at
  FROM cartwatch.orders AS o
  JOIN cartwatch.cart_items AS i ON i.cart_id = o.cart_id
  LEFT JOIN cartwatch.products AS p ON p.product_id = i.product_id
 WHERE o.customer_id IS NOT NULL AND cartwatch.order_is_valid(o.status)
 GROUP BY o.customer_id, i.product_id, p.name;
COMMENT ON VIEW cartwatch.customer_purchased_products IS
    'Products a customer bought in valid orders: quantity, number of orders, first and last purchase.';

CREATE VIEW cartwatch.customer_viewed_products AS
SELECT v.customer_id,
       v.product_id,
       p.name AS product_name,
       count(*) AS views,
       max(v.viewed_at) AS last_viewed_at
  FROM cartwatch.product_views AS v
  JOIN cartwatch.products AS p ON p.product_id = v.product_id
 WHERE v.customer_id IS NOT NULL
   AND NOT EXISTS (SELECT FROM cartwatch.orders AS o
                     JOIN cartwatch.cart_items AS i ON i.cart_id = o.cart_id
                    WHERE o.customer_id = v.customer_id AND i.product_id = v.product_id
                      AND cartwatch.order_is_valid(o.status))
 GROUP BY v.customer_id, v.product_id, p.name;
COMMENT ON VIEW cartwatch.customer_viewed_products IS
    'Products a customer viewed but did not buy (in a valid order), with the number of views.';

CREATE VIEW cartwatch.customer_visits AS
SELECT v.customer_id,
       v.visit_id,
       v.started_at,
       v.ip,
       v.start_url,
       v.ended_at,
       v.exit_url,
       v.ended_at - v.started_at AS duration,
       v.page_views,
       v.cart_value,
       v.purchased
  FROM cartwatch.visits AS v
 WHERE v.customer_id IS NOT NULL;
COMMENT ON VIEW cartwatch.customer_visits IS
    'A customer''s visits: entry time, IP, start URL, exit time and URL, duration, page views, cart value, purchase.';

-- section: customer notes

CREATE TABLE cartwatch.customer_notes (
    customer_id bigint PRIMARY KEY REFERENCES cartwatch.customers ON DELETE CASCADE,
    note        text NOT NULL CHECK (length(note) <= 65535),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT current_user
);
COMMENT ON TABLE cartwatch.customer_notes IS
    'The private note the shop''s staff keep about a customer (never shown to the customer).';
SELECT pg_catalog.pg_extension_config_dump('cartwatch.customer_notes', '');

CREATE FUNCTION cartwatch.set_customer_note(customer_id bigint, note text)
RETURNS cartwatch.customer_notes
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    saved cartwatch.customer_notes;
BEGIN
    IF customer_id IS NULL THEN
        RAISE EXCEPTION 'customer_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT EXISTS (SELECT FROM cartwatch.customers AS c WHERE c.customer_id = set_customer_note.customer_id) THEN
        RAISE EXCEPTION 'customer % does not exist', customer_id USING ERRCODE = 'no_data_found';
    END IF;
    IF nullif(btrim(note), '') IS NULL THEN
        DELETE FROM cartwatch.customer_notes AS n WHERE n.customer_id = set_customer_note.customer_id;
        RETURN NULL;
    END IF;
    INSERT INTO cartwatch.customer_notes AS n (customer_id, note)
    VALUES (set_customer_note.customer_id, set_customer_note.note)
    ON CONFLICT ON CONSTRAINT customer_notes_pkey
    DO UPDATE SET note = EXCLUDED.note, updated_at = now(), updated_by = current_user
    RETURNING * INTO saved;
    RETURN saved;
END
$$;
COMMENT ON FUNCTION cartwatch.set_customer_note(bigint, text) IS
    'Saves the private note about a customer (an empty note deletes it); returns the saved note.';

-- section: wishlists

CREATE TABLE cartwatch.wishlist_items (
    customer_id bigint NOT NULL REFERENCES cartwatch.customers ON DELETE CASCADE,
    product_id  bigint NOT NULL REFERENCES cartwatch.products ON DELETE CASCADE,
    variant     text NOT NULL DEFAULT '',
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, product_id, variant)
);
COMMENT ON TABLE cartwatch.wishlist_items IS
    'Wishlists ("Merkzettel") of logged-in customers: one row per remembered product and variant.';
CREATE INDEX wishlist_items_product_idx ON cartwatch.wishlist_items (product_id);
SELECT pg_catalog.pg_extension_config_dump('cartwatch.wishlist_items', '');

CREATE VIEW cartwatch.wishlists AS
SELECT w.customer_id,
       c.email::text AS email,
       cartwatch.display_name(c.first_name, c.last_name) AS customer_name,
       count(*) AS item_count,
       sum(p.price) AS value,
       max(w.added_at) AS last_change_at,
       array_agg(p.name ORDER BY w.added_at DESC, p.name) AS product_names
  FROM cartwatch.wishlist_items AS w
  JOIN cartwatch.customers AS c ON c.customer_id = w.customer_id
  JOIN cartwatch.products AS p ON p.product_id = w.product_id
 GROUP BY w.customer_id, c.email, c.first_name, c.last_name;
COMMENT ON VIEW cartwatch.wishlists IS
    'One tile per customer''s wishlist: items, value at current prices, e-mail, last change (latest addition), products newest first.';
