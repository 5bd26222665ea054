// ReplicationPosition: where a data set stands in a replication history, as PSYNC names
// it: the history's 40-character id and the offset (Redis's master_repl_offset) up to
// which the data set holds every change. A rewrite records it in the AOF's base snapshot
// and start-up restores it, so a restarted server can continue a replication stream
// instead of copying the whole data set again. It lives here because the snapshot format
// (store/), the AOF (persistence/) and replication all speak of it, and none of them may
// include the others' headers.
//
// Plain value type; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace pykv {

// Redis's CONFIG_RUN_ID_SIZE: a replication id is 40 hex characters.
inline constexpr size_t kReplicationIdSize = 40;

struct ReplicationPosition {
  std::string replid;   // kReplicationIdSize characters
  uint64_t offset = 0;  // the offset of the last change the data set holds (0: none yet)

  bool operator==(const ReplicationPosition&) const = default;
};

}  // namespace pykv
