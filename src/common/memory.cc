#include "common/memory.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string_view>

#ifdef PYKV_HAVE_JEMALLOC
// Debian's jemalloc is built without a symbol prefix: it replaces malloc and friends, and
// also provides malloc_usable_size, so <malloc.h> is not included alongside it.
#include <jemalloc/jemalloc.h>
#else
#include <malloc.h>
#endif

namespace pykv {
namespace {

// Reads a small /proc file into buf (NUL-terminated); returns the length, 0 on failure.
// Plain read(2) rather than streams: ResidentSetBytes may be called from any thread and
// often (INFO, maxmemory checks), and must not allocate.
size_t ReadProcFile(const char* path, char* buf, size_t cap) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  size_t len = 0;
  while (len + 1 < cap) {
    const ssize_t r = ::read(fd, buf + len, cap - 1 - len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    len += static_cast<size_t>(r);
  }
  ::close(fd);
  buf[len] = '\0';
  return len;
}

// Parses the decimal number at *p, skipping leading blanks, and advances *p past it.
uint64_t ParseNumberAt(const char** p) {
  const char* s = *p;
  while (*s == ' ' || *s == '\t') ++s;
  uint64_t v = 0;
  while (*s >= '0' && *s <= '9') {
    v = v * 10 + static_cast<uint64_t>(*s - '0');
    ++s;
  }
  *p = s;
  return v;
}

#ifdef PYKV_HAVE_JEMALLOC

// jemalloc's global "stats.allocated" needs an "epoch" refresh that merges every arena's
// counters: too slow to do per command. Its per-thread cumulative counters are a plain
// memory read once their addresses are known. So AllocatedBytes() is the global figure at
// the last refresh plus what this thread allocated minus what it freed since. The loop
// thread does nearly all allocation, so the estimate is tight between refreshes. The state
// is thread_local so that a stray call from another thread reads its own counters rather
// than the loop thread's against a foreign baseline.
struct JemallocCounters {
  bool initialized = false;
  const uint64_t* allocatedp = nullptr;
  const uint64_t* deallocatedp = nullptr;
  size_t base = 0;
  uint64_t allocated_at_refresh = 0;
  uint64_t deallocated_at_refresh = 0;
};

thread_local JemallocCounters tls_counters;

void InitThreadCounters(JemallocCounters* c) {
  c->initialized = true;
  uint64_t* ptr = nullptr;
  size_t sz = sizeof(ptr);
  if (mallctl("thread.allocatedp", &ptr, &sz, nullptr, 0) == 0) c->allocatedp = ptr;
  sz = sizeof(ptr);
  if (mallctl("thread.deallocatedp", &ptr, &sz, nullptr, 0) == 0) c->deallocatedp = ptr;
}

void Refresh(JemallocCounters* c) {
  if (!c->initialized) InitThreadCounters(c);
  uint64_t epoch = 1;
  size_t sz = sizeof(epoch);
  mallctl("epoch", &epoch, &sz, &epoch, sz);
  size_t allocated = 0;
  sz = sizeof(allocated);
  if (mallctl("stats.allocated", &allocated, &sz, nullptr, 0) == 0) c->base = allocated;
  c->allocated_at_refresh = c->allocatedp ? *c->allocatedp : 0;
  c->deallocated_at_refresh = c->deallocatedp ? *c->deallocatedp : 0;
}

#endif  // PYKV_HAVE_JEMALLOC

}  // namespace

bool AllocatorHasStats() {
#ifdef PYKV_HAVE_JEMALLOC
  return true;
#else
  return false;
#endif
}

std::string AllocatorName() {
#ifdef PYKV_HAVE_JEMALLOC
  const char* version = nullptr;
  size_t sz = sizeof(version);
  if (mallctl("version", &version, &sz, nullptr, 0) != 0 || version == nullptr) {
    return "jemalloc";
  }
  // "5.3.0-0-g54eaed1d..." -> "5.3.0", as Redis's mem_allocator shows it.
  std::string_view v(version);
  v = v.substr(0, v.find('-'));
  return "jemalloc-" + std::string(v);
#else
  return "libc";
#endif
}

size_t AllocatedBytes() {
#ifdef PYKV_HAVE_JEMALLOC
  JemallocCounters& c = tls_counters;
  if (!c.initialized) Refresh(&c);
  const uint64_t allocated = c.allocatedp ? *c.allocatedp - c.allocated_at_refresh : 0;
  const uint64_t deallocated = c.deallocatedp ? *c.deallocatedp - c.deallocated_at_refresh : 0;
  // This thread may free memory other threads allocated before the refresh, so the delta
  // can be negative; it can never take the process below zero.
  const uint64_t total = c.base + allocated;
  return total > deallocated ? static_cast<size_t>(total - deallocated) : 0;
#else
  return 0;
#endif
}

void RefreshAllocatorStats() {
#ifdef PYKV_HAVE_JEMALLOC
  Refresh(&tls_counters);
#endif
}

size_t ResidentSetBytes() {
  char buf[256];
  if (ReadProcFile("/proc/self/statm", buf, sizeof(buf)) == 0) return 0;
  const char* p = buf;
  ParseNumberAt(&p);  // Total program size; the resident count follows.
  const uint64_t pages = ParseNumberAt(&p);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  return static_cast<size_t>(pages) * static_cast<size_t>(page_size > 0 ? page_size : 4096);
}

size_t PeakResidentSetBytes() {
  char buf[4096];
  if (ReadProcFile("/proc/self/status", buf, sizeof(buf)) == 0) return 0;
  const char* line = std::strstr(buf, "VmHWM:");
  if (line == nullptr) return 0;
  const char* p = line + std::strlen("VmHWM:");
  return static_cast<size_t>(ParseNumberAt(&p)) * 1024;  // The kernel reports kB.
}

size_t UsableSize(const void* p) {
  if (p == nullptr) return 0;
  // malloc_usable_size takes a non-const pointer but only reads allocator metadata.
  return malloc_usable_size(const_cast<void*>(p));
}

}  // namespace pykv
