// The cartwatch.* GUCs; see guc.hpp.
extern "C" {
#include "postgres.h"
#include "utils/guc.h"
}

#include "guc.hpp"

namespace cartwatch {

char* retention_database = nullptr;
int retention_naptime = 60;

void GucInit() {
    // SIGHUP rather than POSTMASTER: PostgreSQL only lets a library define POSTMASTER GUCs while
    // it is preloaded, and cartwatch is also loaded on demand by ordinary sessions.
    DefineCustomStringVariable(
        "cartwatch.retention_database",
        "Database whose retention policies the cartwatch background worker runs.",
        "The worker runs only when cartwatch is in shared_preload_libraries. An empty value "
        "disables it; a change restarts it.",
        &retention_database, "postgres", PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "cartwatch.retention_naptime",
        "Longest sleep of the cartwatch retention worker between two looks at the policies.",
        "The worker also wakes when a policy is due; this bounds how long a new or changed "
        "policy waits to be noticed.",
        &retention_naptime, 60, 1, 3600, PGC_SIGHUP, GUC_UNIT_S, nullptr, nullptr, nullptr);
    // The prefix is deliberately not reserved with MarkGUCPrefixReserved(): sessions may keep
    // their own cartwatch.* placeholders (SET cartwatch.x = ...) for per-session flags.
}

} // namespace cartwatch
