// Snapshot loading: decoded snapshot records (store/snapshot.h) into a keyspace, a batch
// at a time so that the buckets they land in can be prefetched (the inserts are otherwise
// one cache miss after another), with the table sized once from the header's key count.
// SnapshotInserter is the step the AOF loader takes for a base file; LoadSnapshotFile
// loads one whole file (a replica's full synchronisation). Loop thread only.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "persistence/file_ops.h"
#include "store/keyspace.h"
#include "store/snapshot.h"

namespace pykv::persistence {

class SnapshotInserter {
 public:
  // skip_expired: a primary leaves out keys whose time has passed (they must not come
  // back to life); a replica keeps them and waits for its primary's DEL, as Redis does.
  SnapshotInserter(store::Keyspace* ks, bool skip_expired) : ks_(ks), skip_expired_(skip_expired) {}

  // Inserts the records the decoder can hand out now, up to about max_records. Returns
  // kRecord when it stopped at max_records, else the decoder's kNeedMore or kEnd.
  StatusOr<store::SnapshotDecoder::Event> InsertSome(store::SnapshotDecoder& dec, int max_records,
                                                     int64_t now_ms);
  // The snapshot ended: the table's growth goes back to normal.
  void Finish() { ks_->EndReserve(); }

  uint64_t keys() const { return keys_; }
  uint64_t expired() const { return expired_; }

 private:
  store::Keyspace* ks_;
  bool skip_expired_;
  bool reserved_ = false;
  uint64_t keys_ = 0;
  uint64_t expired_ = 0;
};

// Loads the snapshot file at path into ks (added to what it holds). On success *keys (if
// given) is the number of keys set. Damage is reported as Status::Corruption naming the
// file and offset.
Status LoadSnapshotFile(FileOps* ops, const std::string& path, store::Keyspace* ks,
                        bool skip_expired, uint64_t* keys = nullptr);

}  // namespace pykv::persistence
