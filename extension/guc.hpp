// cartwatch's server settings (GUCs), all under the cartwatch. prefix and all defined here.
//
// Shop-level knobs live in the cartwatch.settings table (transactional, dumped, visible to the
// daemon); a GUC is only for what the server needs before any database is open, such as which
// database the background worker serves. Pure declarations: no PostgreSQL header needed.
#pragma once

namespace cartwatch {

// cartwatch.retention_database: the database whose retention policies the worker runs;
// empty = no worker. Changing it restarts the worker.
extern char* retention_database;

// cartwatch.retention_naptime (seconds): the longest the worker sleeps between two looks at
// the policies. It wakes earlier when a policy is due, so this only bounds how long a new or
// changed policy, or a newly created extension, waits to be noticed.
extern int retention_naptime;

// Defines the GUCs; called from _PG_init in every process that loads cartwatch.
void GucInit();

} // namespace cartwatch
