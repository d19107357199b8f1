// Replaces the global operator new of a test binary so a test can count the
// allocations of the code it runs (STYLE.md rule 6: nothing on the packet
// path allocates). Include it in exactly one file of a test binary: it
// defines the replacement functions. Counting happens while `g_counting` is
// set; `g_allocations` holds the count.
#pragma once

#include <atomic>
#include <cstdlib>
#include <new>

// Our operator new is malloc and our delete is free; GCC cannot see they
// pair up once std::vector's deletes are inlined into the including file.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<std::size_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
#if defined(__cpp_exceptions)
  throw std::bad_alloc();
#else
  std::abort();  // router builds (-Dsmall, scripts/cross --test): no exceptions
#endif
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

// A test binary's control that the replacement is the one linked in: a
// no-allocation test that can never see an allocation proves nothing.
inline std::size_t count_one_allocation() {
  static int* volatile sink = nullptr;  // the store keeps the new from being elided
  g_allocations = 0;
  g_counting = true;
  sink = new int(1);
  g_counting = false;
  delete sink;
  return g_allocations.load();
}
