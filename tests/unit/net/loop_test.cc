#include "net/loop.h"

#include <doctest/doctest.h>

#include <atomic>
#include <csignal>
#include <thread>

#include "unit/net/echo_server.h"

namespace pykv::net {
namespace {

using testing::CountHandles;

// Every test arms one: a hung loop fails the test instead of hanging the run.
void AddWatchdog(Loop& loop, bool* fired, uint64_t ms = 20000) {
  loop.AddTimer(ms, [&loop, fired] {
    *fired = true;
    loop.Stop();
  });
}

TEST_CASE("Run() blocks until Stop(), then returns with no handle left") {
  Loop loop;
  bool watchdog = false;
  AddWatchdog(loop, &watchdog);
  int fired = 0;
  loop.AddTimer(1, [&] {
    if (++fired == 3) loop.Stop();
  });
  CHECK(loop.Run().ok());
  CHECK_FALSE(watchdog);
  CHECK(fired == 3);
  CHECK(loop.stopping());
  CHECK(uv_loop_alive(loop.raw()) == 0);
  CHECK(CountHandles(loop.raw()) == 0);
  // A second Run() has nothing to wait for.
  CHECK(loop.Run().ok());
}

TEST_CASE("timers repeat at their interval, each with its own callback") {
  Loop loop;
  bool watchdog = false;
  AddWatchdog(loop, &watchdog);
  int fast = 0, slow = 0;
  loop.AddTimer(1, [&] { ++fast; });
  loop.AddTimer(5, [&] {
    if (++slow == 4) loop.Stop();
  });
  CHECK(loop.Run().ok());
  CHECK_FALSE(watchdog);
  CHECK(slow == 4);
  CHECK(fast >= 4);  // both started at once; the 1 ms one cannot fire fewer times
}

TEST_CASE("before-sleep callbacks run every iteration, and may add more") {
  Loop loop;
  bool watchdog = false;
  AddWatchdog(loop, &watchdog);
  int a = 0, b = 0, ticks = 0;
  loop.AddBeforeSleep([&] {
    if (++a == 1) loop.AddBeforeSleep([&] { ++b; });
  });
  loop.AddTimer(1, [&] {
    if (++ticks == 5) loop.Stop();
  });
  CHECK(loop.Run().ok());
  CHECK_FALSE(watchdog);
  // Each timer wake-up is an iteration that goes to sleep again afterwards.
  CHECK(a >= ticks - 1);
  CHECK(b >= 1);
  CHECK(b <= a);
  int a_after = a;
  CHECK(loop.Run().ok());
  CHECK(a == a_after);  // nothing runs after Stop()
}

TEST_CASE("WakeIn ends a sleep that nothing else would end; a sooner wake stands") {
  Loop loop;
  bool watchdog = false;
  AddWatchdog(loop, &watchdog, 10000);
  int turns = 0;
  loop.AddBeforeSleep([&] {
    ++turns;
    if (turns == 1) {
      // With no timer and no I/O the loop would sleep until the watchdog; the later,
      // longer request must not push the first one back.
      loop.WakeIn(2);
      loop.WakeIn(60000);
    } else if (turns == 2) {
      // And a sooner request brings a later one forward.
      loop.WakeIn(60000);
      loop.WakeIn(2);
    } else {
      loop.Stop();
    }
  });
  CHECK(loop.Run().ok());
  CHECK_FALSE(watchdog);
  CHECK(turns == 3);
  CHECK(CountHandles(loop.raw()) == 0);
  loop.WakeIn(1);  // after Stop(): ignored, no handle is started
  CHECK(uv_loop_alive(loop.raw()) == 0);
}

TEST_CASE("Post() from other threads runs on the loop thread, in order") {
  Loop loop;
  bool watchdog = false;
  AddWatchdog(loop, &watchdog);
  const auto loop_thread = std::this_thread::get_id();
  constexpr int kPosts = 10000;
  int count = 0;  // loop thread only
  bool in_order = true;
  bool on_loop_thread = true;
  std::thread poster([&] {
    for (int i = 0; i < kPosts; ++i) {
      loop.Post([&, i] {
        in_order = in_order && count == i;
        on_loop_thread = on_loop_thread && std::this_thread::get_id() == loop_thread;
        if (++count == kPosts) loop.Stop();
      });
    }
  });
  CHECK(loop.Run().ok());
  poster.join();
  CHECK_FALSE(watchdog);
  CHECK(count == kPosts);
  CHECK(in_order);
  CHECK(on_loop_thread);
  // After Stop(), Post() drops the function instead of touching the closed handle.
  loop.Post([&] { ++count; });
  CHECK(loop.Run().ok());
  CHECK(count == kPosts);
}

TEST_CASE("Post() from several threads while the loop runs") {
  Loop loop;
  bool watchdog = false;
  AddWatchdog(loop, &watchdog);
  std::atomic<int> ran{0};
  constexpr int kThreads = 4, kEach = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i)
        loop.Post([&] {
          if (ran.fetch_add(1) + 1 == kThreads * kEach) loop.Stop();
        });
    });
  }
  CHECK(loop.Run().ok());
  for (auto& t : threads) t.join();
  CHECK_FALSE(watchdog);
  CHECK(ran.load() == kThreads * kEach);
}

TEST_CASE("OnSignal runs its callback on the loop thread") {
  Loop loop;
  bool watchdog = false;
  AddWatchdog(loop, &watchdog);
  int got = 0;
  loop.OnSignal(SIGUSR1, [&] {
    ++got;
    loop.Stop();
  });
  bool raised = false;
  loop.AddTimer(1, [&] {
    if (!raised) {
      raised = true;
      std::raise(SIGUSR1);
    }
  });
  CHECK(loop.Run().ok());
  CHECK_FALSE(watchdog);
  CHECK(got == 1);
}

TEST_CASE("Stop() from a before-sleep callback and hooks added after Stop()") {
  Loop loop;
  bool watchdog = false;
  AddWatchdog(loop, &watchdog);
  int runs = 0;
  loop.AddBeforeSleep([&] {
    ++runs;
    loop.Stop();
    loop.Stop();  // idempotent
    // Ignored: they would keep a stopping loop alive.
    loop.AddTimer(1, [] {});
    loop.OnSignal(SIGUSR2, [] {});
  });
  CHECK(loop.Run().ok());
  CHECK_FALSE(watchdog);
  CHECK(runs == 1);
  CHECK(CountHandles(loop.raw()) == 0);
}

TEST_CASE("~Loop without Run() closes its hooks and leftover handles") {
  // Declared before the loop so its memory outlives ~Loop, which closes it.
  uv_timer_t foreign;
  {
    Loop loop;
    loop.AddTimer(10, [] {});
    loop.OnSignal(SIGUSR2, [] {});
    loop.AddBeforeSleep([] {});
    loop.Post([] {});
    uv_timer_init(loop.raw(), &foreign);
    uv_timer_start(
        &foreign, [](uv_timer_t*) {}, 1000, 0);
    // ~Loop must uv_loop_close successfully (asserted inside) and leak nothing (LSan).
  }
  {
    Loop loop;
    loop.Stop();
    CHECK(loop.Run().ok());
  }
}

}  // namespace
}  // namespace pykv::net
