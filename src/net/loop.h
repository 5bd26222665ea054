// Loop: the one libuv event loop thread and its hooks: a callback run once per iteration
// before the loop sleeps (where the AOF is written and replies are flushed), repeating
// timers, and signal handlers. Everything in net/ runs on this thread; nothing here
// knows RESP or commands. Construct, register hooks, then Run() on the thread that owns it.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "common/status.h"

namespace pykv::net {

class Loop {
 public:
  Loop();
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  uv_loop_t* raw() { return &loop_; }

  // Runs until Stop(); returns when every handle is closed.
  Status Run();
  // Asks the loop to finish: closes the hooks registered here; owners of other handles
  // (listeners, connections) must close theirs too. Safe from loop callbacks. After Stop(),
  // before-sleep callbacks no longer run, new timers and signals are ignored, and Post()
  // drops its function (as do functions posted but not yet run).
  void Stop();
  bool stopping() const { return stopping_; }

  // Called once per iteration, before the loop blocks for I/O.
  void AddBeforeSleep(std::function<void()> fn);
  // The loop sleeps at most delay_ms from now (a sooner wake already set stands): work a
  // before-sleep callback put off runs then, even when no I/O comes.
  void WakeIn(uint64_t delay_ms);
  // Calls fn every interval_ms (first call after interval_ms).
  void AddTimer(uint64_t interval_ms, std::function<void()> fn);
  // Calls fn on the loop thread when the process receives signum.
  void OnSignal(int signum, std::function<void()> fn);
  // Runs step between I/O polls, without letting the loop block, until it returns false
  // (long work cut into slices, e.g. loading the data set while clients are served).
  void RunWhileBusy(std::function<bool()> step);
  // Wakes the loop from another thread and runs fn on the loop thread. Any thread; the
  // caller must stop posting (join its thread) before the Loop is destroyed.
  void Post(std::function<void()> fn);

  // Cached loop time in ms (uv_now), cheap.
  uint64_t now_ms() { return uv_now(&loop_); }

 private:
  struct Hook;
  static void OnPrepare(uv_prepare_t* h);
  static void OnAsync(uv_async_t* h);
  static void OnHookClose(uv_handle_t* h);
  Hook* NewHook(std::function<void()> fn);

  uv_loop_t loop_;
  uv_prepare_t prepare_;
  uv_timer_t wake_;  // WakeIn: its firing only ends the poll
  uv_async_t async_;
  bool stopping_ = false;
  // A deque so a callback may add another without moving the one that is running.
  std::deque<std::function<void()>> before_sleep_;
  std::vector<std::unique_ptr<Hook>> hooks_;  // timers and signals
  struct PostQueue;
  std::unique_ptr<PostQueue> posted_;
};

}  // namespace pykv::net
