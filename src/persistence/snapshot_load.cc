#include "persistence/snapshot_load.h"

#include <array>
#include <memory>

namespace pykv::persistence {

namespace {
constexpr size_t kBatch = 16;
constexpr size_t kReadChunk = 1024 * 1024;
}  // namespace

StatusOr<store::SnapshotDecoder::Event> SnapshotInserter::InsertSome(store::SnapshotDecoder& dec,
                                                                     int max_records,
                                                                     int64_t now_ms) {
  std::array<store::SnapshotRecord, kBatch> batch;
  std::array<uint64_t, kBatch> hashes;
  for (int n = 0; n < max_records; n += static_cast<int>(kBatch)) {
    size_t got = 0;
    store::SnapshotDecoder::Event last = store::SnapshotDecoder::Event::kRecord;
    while (got < batch.size()) {
      StatusOr<store::SnapshotDecoder::Event> ev = dec.Next(&batch[got]);
      if (!ev.ok()) return ev.status();
      last = *ev;
      if (last != store::SnapshotDecoder::Event::kRecord) break;
      ++got;
    }
    // Sizing the table once for the whole snapshot saves rehashing it ~20 times.
    if (got > 0 && !reserved_) {
      reserved_ = true;
      if (dec.expected_records() > 0) ks_->Reserve(dec.expected_records());
    }
    for (size_t i = 0; i < got; ++i) {
      hashes[i] = ks_->HashForPrefetch(batch[i].key);
      ks_->PrefetchBucket(hashes[i]);
    }
    for (size_t i = 0; i < got; ++i) {
      if (i + 1 < got) ks_->PrefetchEntry(hashes[i + 1]);
      const store::SnapshotRecord& rec = batch[i];
      if (skip_expired_ && rec.expire_at_ms != -1 && rec.expire_at_ms < now_ms) {
        ++expired_;
      } else {
        ks_->Set(rec.key, rec.value, rec.expire_at_ms);
        ++keys_;
      }
    }
    if (last != store::SnapshotDecoder::Event::kRecord) return last;
  }
  return store::SnapshotDecoder::Event::kRecord;
}

Status LoadSnapshotFile(FileOps* ops, const std::string& path, store::Keyspace* ks,
                        bool skip_expired, uint64_t* keys) {
  StatusOr<std::unique_ptr<ReadableFile>> file = ops->OpenRead(path);
  if (!file.ok()) return file.status();
  StatusOr<uint64_t> size = ops->FileSize(path);
  store::SnapshotDecoder dec;
  if (size.ok()) dec.set_total_size(*size);
  SnapshotInserter inserter(ks, skip_expired);
  const int64_t now_ms = ks->clock()->NowMs();
  auto corrupt = [&] {
    return Status::Corruption("Bad snapshot " + path + " at offset " +
                              std::to_string(dec.error_offset()) + ": " + dec.error_reason());
  };
  for (;;) {
    StatusOr<store::SnapshotDecoder::Event> ev = inserter.InsertSome(dec, 1 << 20, now_ms);
    if (!ev.ok()) return corrupt();
    if (*ev == store::SnapshotDecoder::Event::kRecord) continue;
    if (*ev == store::SnapshotDecoder::Event::kEnd) break;
    std::span<char> room = dec.PrepareWrite(kReadChunk);
    StatusOr<size_t> n = (*file)->Read(room.data(), std::min(room.size(), kReadChunk));
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    dec.CommitWrite(*n);
  }
  if (!dec.Finish().ok()) return corrupt();
  inserter.Finish();
  if (keys != nullptr) *keys = inserter.keys();
  return Status::Ok();
}

}  // namespace pykv::persistence
