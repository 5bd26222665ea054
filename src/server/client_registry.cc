#include "server/client_registry.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace pykv::server {

namespace {
constexpr int64_t kIdleBufferReleaseMs = 2000;
}  // namespace

ClientRegistry::~ClientRegistry() = default;

void ClientRegistry::Add(std::unique_ptr<cmd::Session> session) {
  const uint64_t id = session->state().id;
  sessions_.emplace(id, std::move(session));
}

cmd::Session* ClientRegistry::Find(uint64_t id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

void ClientRegistry::MarkPendingWrite(cmd::Session* s) {
  if (s->write_scheduled) return;
  s->write_scheduled = true;
  pending_writes_.push_back(s);
}

void ClientRegistry::AddPaused(cmd::Session* s) {
  paused_.push_back(s);
}

void ClientRegistry::ForgetAckBarriers() {
  for (auto& [id, s] : sessions_) s->state().ack_barrier = 0;
}

void ClientRegistry::OnSessionClosed(cmd::Session* s) {
  auto drop = [s](std::vector<cmd::Session*>& v) {
    v.erase(std::remove(v.begin(), v.end(), s), v.end());
  };
  drop(pending_writes_);
  drop(paused_);
  monitors_.erase(s);
  if (pubsub_ != nullptr) pubsub_->RemoveSession(s);
  dispatcher_->OnClientClosed(s->state());
  if (on_closed_) on_closed_(s->state());
  auto it = sessions_.find(s->state().id);
  if (it != sessions_.end()) {
    // The connection is inside its close callback: free after the callback returns.
    deferred_.push_back(std::move(it->second));
    sessions_.erase(it);
  }
}

void ClientRegistry::FlushReady(uint64_t durable_offset, int64_t now_ms) {
  if (pending_writes_.empty()) return;
  flushing_.swap(pending_writes_);
  for (cmd::Session* s : flushing_) {
    if (s->state().ack_barrier > durable_offset) {
      // Its replies acknowledge writes the disk does not hold yet: they wait.
      pending_writes_.push_back(s);
      continue;
    }
    s->write_scheduled = false;
    s->Flush();
    s->CheckOutputLimits(now_ms);
  }
  flushing_.clear();  // no pointer outlives the iteration (a session may close next)
}

void ClientRegistry::FlushAndCloseAll(uint64_t durable_offset) {
  for (auto& [id, s] : sessions_) {
    if (s->state().ack_barrier <= durable_offset) s->Flush();
    s->CloseNow();
  }
}

void ClientRegistry::Cron(int64_t now_ms, int timeout_seconds) {
  if (pause_until_ms_ != 0 && now_ms >= pause_until_ms_) Unpause();
  for (auto& [id, s] : sessions_) {
    if (s->closing()) continue;
    const cmd::ClientState& c = s->state();
    // As Redis: a subscriber waits for messages, however long, so idleness is no reason.
    if (timeout_seconds > 0 && !c.monitor && !c.in_pubsub() &&
        now_ms - c.last_interaction_ms > timeout_seconds * 1000LL) {
      spdlog::debug("Closing idle client id={}", id);
      s->CloseNow();
      continue;
    }
    if (s->soft_limit_since_ms() != 0) s->CheckOutputLimits(now_ms);
    s->Tick(now_ms);
    // As Redis does, a client quiet for a couple of seconds gives its buffers back.
    if (now_ms - c.last_interaction_ms > kIdleBufferReleaseMs) s->ReleaseIdleBuffers();
  }
}

void ClientRegistry::Pause(int64_t until_ms, bool writes_only) {
  // A pause in force keeps its stricter mode and the later end, as Redis does.
  if (pause_until_ms_ == 0 || until_ms > pause_until_ms_) pause_until_ms_ = until_ms;
  const bool only_writes = pause_until_ms_ == until_ms && writes_only;
  dispatcher_->set_pause(only_writes ? cmd::Dispatcher::PauseMode::kWrite
                                     : cmd::Dispatcher::PauseMode::kAll);
}

void ClientRegistry::Unpause() {
  pause_until_ms_ = 0;
  dispatcher_->set_pause(cmd::Dispatcher::PauseMode::kNone);
  std::vector<cmd::Session*> waiting;
  waiting.swap(paused_);
  for (cmd::Session* s : waiting) {
    if (!s->closing()) s->Resume();
  }
}

void ClientRegistry::AddMonitor(cmd::ClientState& client) {
  cmd::Session* s = Find(client.id);
  if (s == nullptr) return;
  client.monitor = true;
  monitors_.insert(s);
}

void ClientRegistry::RemoveMonitor(cmd::ClientState& client) {
  client.monitor = false;
  cmd::Session* s = Find(client.id);
  if (s != nullptr) monitors_.erase(s);
}

void ClientRegistry::FeedMonitors(std::string_view line) {
  for (cmd::Session* m : monitors_) {
    if (m->closing() || m->state().socket_output == nullptr) continue;
    m->state().socket_output->Append(line);
    MarkPendingWrite(m);
  }
}

bool ClientRegistry::FilterMatches(const cmd::Session& s, const cmd::ClientFilter& f) const {
  const cmd::ClientState& c = s.state();
  if (f.skipme && c.id == f.caller_id) return false;
  if (f.ids && std::find(f.ids->begin(), f.ids->end(), c.id) == f.ids->end()) return false;
  if (f.type) {
    std::string type = "normal";
    if (c.in_pubsub()) type = "pubsub";
    if (c.monitor) type = "monitor";
    if (c.is_replica) type = "replica";
    if (*f.type != type) return false;
  }
  if (f.addr && *f.addr != c.addr) return false;
  if (f.laddr && *f.laddr != c.laddr) return false;
  if (f.user && *f.user != "default") return false;
  return true;
}

std::string ClientRegistry::List(const cmd::ClientFilter& filter, int64_t now_ms) const {
  std::vector<const cmd::Session*> list;
  for (const auto& [id, s] : sessions_) {
    if (!s->closing() && FilterMatches(*s, filter)) list.push_back(s.get());
  }
  std::sort(list.begin(), list.end(), [](const cmd::Session* a, const cmd::Session* b) {
    return a->state().id < b->state().id;
  });
  std::string out;
  for (const cmd::Session* s : list) {
    out += cmd::DescribeClient(s->state(), s->Figures(), now_ms);
    out += '\n';
  }
  return out;
}

std::string ClientRegistry::Info(uint64_t id, int64_t now_ms) const {
  const cmd::Session* s = Find(id);
  return s ? cmd::DescribeClient(s->state(), s->Figures(), now_ms) + "\n" : std::string();
}

size_t ClientRegistry::Kill(const cmd::ClientFilter& filter) {
  size_t n = 0;
  for (auto& [id, s] : sessions_) {
    if (s->closing() || !FilterMatches(*s, filter)) continue;
    s->Kill();
    MarkPendingWrite(s.get());
    ++n;
  }
  return n;
}

size_t ClientRegistry::MemoryUsage() const {
  size_t total = 0;
  for (const auto& [id, s] : sessions_) total += s->Figures().total_memory;
  return total;
}

cmd::ConnectionFigures ClientRegistry::LargestBuffers() const {
  cmd::ConnectionFigures peaks;
  for (const auto& [id, s] : sessions_) {
    const cmd::ConnectionFigures f = s->Figures();
    peaks.query_buffered = std::max(peaks.query_buffered, f.query_buffered);
    peaks.output_buffered = std::max(peaks.output_buffered, f.output_buffered);
  }
  return peaks;
}

}  // namespace pykv::server
