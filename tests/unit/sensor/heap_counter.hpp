// Counts live heap bytes by replacing the global operator new/delete.
// Include it in exactly one source file of a test binary of its own.
#pragma once
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>

namespace {

// Live heap bytes as glibc's allocator spends them: a chunk is the request
// plus an 8-byte header rounded up to 16, at least 32 bytes.
std::atomic<long long> g_live_bytes{0};

constexpr std::size_t kHeader = 16;  // keeps max_align_t alignment

std::size_t chunk_bytes(std::size_t n) {
  const std::size_t chunk = (n + 8 + 15) / 16 * 16;
  return chunk < 32 ? 32 : chunk;
}

void* counted_new(std::size_t n) {
  void* raw = std::malloc(n + kHeader);
  if (raw == nullptr) throw std::bad_alloc();
  *static_cast<std::size_t*>(raw) = n;
  g_live_bytes += static_cast<long long>(chunk_bytes(n));
  return static_cast<char*>(raw) + kHeader;
}

void counted_delete(void* p) noexcept {
  if (p == nullptr) return;
  void* raw = static_cast<char*>(p) - kHeader;
  g_live_bytes -= static_cast<long long>(chunk_bytes(*static_cast<std::size_t*>(raw)));
  std::free(raw);
}

}  // namespace

void* operator new(std::size_t n) { return counted_new(n); }
void* operator new[](std::size_t n) { return counted_new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_new(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_new(n);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { counted_delete(p); }
void operator delete[](void* p) noexcept { counted_delete(p); }
void operator delete(void* p, std::size_t) noexcept { counted_delete(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_delete(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_delete(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_delete(p); }

