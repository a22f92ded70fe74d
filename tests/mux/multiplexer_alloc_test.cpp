// Counts heap allocations made while the multiplexer runs in steady state, through a replaced
// global operator new (it forwards to malloc; counting is on only inside the measured window).
#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include <gtest/gtest.h>

#include "tests/mux/multiplexer_test_support.hpp"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
}  // namespace

// GCC cannot see that these deletes only ever receive pointers from the malloc above.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t size) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  return ::operator new(size);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
// The nothrow forms too (std::stable_sort's temporary buffer uses them): every allocation must go
// through the same malloc/free pair, or a sanitizer sees memory from its own allocator freed here.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return ::operator new(size, tag);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}

namespace skyclass::mux {
namespace {

using namespace skyclass::mux::test;

TEST(MultiplexerAllocations, CounterSeesAllocations) {
  g_allocations = 0;
  g_counting = true;
  std::vector<int> v(1000, 7);
  volatile int sink = v[500];
  g_counting = false;
  EXPECT_EQ(sink, 7);
  EXPECT_GE(g_allocations.load(), 1);
}

TEST(MultiplexerAllocations, NoneInSteadyState) {
  MultiplexerConfig config;
  config.pcr_pid = kVideoPid;
  config.streams = {{kVideoPid, StreamKind::h264, 0xE0, 1'800'000},
                    {kAudioPid, StreamKind::mpeg_audio, 0xC0, 192'000}};
  FakePatSource pat;
  Multiplexer mux(config, &pat);
  // Every GOP has the same frame sizes, so the buffers reach their working size in warm-up.
  const auto content = interleave({make_video(25 * 40, 0, 1'800'000, 7, /*jitter_percent=*/0),
                                   make_mp2(40 * 1000 / 24, 0, 11)});
  Bytes buffer(188 * 64);
  std::uint64_t bytes_out = 0;
  auto push_and_pull = [&](const TestAu& au) {
    mux.push(au.view());
    while (std::size_t n = mux.pull(buffer)) bytes_out += n;
  };
  const std::size_t warm_up = content.size() / 2;  // 20 s
  for (std::size_t i = 0; i < warm_up; ++i) push_and_pull(content[i]);
  const std::uint64_t packets_before = mux.packets_written();

  g_allocations = 0;
  g_counting = true;
  for (std::size_t i = warm_up; i < content.size(); ++i) push_and_pull(content[i]);
  g_counting = false;

  const std::uint64_t packets = mux.packets_written() - packets_before;
  EXPECT_GT(packets, 30'000u);  // about 20 s at 2.5 Mbit/s
  EXPECT_EQ(g_allocations.load(), 0) << "over " << packets << " packets";
  EXPECT_EQ(bytes_out, mux.packets_written() * 188);
}

}  // namespace
}  // namespace skyclass::mux
