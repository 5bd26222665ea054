// Dispatcher: the single write path. Execute() looks a command up, checks arity, auth,
// state (-LOADING, -READONLY, -MISCONF) and memory (evict first, or -OOM), runs the
// handler, records statistics, feeds MONITOR, and, only if data changed, hands one
// replayable form to the mutation sink (wrapped in MULTI/EXEC for transactions). Clients,
// AOF replay, a replica's primary stream and HTTP all come through here. It also keeps the
// WATCH registry, as the keyspace's listener. Loop thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "commands/client_state.h"
#include "commands/command.h"
#include "commands/latency.h"
#include "commands/latency_histogram.h"
#include "commands/mutation_sink.h"
#include "commands/notifications.h"
#include "commands/server_context.h"
#include "commands/slowlog.h"
#include "common/clock.h"
#include "resp/reply_writer.h"
#include "store/keyspace.h"

namespace pykv::cmd {

// Registers every command family into the table.
void RegisterAllCommands(CommandTable* table);

struct DispatcherStats {
  uint64_t total_commands = 0;
  uint64_t dirty = 0;  // changes since start (or the last save)
  uint64_t rejected_calls = 0;
  uint64_t failed_calls = 0;
  uint64_t acl_access_denied_auth = 0;  // failed AUTH / HELLO AUTH (Redis 7.2's name)
  resp::ErrorStats errors;              // INFO errorstats: every error reply, by code
  LatencyHistogram latency;             // execution time of every command clients ran (/metrics)
};

class Dispatcher final : public store::KeyspaceListener {
 public:
  // clock must be the clock the keyspace reads: Execute freezes it for the command.
  Dispatcher(store::Keyspace* keyspace, ServerContext* server, MutationSink* sink,
             CommandClock* clock);
  ~Dispatcher() override;

  enum class Outcome {
    kDone,       // run, queued or refused: its reply (if any) is in writer
    kPostponed,  // CLIENT PAUSE holds it: nothing happened; run it again when the pause ends
  };
  // Runs one command for client; the reply goes to writer (which may discard).
  [[nodiscard]] Outcome Execute(ClientState& client, resp::ReplyWriter& writer, Args argv);

  // CLIENT PAUSE: which commands of normal clients are postponed. As in Redis, a command
  // is held only once it passed every check, so a bad one is answered at once.
  enum class PauseMode { kNone, kWrite, kAll };
  void set_pause(PauseMode mode) { pause_ = mode; }

  const CommandTable& table() const { return table_; }
  SlowLog& slowlog() { return slowlog_; }
  LatencyMonitor& latency() { return latency_; }
  const DispatcherStats& stats() const { return stats_; }
  void ResetStats();

  // A client that is still unauthenticated after this many failed AUTH / HELLO AUTH in a
  // row is disconnected once the last error reply is out: guessing passwords then costs a
  // reconnection every few tries. Redis keeps such clients; a password-guessing loop on
  // one connection is what this stops.
  static constexpr uint32_t kMaxAuthFailures = 10;
  // Password checks report here (AUTH, HELLO AUTH, and other front ends' credentials):
  // counted in INFO stats acl_access_denied_auth, logged at most once a second, and the
  // client is closed after kMaxAuthFailures consecutive failures while unauthenticated.
  void RecordAuthFailure(ClientState& client);
  void RecordAuthSuccess(ClientState& client) { client.auth_failures = 0; }

  // Keyspace notifications: handlers report events here.
  KeyspaceNotifier& notifier() { return notifier_; }
  // notify-keyspace-events changed (flags from ParseNotifyFlags).
  void SetKeyspaceEvents(uint32_t flags);

  // While loading, commands without the loading-ok flag answer -LOADING.
  void set_loading(bool on) { loading_ = on; }
  bool loading() const { return loading_; }

  // Transactions (called by the MULTI/EXEC/WATCH handlers).
  void Watch(ClientState& client, std::string_view key);
  void UnwatchAll(ClientState& client);
  // Runs the queued commands of client as one unit; replies an array of their replies.
  void ExecTransaction(ClientState& client, resp::ReplyWriter& writer);
  // The session is going away: forget its watches.
  void OnClientClosed(ClientState& client);

  // store::KeyspaceListener
  void OnKeyExpired(std::string_view key) override;
  void OnKeyEvicted(std::string_view key) override;
  void OnKeyModified(std::string_view key) override;
  void OnKeyAdded(std::string_view key) override;
  void OnFlush() override;

 private:
  Outcome CheckAndRun(ClientState& client, resp::ReplyWriter& writer, Args argv);
  // The state and memory checks a command passes before it runs or is queued: the error
  // reply that refuses it, or empty when it may go on.
  std::string Admit(const ClientState& client, const Command& cmd);
  // Would running cmd (or EXEC of what client queued) change data?
  bool WritesData(const ClientState& client, const Command& cmd) const;
  // Would it send something to replicas without changing data (PUBLISH, or EXEC of one)?
  // CLIENT PAUSE WRITE holds those too, as Redis does.
  bool MayReplicate(const ClientState& client, const Command& cmd) const;
  // Over maxmemory even after evicting, or (may_add_keys) at maxkeys with no victim: the
  // -OOM error naming the limit that refuses, or empty when there is room.
  std::string_view OutOfMemory(bool may_add_keys);
  // Runs a command that passed its checks (or was queued by MULTI and is run by EXEC).
  void Run(ClientState& client, resp::ReplyWriter& writer, Args argv, const Command& cmd);
  void Reject(ClientState& client, resp::ReplyWriter& writer, const Command* cmd,
              std::string_view error);
  void DropCrossProtocolClient(ClientState& client);
  void PropagateCall(Args argv, const std::vector<std::vector<std::string>>& rewrites,
                     std::string_view request_encoding);
  void EmitDel(std::string_view key);

  store::Keyspace* keyspace_;
  ServerContext* server_;
  MutationSink* sink_;
  CommandClock* clock_;
  KeyspaceNotifier notifier_;
  CommandTable table_;
  SlowLog slowlog_;
  LatencyMonitor latency_;
  DispatcherStats stats_;
  bool loading_ = false;
  PauseMode pause_ = PauseMode::kNone;
  int64_t last_http_warning_ms_ = -1;  // POST/Host: seen: logged at most once a minute
  int64_t last_auth_log_ms_ = -1;      // failed authentications: one line a second at most
  uint64_t auth_logs_suppressed_ = 0;

  // EXEC collects what its commands propagate, then wraps it in MULTI ... EXEC.
  bool in_exec_ = false;
  std::vector<std::vector<std::string>> exec_pending_;

  std::unordered_map<std::string, std::vector<ClientState*>> watched_;
};

}  // namespace pykv::cmd
