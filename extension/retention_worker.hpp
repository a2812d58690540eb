// The retention background worker (retention_worker.cpp). No PostgreSQL header needed.
#pragma once

namespace cartwatch {

// Registers the worker; does nothing unless cartwatch is being loaded by
// shared_preload_libraries, the only time a static background worker can be registered.
void RetentionWorkerInit();

} // namespace cartwatch
