// ClientRegistry: every connected client session, whatever its transport, in one table,
// and everything the server does to clients as a group: ids, the list of sessions with
// replies to release before the loop sleeps (held back until the AOF holds each one's
// ack barrier), CLIENT PAUSE (the postponed sessions and the pause deadline), MONITOR
// fan-out, CLIENT LIST/INFO/KILL, idle timeouts and output-limit checks from the cron.
// It is the sessions' cmd::SessionHost. Owned by the Server; loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "commands/dispatcher.h"
#include "commands/server_context.h"
#include "commands/session.h"
#include "server/pubsub_registry.h"

namespace pykv::server {

class ClientRegistry final : public cmd::SessionHost {
 public:
  explicit ClientRegistry(cmd::Dispatcher* dispatcher) : dispatcher_(dispatcher) {}
  ~ClientRegistry() override;
  // Closing sessions leave their channels here.
  void set_pubsub(PubSubRegistry* pubsub) { pubsub_ = pubsub; }
  // Called for every session that closes (replication forgets replicas and WAITs).
  void set_on_closed(std::function<void(const cmd::ClientState&)> fn) {
    on_closed_ = std::move(fn);
  }
  // The journal's offsets were renumbered (a replica took its primary's): every reply
  // waiting for an offset is released.
  void ForgetAckBarriers();

  uint64_t NextId() { return next_id_++; }
  // Takes a session whose state().id came from NextId().
  void Add(std::unique_ptr<cmd::Session> session);
  cmd::Session* Find(uint64_t id) const;
  size_t size() const { return sessions_.size(); }
  // Frees the sessions closed during the last iteration.
  void FreeClosed() { deferred_.clear(); }

  // Before the loop sleeps: flushes every session with replies whose writes are durable
  // (ack barrier <= durable_offset); the others wait for a later iteration.
  void FlushReady(uint64_t durable_offset, int64_t now_ms);
  // Shutdown: flushes what is durable and closes every session.
  void FlushAndCloseAll(uint64_t durable_offset);
  // Cron: idle timeouts (seconds, 0 = none), soft output limits, idle buffer release and
  // the end of a CLIENT PAUSE.
  void Cron(int64_t now_ms, int timeout_seconds);

  std::string List(const cmd::ClientFilter& filter, int64_t now_ms) const;
  std::string Info(uint64_t id, int64_t now_ms) const;
  size_t Kill(const cmd::ClientFilter& filter);
  void Pause(int64_t until_ms, bool writes_only);
  void Unpause();
  void AddMonitor(cmd::ClientState& client);
  void RemoveMonitor(cmd::ClientState& client);
  bool HasMonitors() const { return !monitors_.empty(); }
  // Sends one MONITOR line (RESP simple string, CRLF included) to every monitor.
  void FeedMonitors(std::string_view line);
  // Buffer memory of every session (used_memory without allocator statistics).
  size_t MemoryUsage() const;
  // The largest query and output buffers of any session (INFO clients).
  cmd::ConnectionFigures LargestBuffers() const;
  size_t paused_count() const { return paused_.size(); }
  void ResetStats() { net_stats_ = cmd::NetStats(); }

  // cmd::SessionHost
  void MarkPendingWrite(cmd::Session* s) override;
  void AddPaused(cmd::Session* s) override;
  void OnSessionClosed(cmd::Session* s) override;
  cmd::NetStats& net_stats() override { return net_stats_; }

 private:
  bool FilterMatches(const cmd::Session& s, const cmd::ClientFilter& f) const;

  cmd::Dispatcher* dispatcher_;
  PubSubRegistry* pubsub_ = nullptr;
  std::function<void(const cmd::ClientState&)> on_closed_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<cmd::Session>> sessions_;
  // Freed at the next iteration: they are released from inside their close callbacks.
  std::vector<std::unique_ptr<cmd::Session>> deferred_;
  std::vector<cmd::Session*> pending_writes_;
  // FlushReady swaps the two, so both keep their capacity: no allocation per iteration.
  std::vector<cmd::Session*> flushing_;
  std::vector<cmd::Session*> paused_;
  std::unordered_set<cmd::Session*> monitors_;
  int64_t pause_until_ms_ = 0;
  cmd::NetStats net_stats_;
};

}  // namespace pykv::server
