#include "net/loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <csignal>
#include <mutex>
#include <utility>

namespace pykv::net {

// A timer or a signal handle with its callback. Heap-held so its address stays fixed while
// libuv points at it; freed only in its close callback (or after the last uv_run).
struct Loop::Hook {
  union {
    uv_timer_t timer;
    uv_signal_t signal;
    uv_idle_t idle;
  };
  std::function<void()> fn;
  std::function<bool()> step;  // idle hooks: runs until it returns false
  Loop* owner = nullptr;
  bool is_timer = true;

  uv_handle_t* handle() {
    return is_timer ? reinterpret_cast<uv_handle_t*>(&timer)
                    : reinterpret_cast<uv_handle_t*>(&signal);
  }
};

// Functions posted from other threads. `closed` is set by Stop() under the mutex, so a
// Post() racing with Stop() either signals the async handle before it is closed or sees
// `closed` and drops its function: uv_async_send never touches a closed handle.
struct Loop::PostQueue {
  std::mutex mu;
  std::vector<std::function<void()>> queue;
  // Swapped with `queue` on the loop thread so steady-state posting reuses capacity.
  std::vector<std::function<void()>> running;
  bool closed = false;
};

Loop::Loop() : posted_(std::make_unique<PostQueue>()) {
  // Writes to a socket whose peer went away must come back as EPIPE, not kill the server;
  // libuv writes with plain write(2)/writev(2), so SIGPIPE has to be ignored process-wide.
  std::signal(SIGPIPE, SIG_IGN);

  int rc = uv_loop_init(&loop_);
  // uv_loop_init fails only when the process is out of file descriptors or memory at
  // start-up; nothing sensible can run then.
  if (rc != 0) {
    spdlog::critical("uv_loop_init: {}", uv_strerror(rc));
    std::abort();
  }
  loop_.data = this;

  uv_prepare_init(&loop_, &prepare_);
  prepare_.data = this;
  uv_prepare_start(&prepare_, &Loop::OnPrepare);
  // The async handle alone keeps the loop alive until Stop(); the prepare handle needs not.
  uv_unref(reinterpret_cast<uv_handle_t*>(&prepare_));
  uv_timer_init(&loop_, &wake_);
  uv_unref(reinterpret_cast<uv_handle_t*>(&wake_));

  uv_async_init(&loop_, &async_, &Loop::OnAsync);
  async_.data = this;
}

Loop::~Loop() {
  if (!stopping_) Stop();
  // Anything still open belongs to an owner that forgot to close it. Close it with no
  // callback so uv_loop_close can succeed; its memory must outlive this destructor.
  uv_walk(
      &loop_,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) {
          spdlog::warn("loop: closing leftover {} handle", uv_handle_type_name(h->type));
          uv_close(h, nullptr);
        }
      },
      nullptr);
  // Runs the close callbacks (which free the hooks) and cancelled request callbacks.
  uv_run(&loop_, UV_RUN_DEFAULT);
  int rc = uv_loop_close(&loop_);
  if (rc != 0) spdlog::error("uv_loop_close: {}", uv_strerror(rc));
  assert(rc == 0);
  hooks_.clear();
}

Status Loop::Run() {
  uv_run(&loop_, UV_RUN_DEFAULT);
  // UV_RUN_DEFAULT returns early only after uv_stop(), which net/ never calls; report it
  // rather than pretend everything is closed.
  if (uv_loop_alive(&loop_) != 0) return Status::IoError("loop returned with live handles");
  return Status::Ok();
}

void Loop::Stop() {
  if (stopping_) return;
  stopping_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&wake_), nullptr);
  {
    std::lock_guard<std::mutex> lock(posted_->mu);
    posted_->closed = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
    // Nobody will run these any more; their captures are released on this thread.
    posted_->queue.clear();
  }
  for (auto& hook : hooks_) {
    uv_handle_t* h = hook->handle();
    if (!uv_is_closing(h)) uv_close(h, &Loop::OnHookClose);
  }
}

void Loop::AddBeforeSleep(std::function<void()> fn) {
  before_sleep_.push_back(std::move(fn));
}

