// cartwatch.classify_cart(): the SQL face of ClassifyCart(), called per row by cart_status()
// and the cart views so that SQL and C++ share one definition of "abandoned".
extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
}

#include "cart_rules.hpp"
#include "pg_boundary.hpp"

// classify_cart(item_quantity bigint, ordered boolean, last_activity_at timestamptz,
//               abandoned_before timestamptz) RETURNS text; NULLs read as "nothing known":
// no quantity = empty, unknown activity = not abandoned.
CW_FUNCTION(cartwatch_classify_cart) {
    cartwatch::CartFacts cart{};
    cart.item_quantity = PG_ARGISNULL(0) ? 0 : PG_GETARG_INT64(0);
    cart.ordered = PG_ARGISNULL(1) ? false : PG_GETARG_BOOL(1);
    cart.last_activity_at = PG_ARGISNULL(2) ? DT_NOEND : PG_GETARG_TIMESTAMPTZ(2);
    const int64_t abandoned_before = PG_ARGISNULL(3) ? DT_NOBEGIN : PG_GETARG_TIMESTAMPTZ(3);
    const char* status = CartStatusName(ClassifyCart(cart, abandoned_before));
    PG_RETURN_TEXT_P(cartwatch::PgCall([status] { return cstring_to_text(status); }));
}
