#include "commands/dispatcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>

#include "commands/context.h"
#include "commands/errors.h"
#include "commands/replication_host.h"
#include "common/numbers.h"

namespace pykv::cmd {

namespace {

// POST and "Host:" are not commands: they are what a browser sends when a web page makes it
// talk HTTP to this port (cross-protocol scripting), and the lines after them would run as
// commands. Redis 7.0 checks for them before its command lookup; here they are simply not
// in the table, so the check costs nothing for real commands.
bool LooksLikeHttp(std::string_view name) {
  return (name.size() == 4 && EqualsIgnoreCase(name, "post")) ||
         (name.size() == 5 && EqualsIgnoreCase(name, "host:"));
}

}  // namespace

Dispatcher::Dispatcher(store::Keyspace* keyspace, ServerContext* server, MutationSink* sink,
                       CommandClock* clock)
    : keyspace_(keyspace), server_(server), sink_(sink), clock_(clock), notifier_(server) {
  RegisterAllCommands(&table_);
  keyspace_->set_listener(this);
}

Dispatcher::~Dispatcher() {
  keyspace_->set_listener(nullptr);
}

void Dispatcher::SetKeyspaceEvents(uint32_t flags) {
  notifier_.set_flags(flags);
  // "new" costs the keyspace a callback per created key: asked for only while wanted.
  keyspace_->set_report_new_keys(notifier_.wants_new_keys());
}

void Dispatcher::ResetStats() {
  stats_ = DispatcherStats{};
  table_.ResetStats();
}

void Dispatcher::DropCrossProtocolClient(ClientState& client) {
  // As Redis: no reply, the connection closes at once, and the log says so at most once a
  // minute so that an attacker cannot flood it.
  const int64_t now_ms = clock_->NowMs();
  if (last_http_warning_ms_ < 0 || now_ms - last_http_warning_ms_ > 60'000) {
    spdlog::warn(
        "Possible SECURITY ATTACK detected from {}: it sent POST or Host: (HTTP) to this port, "
        "which is how a web page would try to run commands here (cross protocol scripting). "
        "Connection aborted.",
        client.addr);
    last_http_warning_ms_ = now_ms;
  }
  client.close_after_reply = true;
}

void Dispatcher::RecordAuthFailure(ClientState& client) {
  ++stats_.acl_access_denied_auth;
  ++client.auth_failures;
  const bool drop = !client.authenticated && client.auth_failures >= kMaxAuthFailures;
  // One line a second at most, so a guessing loop cannot flood the log; the next line
  // says how many were left out.
  const int64_t now_ms = clock_->NowMs();
  if (last_auth_log_ms_ >= 0 && now_ms - last_auth_log_ms_ < 1000) {
    ++auth_logs_suppressed_;
  } else {
    std::string suppressed;
    if (auth_logs_suppressed_ > 0) {
      suppressed =
          " (" + std::to_string(auth_logs_suppressed_) + " more failed authentications not logged)";
    }
    spdlog::warn("Failed authentication from client id={} addr={} ({} in a row){}{}", client.id,
                 client.addr, client.auth_failures, drop ? ", closing the connection" : "",
                 suppressed);
    last_auth_log_ms_ = now_ms;
    auth_logs_suppressed_ = 0;
  }
  if (drop) client.close_after_reply = true;
}

void Dispatcher::Reject(ClientState& client, resp::ReplyWriter& writer, const Command* cmd,
                        std::string_view error) {
  ++stats_.rejected_calls;
  if (cmd != nullptr) ++cmd->stats.rejected_calls;
  if (cmd != nullptr && cmd->has(kRunsTransaction)) {
    // EXEC itself refused (e.g. "EXEC x") ends any transaction and its watches and says so,
    // in or out of MULTI, as Redis's rejectCommand/execCommandAbort do.
    std::string_view reason = error;
    if (!reason.empty() && reason[0] == '-') reason.remove_prefix(1);
    if (reason.substr(0, 4) == "ERR ") reason.remove_prefix(4);
    client.ClearTransaction();
    UnwatchAll(client);
    writer.Error("EXECABORT Transaction discarded because of: " + std::string(reason));
    return;
  }
  // A command refused while queueing poisons the transaction, as Redis does.
  if (client.in_multi) client.multi_error = true;
  writer.Error(error);
}

Dispatcher::Outcome Dispatcher::Execute(ClientState& client, resp::ReplyWriter& writer, Args argv) {
  if (argv.empty()) return Outcome::kDone;
  CommandClock::Scope frozen(clock_);
  writer.set_error_stats(&stats_.errors);
  Outcome o = CheckAndRun(client, writer, argv);
  writer.set_error_stats(nullptr);
  return o;
}

Dispatcher::Outcome Dispatcher::CheckAndRun(ClientState& client, resp::ReplyWriter& writer,
                                            Args argv) {
  const Command* cmd = table_.Find(argv[0]);
  // CLIENT LIST's cmd= is the last command received, queued or refused too, as in Redis
  // (which sets it at lookup; null when unknown).
  const bool track = !client.is_internal();
  if (track) client.last_command = cmd;
  if (cmd == nullptr) {
    if (LooksLikeHttp(argv[0])) {
      DropCrossProtocolClient(client);
      return Outcome::kDone;
    }
    Reject(client, writer, nullptr, err::UnknownCommand(argv[0], argv));
    return Outcome::kDone;
  }
  if (!cmd->ArityOk(argv.size())) {
    Reject(client, writer, cmd, err::WrongArgs(cmd->name));
    return Outcome::kDone;
  }
  if (!cmd->subcommands.empty() && argv.size() >= 2) {
    const Command* sub = cmd->FindSubcommand(argv[1]);
    if (track) client.last_command = sub;
    if (sub == nullptr) {
      Reject(client, writer, cmd, err::UnknownSubcommand(argv[1], cmd->name));
      return Outcome::kDone;
    }
    if (!sub->ArityOk(argv.size())) {
      Reject(client, writer, sub, err::WrongArgs(sub->name));
      return Outcome::kDone;
    }
    cmd = sub;
  }
  const std::string refusal = Admit(client, *cmd);
  if (!refusal.empty()) {
    Reject(client, writer, cmd, refusal);
    return Outcome::kDone;
  }
  if (pause_ != PauseMode::kNone && !client.is_internal() &&
      (pause_ == PauseMode::kAll || WritesData(client, *cmd) || MayReplicate(client, *cmd))) {
    return Outcome::kPostponed;
  }
  if (client.in_multi && !cmd->has(kTxnControl)) {
    // After a refused command the transaction is doomed: nothing more is kept.
    if (!client.multi_error) {
      client.queued.push_back({cmd, std::vector<std::string>(argv.begin(), argv.end())});
      client.multi_flags |= cmd->flags;
    }
    writer.Simple("QUEUED");
    return Outcome::kDone;
  }
  Run(client, writer, argv, *cmd);
  return Outcome::kDone;
}

bool Dispatcher::WritesData(const ClientState& client, const Command& cmd) const {
  return cmd.has(kWrite) || (cmd.has(kRunsTransaction) && (client.multi_flags & kWrite) != 0);
}

bool Dispatcher::MayReplicate(const ClientState& client, const Command& cmd) const {
  return cmd.has(kMayReplicate) ||
         (cmd.has(kRunsTransaction) && (client.multi_flags & kMayReplicate) != 0);
}

std::string Dispatcher::Admit(const ClientState& client, const Command& cmd) {
  // In the order of Redis's processCommand, so a command refused for several reasons
  // gets the same error as there.
  if (!client.authenticated && !cmd.has(kNoAuth)) {
    return std::string(err::kNoAuth);
  }
  if (client.in_multi && cmd.has(kNoMulti)) {
    return std::string("ERR Command not allowed inside a transaction");
  }
  if (client.is_internal()) {
    if (loading_ && !cmd.has(kLoadingOk) && client.kind != ClientKind::kAofLoader) {
      return std::string(err::kLoading);
    }
    return {};
  }
  const bool is_exec = cmd.has(kRunsTransaction);
  const bool writes = WritesData(client, cmd);
  // Queueing inside MULTI takes memory too, so over the limit only the commands that end
  // a transaction get through; EXEC is refused when what it would run needs memory.
  const bool adds_data = cmd.has(kDenyOom) || (is_exec && (client.multi_flags & kDenyOom) != 0);
  const bool queues = client.in_multi && !cmd.has(kTxnControl);
  if (adds_data || queues) {
    const std::string_view oom = OutOfMemory(adds_data);
    if (!oom.empty()) return std::string(oom);
  }
  // Redis answers PING with the disk error too, so health checks see a primary that can
  // no longer persist.
  if (writes || cmd.has(kReportsDiskError)) {
    const std::string& aof_error = server_->PersistenceError();
    if (!aof_error.empty()) {
      return "MISCONF Errors writing to the AOF file: " + aof_error;
    }
  }
  if (writes && server_->replication().TooFewGoodReplicas()) {
    return std::string(err::kNoReplicas);
  }
  if (writes && server_->IsReadonlyReplica()) {
    return std::string(err::kReadonly);
  }
  if (!cmd.has(kStaleOk) && server_->replication().RefusesStaleData()) {
    return std::string(err::kMasterDown);
  }
  // A subscribed RESP2 client reads every reply as a message, so only the commands that
  // keep that stream unambiguous may run (RESP3 tells pushes from replies: no limit).
  if (client.resp == 2 && client.in_pubsub() && !cmd.has(kPubSubContext)) {
    return "ERR Can't execute '" + cmd.name +
           "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this "
           "context";
  }
  if (loading_ && !cmd.has(kLoadingOk)) {
    return std::string(err::kLoading);
  }
  return {};
}

std::string_view Dispatcher::OutOfMemory(bool may_add_keys) {
  const store::KeyspaceLimits& lim = keyspace_->limits();
  if (may_add_keys && lim.maxkeys != 0 && keyspace_->size() >= lim.maxkeys) {
    // At the key cap a new key needs a victim: none under noeviction, and none under a
    // volatile policy when no key has a TTL.
    const bool volatile_policy = lim.policy == store::EvictionPolicy::kVolatileLru ||
                                 lim.policy == store::EvictionPolicy::kVolatileRandom ||
                                 lim.policy == store::EvictionPolicy::kVolatileTtl;
    if (lim.policy == store::EvictionPolicy::kNoEviction ||
        (volatile_policy && keyspace_->volatile_size() == 0)) {
      return err::kOomKeys;
    }
  }
  if (!keyspace_->OverLimits() || keyspace_->EvictToLimits()) return {};
  // Still over after evicting: over maxmemory (which Redis names) unless only the key
  // count is past its cap.
  if (lim.maxkeys != 0 && keyspace_->size() > lim.maxkeys) return err::kOomKeys;
  return err::kOom;
}

void Dispatcher::Run(ClientState& client, resp::ReplyWriter& writer, Args argv,
                     const Command& cmd) {
  const bool internal = client.is_internal();
  const uint64_t errors_before = writer.error_count();
  // Outside EXEC the frozen command time is the start: one clock read less per command.
  const int64_t start_us = in_exec_ ? clock_->LiveUs() : clock_->NowUs();
  const int64_t now_ms = clock_->NowMs();
  CommandContext ctx(argv, cmd, client, writer, *keyspace_, *server_, *this, now_ms);
  ctx.set_in_exec(in_exec_);
  cmd.handler(ctx);
  // Replayed AOF commands are counted but not timed: a clock read per command is a
  // tenth of the replay's cost, and the durations say nothing about serving clients.
  const int64_t duration_us =
      client.kind == ClientKind::kAofLoader ? 0 : std::max<int64_t>(0, clock_->LiveUs() - start_us);

  ++stats_.total_commands;
  ++cmd.stats.calls;
  cmd.stats.usec += static_cast<uint64_t>(duration_us);
  // EXEC's own reply holds its commands' errors, already counted against them.
  if (writer.error_count() != errors_before && !cmd.has(kRunsTransaction)) {
    ++cmd.stats.failed_calls;
    ++stats_.failed_calls;
  }
  if (!internal) {
    stats_.latency.Record(static_cast<uint64_t>(duration_us));
    // Secrets a handler marked (AUTH's password, ...) never reach SLOWLOG or MONITOR.
    Args shown = argv;
    std::vector<std::string_view> redacted;
    if (!ctx.redacted().empty()) {
      redacted.assign(argv.begin(), argv.end());
      for (size_t i : ctx.redacted()) {
        if (i < redacted.size()) redacted[i] = "(redacted)";
      }
      shown = redacted;
    }
    const int64_t unix_seconds = now_ms / 1000;
    slowlog_.Maybe(shown, duration_us, unix_seconds, client.addr, client.name);
    if (latency_.threshold_ms() != 0) {
      latency_.Add(cmd.has(kFast) ? "fast-command" : "command",
                   static_cast<uint64_t>(duration_us / 1000), unix_seconds);
    }
    if (server_->HasMonitors() && !cmd.has(kAdmin)) server_->FeedMonitors(client, shown);
  }
  if (ctx.dirty() > 0) {
    stats_.dirty += ctx.dirty();
    // Replayed AOF commands are already in the file, and a replica passes its primary's
    // stream on byte for byte itself (so its offset stays the primary's).
    if (client.kind == ClientKind::kNormal) {
      PropagateCall(argv, ctx.rewrites(), client.request_encoding);
    }
  }
}

void Dispatcher::PropagateCall(Args argv, const std::vector<std::vector<std::string>>& rewrites,
                               std::string_view request_encoding) {
  if (in_exec_) {
    if (rewrites.empty()) {
      exec_pending_.emplace_back(argv.begin(), argv.end());
    } else {
      exec_pending_.insert(exec_pending_.end(), rewrites.begin(), rewrites.end());
    }
    return;
  }
  if (rewrites.empty()) {
    // The request's own bytes serve only if argv is that request (not, say, a command
    // another one runs): its arguments must lie inside them.
    const auto at = [](const char* p) { return reinterpret_cast<uintptr_t>(p); };
    const bool own_bytes = !request_encoding.empty() && !argv.empty() &&
                           at(argv.front().data()) > at(request_encoding.data()) &&
                           at(argv.back().data() + argv.back().size()) <=
                               at(request_encoding.data() + request_encoding.size());
    sink_->Propagate(argv, own_bytes ? request_encoding : std::string_view());
    return;
  }
  for (const auto& r : rewrites) {
    std::vector<std::string_view> views(r.begin(), r.end());
    sink_->Propagate(views);
  }
}

void Dispatcher::EmitDel(std::string_view key) {
  // Removals decided by the keyspace go out at once, ahead of the command that noticed
  // them, so a replica or a replay sees the key gone before the command's own effect.
  std::string_view del[2] = {"DEL", key};
  sink_->Propagate(del);
}

void Dispatcher::OnKeyExpired(std::string_view key) {
  EmitDel(key);
  OnKeyModified(key);
  notifier_.Notify(kNotifyExpired, "expired", key);
}

void Dispatcher::OnKeyEvicted(std::string_view key) {
  EmitDel(key);
  OnKeyModified(key);
  notifier_.Notify(kNotifyEvicted, "evicted", key);
}

void Dispatcher::OnKeyAdded(std::string_view key) {
  notifier_.Notify(kNotifyNew, "new", key);
}

void Dispatcher::OnKeyModified(std::string_view key) {
  if (watched_.empty()) return;
  auto it = watched_.find(std::string(key));
  if (it == watched_.end()) return;
  for (ClientState* c : it->second) c->watch_dirty = true;
}

void Dispatcher::OnFlush() {
  // Redis 7.0 (touchAllWatchedKeysInDb): only keys the flush actually removes count; a
  // watched key that did not exist is not changed by it.
  for (auto& [key, clients] : watched_) {
    if (!keyspace_->ContainsRaw(key)) continue;
    for (ClientState* c : clients) c->watch_dirty = true;
  }
}

void Dispatcher::Watch(ClientState& client, std::string_view key) {
  std::string k(key);
  if (std::find(client.watched_keys.begin(), client.watched_keys.end(), k) !=
      client.watched_keys.end()) {
    return;
  }
  client.watched_keys.push_back(k);
  watched_[k].push_back(&client);
  keyspace_->set_track_modifications(true);
}

void Dispatcher::UnwatchAll(ClientState& client) {
  for (const std::string& k : client.watched_keys) {
    auto it = watched_.find(k);
    if (it == watched_.end()) continue;
    auto& v = it->second;
    v.erase(std::remove(v.begin(), v.end(), &client), v.end());
    if (v.empty()) watched_.erase(it);
  }
  client.watched_keys.clear();
  client.watch_dirty = false;
  if (watched_.empty()) keyspace_->set_track_modifications(false);
}

void Dispatcher::OnClientClosed(ClientState& client) {
  UnwatchAll(client);
}

void Dispatcher::ExecTransaction(ClientState& client, resp::ReplyWriter& writer) {
  std::vector<QueuedCommand> queued = std::move(client.queued);
  client.ClearTransaction();
  UnwatchAll(client);

  writer.ArrayHeader(queued.size());
  in_exec_ = true;
  exec_pending_.clear();
  for (const QueuedCommand& q : queued) {
    // Checked when queued and, as a whole, when EXEC arrived (as in Redis): run as is.
    std::vector<std::string_view> argv(q.argv.begin(), q.argv.end());
    Run(client, writer, argv, *q.command);
  }
  in_exec_ = false;
  if (!exec_pending_.empty()) {
    std::string_view multi[1] = {"MULTI"};
    sink_->Propagate(multi);
    for (const auto& cmd : exec_pending_) {
      std::vector<std::string_view> views(cmd.begin(), cmd.end());
      sink_->Propagate(views);
    }
    std::string_view exec[1] = {"EXEC"};
    sink_->Propagate(exec);
    exec_pending_.clear();
  }
}

}  // namespace pykv::cmd
