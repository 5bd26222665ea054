// ReplicationHost: what the replication commands (REPLICAOF/SLAVEOF, REPLCONF, PSYNC, SYNC,
// WAIT, ROLE) and the dispatcher's write checks ask of the server's replication. The
// commands parse and answer; the server's implementation (server/ wiring the replication/
// module) owns the links, the replicas' connections and the offsets. Loop thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/client_state.h"
#include "common/status.h"

namespace pykv::cmd {

// ROLE's answer.
struct RoleInfo {
  struct Replica {
    std::string ip;
    int port = 0;
    int64_t offset = 0;  // acknowledged
  };
  bool replica = false;
  int64_t offset = 0;             // master_repl_offset (primary), or the link's offset
  std::vector<Replica> replicas;  // a primary's online replicas
  std::string primary_host;       // a replica's primary
  int primary_port = 0;
  std::string link_state;  // connect, connecting, handshake, sync, connected
};

class ReplicationHost {
 public:
  virtual ~ReplicationHost() = default;

  // REPLICAOF host port: follows that primary. Returns the status reply ("OK", or "OK
  // Already connected to specified master").
  virtual std::string ReplicaOf(const ClientState& caller, std::string_view host, int port) = 0;
  // REPLICAOF NO ONE: a replica becomes a primary (a primary stays one).
  virtual void ReplicaOfNoOne(const ClientState& caller) = 0;
  // PSYNC replid offset / SYNC (psync false): Ok means the connection now carries the
  // replication stream and gets no reply here; an error is the reply.
  virtual Status Sync(ClientState& client, std::string_view replid, std::string_view offset,
                      bool psync) = 0;
  // REPLCONF ACK from a replica connection.
  virtual void Ack(ClientState& client, uint64_t offset) = 0;
  // REPLCONF GETACK arrived from this replica's primary: acknowledge at once.
  virtual void AckToPrimaryNow() = 0;
  virtual bool IsReplica() const = 0;
  // WAIT: the number of replicas that acknowledged the client's last write, or nothing
  // when the client now waits (the count is delivered later, by the server, as WAIT's
  // reply). may_block is false inside EXEC: the count is returned at once.
  virtual std::optional<int64_t> Wait(ClientState& client, int64_t numreplicas, int64_t timeout_ms,
                                      bool may_block) = 0;
  virtual RoleInfo Role() const = 0;
  // min-replicas-to-write is set and fewer replicas acknowledged within
  // min-replicas-max-lag seconds: writes answer -NOREPLICAS.
  virtual bool TooFewGoodReplicas() const = 0;
  // A replica whose link is down, with replica-serve-stale-data no: only the stale-ok
  // commands run (-MASTERDOWN).
  virtual bool RefusesStaleData() const = 0;
};

}  // namespace pykv::cmd
