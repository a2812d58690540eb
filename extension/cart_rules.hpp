// The cart lifecycle rule, in one place. Pure C++ so unit tests call it without a server.
#pragma once

#include <cstdint>

namespace cartwatch {

enum class CartStatus { Active, Abandoned, Ordered, Empty };

struct CartFacts {
    int64_t item_quantity;    // sum of the cart's item quantities
    bool ordered;             // the cart became an order
    int64_t last_activity_at; // PostgreSQL timestamptz: microseconds since 2000-01-01 UTC
};

// Ordered wins over everything (an ordered cart is never reminded about), an empty cart is
// never abandoned, and a cart with items is abandoned once it has been idle since
// `abandoned_before` (as_of - abandon_after) or earlier.
CartStatus ClassifyCart(const CartFacts& cart, int64_t abandoned_before);

const char* CartStatusName(CartStatus status);

} // namespace cartwatch
