-- A customer's detail tabs, the private note and wishlists.
\ir tests/regress/setup.psql
\ir tests/regress/fixtures/shop.psql

INSERT INTO cartwatch.orders (order_id, customer_id, cart_id, status, total, placed_at)
VALUES (101, 2, 11, 'cancelled', 191.20, '2026-11-20 11:30+00');
INSERT INTO cartwatch.visits (customer_id, ip, started_at, ended_at, start_url, exit_url, page_views, cart_value, purchased)
VALUES (1, '192.0.2.10', '2026-11-19 09:00+00', '2026-11-19 10:01+00', '/pl/plecaki', '/pl/zamowienie', 9, 191.20, true);
INSERT INTO cartwatch.product_views (customer_id, product_id, viewed_at)
VALUES (1, 1, '2026-11-19 09:10+00'), (1, 1, '2026-11-20 08:10+00'), (1, 3, '2026-11-19 09:20+00'),
       (2, 3, '2026-11-20 10:40+00');

SELECT * FROM cartwatch.customer_orders ORDER BY customer_id, placed_at;
SELECT customer_id, cart_id, item_count, value, currency FROM cartwatch.customer_unordered_carts
 ORDER BY customer_id, cart_id;
-- Only valid orders count as purchases: Jürgen's cancelled order bought nothing.
SELECT * FROM cartwatch.customer_purchased_products ORDER BY customer_id, product_id;
-- Viewed, not bought: Anna bought the backpack (product 3), so only the mug is left.
SELECT * FROM cartwatch.customer_viewed_products ORDER BY customer_id, product_id;
SELECT * FROM cartwatch.customer_visits;

-- The private note: saved, replaced, removed by an empty text.
SELECT customer_id, note FROM cartwatch.set_customer_note(1, 'Often returns goods');
SELECT customer_id, note FROM cartwatch.set_customer_note(1, 'Prefers parcel lockers');
SELECT customer_id, note FROM cartwatch.customer_notes;
SELECT cartwatch.set_customer_note(1, '') IS NULL AS removed;
SELECT count(*) AS notes FROM cartwatch.customer_notes;
SELECT cartwatch.set_customer_note(99, 'nobody');

-- Wishlists: one tile per customer.
INSERT INTO cartwatch.wishlist_items (customer_id, product_id, variant, added_at)
VALUES (1, 1, '', '2026-11-10 10:00+00'), (1, 3, '', '2026-11-12 10:00+00'),
       (2, 2, 'Size: L', '2026-11-15 10:00+00');
SELECT * FROM cartwatch.wishlists ORDER BY customer_id;
-- A removed item leaves the tile.
DELETE FROM cartwatch.wishlist_items WHERE product_id = 3;
SELECT customer_id, item_count, product_names FROM cartwatch.wishlists ORDER BY customer_id;