void Loop::WakeIn(uint64_t delay_ms) {
  if (stopping_) return;
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(&wake_)) != 0 &&
      uv_timer_get_due_in(&wake_) <= delay_ms) {
    return;
  }
  uv_timer_start(
      &wake_, [](uv_timer_t*) {}, delay_ms, 0);
}

Loop::Hook* Loop::NewHook(std::function<void()> fn) {
  auto hook = std::make_unique<Hook>();
  hook->fn = std::move(fn);
  hook->owner = this;
  Hook* raw = hook.get();
  hooks_.push_back(std::move(hook));
  return raw;
}

void Loop::AddTimer(uint64_t interval_ms, std::function<void()> fn) {
  // After Stop() a new handle would keep the loop from ever finishing.
  if (stopping_) return;
  Hook* hook = NewHook(std::move(fn));
  hook->is_timer = true;
  uv_timer_init(&loop_, &hook->timer);
  hook->timer.data = hook;
  uv_timer_start(
      &hook->timer, [](uv_timer_t* t) { static_cast<Hook*>(t->data)->fn(); }, interval_ms,
      interval_ms);
}

void Loop::OnSignal(int signum, std::function<void()> fn) {
  if (stopping_) return;
  Hook* hook = NewHook(std::move(fn));
  hook->is_timer = false;
  uv_signal_init(&loop_, &hook->signal);
  hook->signal.data = hook;
  int rc = uv_signal_start(
      &hook->signal, [](uv_signal_t* s, int) { static_cast<Hook*>(s->data)->fn(); }, signum);
  if (rc != 0) {
    spdlog::warn("loop: cannot watch signal {}: {}", signum, uv_strerror(rc));
    uv_close(hook->handle(), &Loop::OnHookClose);
  }
}

void Loop::RunWhileBusy(std::function<bool()> step) {
  if (stopping_) return;
  Hook* hook = NewHook(nullptr);
  hook->step = std::move(step);
  uv_idle_init(&loop_, &hook->idle);
  hook->idle.data = hook;
  // An active idle handle makes the loop poll without blocking, so the step runs again as
  // soon as pending I/O has been served.
  uv_idle_start(&hook->idle, [](uv_idle_t* h) {
    auto* k = static_cast<Hook*>(h->data);
    if (k->step()) return;
    uv_idle_stop(h);
    if (!uv_is_closing(k->handle())) uv_close(k->handle(), &Loop::OnHookClose);
  });
}

void Loop::Post(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(posted_->mu);
  if (posted_->closed) return;
  posted_->queue.push_back(std::move(fn));
  // Sent under the lock: see PostQueue. uv_async_send coalesces, so this is cheap when the
  // loop is already woken.
  uv_async_send(&async_);
}

void Loop::OnPrepare(uv_prepare_t* h) {
  auto* self = static_cast<Loop*>(h->data);
  // By index: a callback may append another (deque keeps the running one in place).
  for (size_t i = 0; i < self->before_sleep_.size() && !self->stopping_; ++i) {
    self->before_sleep_[i]();
  }
}

void Loop::OnAsync(uv_async_t* h) {
  auto* self = static_cast<Loop*>(h->data);
  PostQueue& pq = *self->posted_;
  {
    std::lock_guard<std::mutex> lock(pq.mu);
    pq.running.swap(pq.queue);
  }
  // Run outside the lock so posted functions may Post() again.
  for (auto& fn : pq.running) {
    if (self->stopping_) break;
    fn();
  }
  pq.running.clear();
}

void Loop::OnHookClose(uv_handle_t* h) {
  auto* hook = static_cast<Hook*>(h->data);
  Loop* self = hook->owner;
  auto it = std::find_if(self->hooks_.begin(), self->hooks_.end(),
                         [hook](const std::unique_ptr<Hook>& p) { return p.get() == hook; });
  if (it != self->hooks_.end()) {
    std::swap(*it, self->hooks_.back());
    self->hooks_.pop_back();
  }
}

}  // namespace pykv::net
