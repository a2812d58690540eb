// The module's entry file: the magic block PostgreSQL checks on load, and _PG_init.
extern "C" {
#include "postgres.h"
#include "fmgr.h"

PG_MODULE_MAGIC;

void _PG_init(void);
}

#include "guc.hpp"
#include "retention_worker.hpp"

// One Init per subsystem. Shop-level knobs are rows of cartwatch.settings (transactional,
// dumped, visible to the daemon); GUCs are kept for what the server needs before any database
// is open.
void _PG_init(void) {
    cartwatch::GucInit();
    cartwatch::RetentionWorkerInit();
}
