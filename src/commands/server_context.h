// ServerContext: the server-wide facts and actions that commands need but that belong to
// the server (clients, config, INFO, shutdown, monitors, persistence state). server/
// implements it; commands/ never sees sockets, files or libuv. Loop thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commands/command.h"
#include "common/status.h"

namespace pykv::cmd {

struct ClientState;
class PubSubHost;
class ReplicationHost;

// CLIENT KILL / CLIENT LIST filters (Redis 7.0 fields).
struct ClientFilter {
  std::optional<std::vector<uint64_t>> ids;
  std::optional<std::string> type;  // normal, master, replica/slave, pubsub
  std::optional<std::string> addr;
  std::optional<std::string> laddr;
  std::optional<std::string> user;
  bool skipme = true;
  uint64_t caller_id = 0;
};

class ServerContext {
 public:
  virtual ~ServerContext() = default;

  // INFO text (Redis format, "# Section" headers, CRLF line ends) for the requested
  // sections; empty list = default sections.
  virtual std::string Info(const std::vector<std::string>& sections) = 0;

  virtual std::vector<std::pair<std::string, std::string>> ConfigGet(std::string_view pattern) = 0;
  virtual Status ConfigSet(const std::vector<std::pair<std::string, std::string>>& pairs) = 0;
  virtual Status ConfigRewrite() = 0;
  // The option holds a secret (requirepass): its CONFIG SET value is never logged.
  virtual bool ConfigIsSensitive(std::string_view name) const = 0;
  // CONFIG RESETSTAT.
  virtual void ResetStats() = 0;
  // requirepass ("" = none).
  virtual const std::string& RequirePass() const = 0;

  // CLIENT LIST / INFO lines in Redis's exact field format, each ending in "\n".
  virtual std::string ClientList(const ClientFilter& filter) = 0;
  virtual std::string ClientInfo(const ClientState& client) = 0;
  // Closes matching clients (after their current reply); returns how many.
  virtual size_t KillClients(const ClientFilter& filter) = 0;
  virtual void PauseClients(int64_t until_ms, bool writes_only) = 0;
  virtual void UnpauseClients() = 0;
  // Puts the client in MONITOR mode; FeedMonitors sends every executed command to them.
  virtual void AddMonitor(ClientState& client) = 0;
  virtual void RemoveMonitor(ClientState& client) = 0;
  virtual bool HasMonitors() const = 0;
  virtual void FeedMonitors(const ClientState& client, Args argv) = 0;
  // The pub/sub subscriptions (SUBSCRIBE, PUBLISH, PUBSUB, keyspace notifications).
  virtual PubSubHost& pubsub() = 0;

  // SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: Ok means the server will stop after this
  // iteration (the caller gets no reply); an error is sent to the caller.
  virtual Status Shutdown(bool nosave, bool save, bool now, bool force, bool abort) = 0;

  // BGREWRITEAOF / BGSAVE: starts compaction in a forked child. Errors carry the reply.
  virtual Status BackgroundRewriteAof() = 0;
  // SAVE: the same, written by the server itself before it answers.
  virtual Status SaveNow() = 0;
  // DEBUG LOADAOF (rewrite_first=false) / DEBUG RELOAD (true): flush the AOF, empty the
  // keyspace and load it back from disk, so tests prove a round trip in one command.
  virtual Status DebugReload(bool rewrite_first) = 0;

  // Non-empty: writes must be refused with -MISCONF (the AOF cannot be written).
  virtual const std::string& PersistenceError() const = 0;
  // True on a replica: writes from normal clients answer -READONLY.
  virtual bool IsReadonlyReplica() const = 0;
  // Replication: REPLICAOF, PSYNC, WAIT, ROLE and the write checks of a replica.
  virtual ReplicationHost& replication() = 0;

  // Unix time (seconds) of the last successful save (LASTSAVE).
  virtual int64_t LastSaveTime() const = 0;
  // Seconds the server has been running (INFO, DEBUG).
  virtual int64_t UptimeSeconds() const = 0;
  // Bytes of memory in use as INFO used_memory reports it.
  virtual size_t UsedMemory() const = 0;
  // DEBUG SET-ACTIVE-EXPIRE: turns the active expiry cycle on or off.
  virtual void SetActiveExpire(bool on) = 0;
  // enable-debug-command: whether DEBUG is allowed for this client.
  virtual bool DebugAllowed(const ClientState& client) const = 0;
  // proto-max-bulk-len: the largest string a command may build (APPEND, SETRANGE).
  virtual uint64_t ProtoMaxBulkLen() const = 0;
};

}  // namespace pykv::cmd
