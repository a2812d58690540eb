// cartwatch.retry_delay(): the SQL face of RetryDelay(), used by fail_reminder().
extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "datatype/timestamp.h"
#include "utils/timestamp.h"
}

#include "pg_boundary.hpp"
#include "retry_backoff.hpp"

namespace {

// An interval as microseconds, with a month as 30 days and a day as 24 hours (as
// justify_interval does): retry delays are short, so the calendar does not matter.
int64_t Microseconds(const Interval* span) {
    return span->time +
           (static_cast<int64_t>(span->month) * DAYS_PER_MONTH + span->day) * USECS_PER_DAY;
}

} // namespace

// retry_delay(failures integer, base interval, cap interval, seed bigint) RETURNS interval.
CW_FUNCTION(cartwatch_retry_delay) {
    const int32 failures = PG_GETARG_INT32(0);
    const int64_t base = Microseconds(PG_GETARG_INTERVAL_P(1));
    const int64_t cap = Microseconds(PG_GETARG_INTERVAL_P(2));
    const int64 seed = PG_GETARG_INT64(3);
    const int64_t delay = cartwatch::RetryDelay(failures, base, cap, seed);
    Interval* result =
        cartwatch::PgCall([] { return static_cast<Interval*>(palloc0(sizeof(Interval))); });
    result->time = delay;
    PG_RETURN_INTERVAL_P(result);
}
