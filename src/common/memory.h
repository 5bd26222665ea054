// Process memory figures for INFO memory and maxmemory. With jemalloc linked, used memory
// is what the allocator reports (refreshed cheaply from per-thread counters between
// refreshes of the global stats); without it (sanitizer builds) the caller's own
// accounting is used. Loop thread only, except ResidentSetBytes (any thread).
#pragma once

#include <cstddef>
#include <string>

namespace pykv {

// True when jemalloc provides the figures below.
bool AllocatorHasStats();
// "jemalloc-5.3.0" or "libc".
std::string AllocatorName();
// Bytes allocated and not yet freed, process-wide; 0 when !AllocatorHasStats().
size_t AllocatedBytes();
// Re-reads the allocator's global statistics (call once per loop iteration or cron tick).
void RefreshAllocatorStats();
// Resident set size from /proc/self/statm.
size_t ResidentSetBytes();
// Peak RSS (VmHWM) in bytes.
size_t PeakResidentSetBytes();
// Usable size of an allocation, for exact per-entry accounting.
size_t UsableSize(const void* p);

}  // namespace pykv
