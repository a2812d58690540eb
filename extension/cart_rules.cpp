#include "cart_rules.hpp"

namespace cartwatch {

CartStatus ClassifyCart(const CartFacts& cart, int64_t abandoned_before) {
    if (cart.ordered) {
        return CartStatus::Ordered;
    }
    if (cart.item_quantity <= 0) {
        return CartStatus::Empty;
    }
    return cart.last_activity_at <= abandoned_before ? CartStatus::Abandoned : CartStatus::Active;
}

const char* CartStatusName(CartStatus status) {
    switch (status) {
    case CartStatus::Active:
        return "active";
    case CartStatus::Abandoned:
        return "abandoned";
    case CartStatus::Ordered:
        return "ordered";
    case CartStatus::Empty:
        return "empty";
    }
    return "unknown";
}

} // namespace cartwatch
