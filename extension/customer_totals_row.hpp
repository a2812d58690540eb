// One customer's summary row (cartwatch.customer_totals) updated in place, without SPI: the
// checkout's one-order fast paths. PostgreSQL side: include after postgres.h.
#pragma once

namespace cartwatch::summary {

// A new order (`customer_id` bigint, `status` text, `total` numeric, `placed_at` timestamptz)
// added to its customer's row the way logical replication's apply worker updates a row: found
// through the primary key, locked, the new version computed here and written with
// ExecSimpleRelationUpdate. Returns false, having changed nothing, whenever the SPI UPDATE must
// do it instead: no row to update, a row updated concurrently, a transaction that is not READ
// COMMITTED, or a summary table that asks for what only the executor gives (row security, a
// trigger of the shop's own, rights granted by column). Must run inside PgCall.
bool AddOrderInPlace(Datum customer_id, Datum status, Datum total, Datum placed_at);

// An order of the customer whose status or total changed (`old_status`, `old_total` before;
// `status`, `total` now), keeping its customer and placed_at: the difference added in place, on
// the same terms.
bool ChangeOrderInPlace(Datum customer_id, Datum old_status, Datum old_total, Datum status,
                        Datum total);

} // namespace cartwatch::summary
