// How long a reminder waits before its next attempt after a transient failure. Pure C++ so
// unit tests pin the curve down without a server.
#pragma once

#include <cstdint>

namespace cartwatch {

// Delay before the retry that follows failure number `failures` (1 for the first failure):
// base * 2^(failures - 1), capped at `cap`, then scaled by a jitter factor in [0.75, 1.0).
// The jitter is a hash of (seed, failures), not a random draw: a reminder (seed = its id) gets
// the same delay every time, so tests are deterministic, while reminders that failed together
// (an SMTP outage) still spread out instead of retrying in one burst.
// The result is truncated to whole seconds when it is at least one second.
// All times in microseconds; base and cap are clamped to at least 0, failures to at least 1.
int64_t RetryDelay(int failures, int64_t base, int64_t cap, int64_t seed);

} // namespace cartwatch
