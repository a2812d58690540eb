// The module's entry file: the magic block PostgreSQL checks on load, and _PG_init.
extern "C" {
#include "postgres.h"
#include "fmgr.h"

PG_MODULE_MAGIC;

void _PG_init(void);
}

// Nothing to register yet: cartwatch keeps its configuration in cartwatch.settings (a table,
// so it is transactional, dumped and visible to the daemon) rather than in GUCs.
void _PG_init(void) {}
