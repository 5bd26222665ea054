// ReplicationIds: the history a data set's journal belongs to, as PSYNC2 names it. replid
// names the current history; after a promotion the old one stays valid as replid2 up to
// second_offset, so replicas of the old primary can continue from the promoted one by
// partial resynchronisation. Offsets here are Redis's: second_offset is the 1-based index
// of the first byte of the new history (master_repl_offset + 1 at the switch).
// Plain value type; the server's loop thread owns the one instance.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pykv::replication {

// 40 random hex characters (Redis's CONFIG_RUN_ID_SIZE).
std::string NewReplicationId();

inline constexpr std::string_view kNoReplicationId = "0000000000000000000000000000000000000000";

struct ReplicationIds {
  std::string replid = NewReplicationId();
  std::string replid2 = std::string(kNoReplicationId);
  int64_t second_offset = -1;

  // A new history begins after offset (a promotion): the current one becomes replid2.
  void Shift(uint64_t offset) {
    replid2 = replid;
    second_offset = static_cast<int64_t>(offset) + 1;
    replid = NewReplicationId();
  }
  // A fresh history with nothing before it (a backlog created or freed).
  void Renew() {
    replid = NewReplicationId();
    ClearSecond();
  }
  // The history of a primary after a full synchronisation from it.
  void Adopt(std::string_view id) {
    replid = std::string(id);
    ClearSecond();
  }
  void ClearSecond() {
    replid2 = std::string(kNoReplicationId);
    second_offset = -1;
  }
  // May a replica at history `id` wanting the byte at 1-based `psync_offset` continue here?
  // (The bytes themselves must still be in the backlog too.)
  bool Knows(std::string_view id, int64_t psync_offset) const {
    return id == replid || (id == replid2 && psync_offset <= second_offset);
  }
};

}  // namespace pykv::replication
