// ReplicaChannel: the connection of one replica attached to this primary, as the primary
// side sees it. The server implements it with the replica's client session: the replica
// connected as an ordinary client, said PSYNC, and from then on the session's output
// carries the replication stream while its input still brings REPLCONF ACKs. Loop thread
// only; a channel may close itself (output limits), after which the server tells the
// primary side to forget it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace pykv::replication {

class ReplicaChannel {
 public:
  virtual ~ReplicaChannel() = default;
  // Queues bytes for the replica (sent by Flush or before the loop sleeps).
  virtual void Send(std::string_view bytes) = 0;
  virtual void Flush() = 0;
  // Bytes queued and not yet taken by the kernel.
  virtual size_t pending_output() const = 0;
  // Enforces client-output-buffer-limit replica; may close the connection.
  virtual void CheckOutputLimits(int64_t now_ms) = 0;
  virtual bool closing() const = 0;
  virtual void Close() = 0;
};

}  // namespace pykv::replication
