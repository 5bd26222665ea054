// ClientState: what the command layer knows of one client: identity, protocol, auth,
// transaction and WATCH state, reply mode. The server's session owns one per connection
// (and one each for the AOF loader and a replica's link to its primary) and passes it to
// every Dispatcher::Execute. Loop thread only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pykv {
class OutBuffer;
}

namespace pykv::cmd {

struct Command;

enum class ClientKind {
  kNormal,
  kAofLoader,    // replays the AOF: no replies, no propagation, allowed while loading
  kPrimaryLink,  // a replica applying its primary's stream: never answered, may write
};

enum class ReplyMode { kOn, kOff, kSkipNext, kSkipThis };

struct QueuedCommand {
  const Command* command;
  std::vector<std::string> argv;
};

// Pub/sub subscriptions by kind. The registry keeps the names and these counts; CLIENT
// LIST shows them and the dispatcher's subscribed-mode rule (RESP2) reads them.
struct SubscriptionCounts {
  uint32_t channels = 0;
  uint32_t patterns = 0;
  uint32_t shard_channels = 0;
};

struct ClientState {
  uint64_t id = 0;
  ClientKind kind = ClientKind::kNormal;
  std::string name;
  std::string lib_name;
  std::string lib_ver;
  std::string addr;  // "127.0.0.1:5000" (CLIENT LIST, SLOWLOG)
  std::string laddr;
  bool authenticated = true;
  // AUTH / HELLO AUTH failures since the last success (RESET keeps it: it authenticates
  // nobody). The dispatcher closes an unauthenticated client at kMaxAuthFailures.
  uint32_t auth_failures = 0;
  int resp = 2;
  ReplyMode reply_mode = ReplyMode::kOn;
  int64_t created_ms = 0;
  int64_t last_interaction_ms = 0;
  const Command* last_command = nullptr;  // CLIENT LIST cmd= (null: unknown, or none yet)
  bool monitor = false;
  bool no_evict = false;
  bool close_after_reply = false;  // QUIT: the server closes once the reply is out
  SubscriptionCounts subscriptions;

  // MULTI/EXEC
  bool in_multi = false;
  bool multi_error = false;  // a command failed to queue: EXEC answers EXECABORT
  uint32_t multi_flags = 0;  // the CommandFlags of everything queued (EXEC's checks)
  std::vector<QueuedCommand> queued;
  // WATCH
  std::vector<std::string> watched_keys;
  bool watch_dirty = false;  // a watched key changed: EXEC answers null
  // The client's socket output; the reply writer targets it unless replies are
  // suppressed (CLIENT REPLY OFF/SKIP), and CLIENT REPLY ON points it back here.
  OutBuffer* socket_output = nullptr;

  // Replication. What a replica said of itself with REPLCONF before PSYNC, and whether the
  // connection now carries the replication stream to it (flag S, CLIENT KILL TYPE replica,
  // the replica output buffer class).
  struct ReplicaInfo {
    int listening_port = 0;
    std::string ip_address;  // REPLCONF ip-address (replica-announce-ip)
    bool capa_eof = false;
    bool capa_psync2 = false;
  } replica;
  bool is_replica = false;
  // WAIT: the client waits for replicas' acknowledgements; its reply comes later and
  // nothing else it sent runs meanwhile.
  bool blocked = false;

  // Request execution (RequestExecutor): the stream offset of this client's last change,
  // which its queued replies wait on, and the request CLIENT PAUSE holds back.
  uint64_t ack_barrier = 0;
  std::vector<std::string> postponed;
  // While a request runs: its exact bytes when the client sent it as RESP multibulk
  // (empty otherwise: inline, HTTP, a postponed copy). The dispatcher propagates a change
  // that is the request itself as these bytes, sparing the journal a second encoding.
  std::string_view request_encoding;

  bool is_internal() const { return kind != ClientKind::kNormal; }
  // Subscribed to anything (Redis's CLIENT_PUBSUB): flag P, CLIENT KILL TYPE pubsub, the
  // pubsub output buffer class, and in RESP2 only the subscription commands may run.
  bool in_pubsub() const {
    return (subscriptions.channels | subscriptions.patterns | subscriptions.shard_channels) != 0;
  }
  // Leaves MULTI state (EXEC, DISCARD, RESET, an aborted EXEC); watches are the
  // dispatcher's to drop.
  void ClearTransaction() {
    in_multi = false;
    multi_error = false;
    multi_flags = 0;
    queued.clear();
  }
};

}  // namespace pykv::cmd
