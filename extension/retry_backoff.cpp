// Exponential backoff with deterministic jitter; see retry_backoff.hpp.
#include "retry_backoff.hpp"

#include <algorithm>

namespace cartwatch {
namespace {

// SplitMix64's finaliser: a cheap, well-mixed 64-bit hash (Steele, Lea, Flood 2014).
uint64_t Mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

} // namespace

int64_t RetryDelay(int failures, int64_t base, int64_t cap, int64_t seed) {
    base = std::max<int64_t>(base, 0);
    cap = std::max<int64_t>(cap, 0);
    failures = std::max(failures, 1);
    // Double until the cap; stopping early keeps the shift from overflowing.
    int64_t delay = std::min(base, cap);
    for (int i = 1; i < failures && delay < cap; ++i) {
        delay = delay > cap / 2 ? cap : delay * 2;
    }
    // Jitter factor in [0.75, 1.0): the top 53 bits of the hash as a fraction in [0, 1).
    const uint64_t hash =
        Mix(static_cast<uint64_t>(seed) * 0x100000001B3ULL ^ static_cast<uint64_t>(failures));
    const double unit = static_cast<double>(hash >> 11) / static_cast<double>(1ULL << 53);
    const auto jittered = static_cast<int64_t>(static_cast<double>(delay) * (0.75 + 0.25 * unit));
    // Whole seconds (unless the delay is shorter): retry times read better in logs and tests.
    constexpr int64_t kSecond = 1000000;
    return jittered >= kSecond ? jittered / kSecond * kSecond : jittered;
}

} // namespace cartwatch
