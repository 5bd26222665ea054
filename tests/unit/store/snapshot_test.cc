#include "store/snapshot.h"

#include <doctest/doctest.h>
#include <zlib.h>

#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "store/keyspace.h"
#include "store/varint.h"

namespace pykv::store {
namespace {

struct Rec {
  std::string key;
  std::string value;
  int64_t expire = -1;
  bool operator==(const Rec& o) const {
    return std::tie(key, value, expire) == std::tie(o.key, o.value, o.expire);
  }
};

std::string Encode(const std::vector<Rec>& recs, int64_t created_ms = 1234,
                   size_t block_size = kSnapshotBlockSize) {
  std::string out;
  SnapshotEncoder enc(
      [&](std::string_view b) {
        out.append(b);
        return Status::Ok();
      },
      block_size);
  REQUIRE(enc.Begin(created_ms).ok());
  for (const Rec& r : recs) REQUIRE(enc.Add(r.key, r.value, r.expire).ok());
  REQUIRE(enc.Finish().ok());
  CHECK(enc.records() == recs.size());
  CHECK(enc.bytes_written() == out.size());
  return out;
}

struct Decoded {
  Status status;
  std::vector<Rec> recs;
  uint32_t version = 0;
  int64_t created_ms = 0;
  uint64_t expected = 0;
  std::optional<ReplicationPosition> position;
  uint64_t error_offset = 0;
};

// Feeds data in pieces of `piece` bytes (0: all at once), draining records as they come.
Decoded Decode(std::string_view data, size_t piece = 0, uint64_t total_size = 0) {
  Decoded d;
  SnapshotDecoder dec;
  if (total_size > 0) dec.set_total_size(total_size);
  size_t pos = 0;
  SnapshotRecord rec;
  for (;;) {
    StatusOr<SnapshotDecoder::Event> ev = dec.Next(&rec);
    if (!ev.ok()) {
      d.status = ev.status();
      break;
    }
    if (*ev == SnapshotDecoder::Event::kRecord) {
      d.recs.push_back({std::string(rec.key), std::string(rec.value), rec.expire_at_ms});
      continue;
    }
    if (pos == data.size()) {
      d.status = dec.Finish();
      break;
    }
    const size_t n = piece == 0 ? data.size() - pos : std::min(piece, data.size() - pos);
    if (pos % 2 == 0) {
      dec.Feed(data.substr(pos, n));
    } else {
      std::span<char> room = dec.PrepareWrite(n);
      REQUIRE(room.size() >= n);
      std::memcpy(room.data(), data.data() + pos, n);
      dec.CommitWrite(n);
    }
    pos += n;
  }
  d.version = dec.version();
  d.created_ms = dec.created_ms();
  d.expected = dec.expected_records();
  d.position = dec.position();
  if (!d.status.ok()) {
    CHECK(d.status.code() == Status::Code::kCorruption);
    d.error_offset = dec.error_offset();
    CHECK(d.status.message().find("at offset " + std::to_string(dec.error_offset())) !=
          std::string::npos);
  }
  return d;
}

std::vector<Rec> SmallSet() {
  return {{"a", "1", -1},
          {"key:2", "value two", 1'700'000'123'456},
          {std::string("bin\0key", 7), std::string("\r\n\0\xff", 4), -1},
          {"", "empty key", 0},
          {"empty value", "", 42},
          {"k6", std::string(100, 'x'), -1},
          {"k7", "v7", -1}};
}

TEST_CASE("Snapshot round trip, whole and byte by byte") {
  const std::vector<Rec> recs = SmallSet();
  const std::string data = Encode(recs, 987654321);
  CHECK(data.substr(0, 8) == "PYKVSNAP");
  for (size_t piece : {size_t{0}, size_t{1}, size_t{3}, size_t{7}, size_t{64}}) {
    CAPTURE(piece);
    Decoded d = Decode(data, piece);
    REQUIRE_MESSAGE(d.status.ok(), d.status.message());
    CHECK(d.recs == recs);
    CHECK(d.created_ms == 987654321);
  }
  // Tiny blocks: one or two records each, several blocks.
  const std::string small_blocks = Encode(recs, 1, 64);
  Decoded d = Decode(small_blocks, 5, small_blocks.size());
  REQUIRE_MESSAGE(d.status.ok(), d.status.message());
  CHECK(d.recs == recs);
}

TEST_CASE("Snapshot: every byte value in keys and values") {
  std::vector<Rec> recs;
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  for (int i = 0; i < 256; ++i) {
    recs.push_back({all.substr(static_cast<size_t>(i)) + std::to_string(i), all.substr(0, i),
                    i % 3 == 0 ? -1 : int64_t{i} * 1000});
  }
  Decoded d = Decode(Encode(recs, 5, 512), 100);
  REQUIRE_MESSAGE(d.status.ok(), d.status.message());
  CHECK(d.recs == recs);
}

TEST_CASE("Snapshot: empty data set") {
  const std::string data = Encode({});
  Decoded d = Decode(data);
  REQUIRE_MESSAGE(d.status.ok(), d.status.message());
  CHECK(d.recs.empty());
  CHECK(d.created_ms == 1234);
}

TEST_CASE("Snapshot: a record bigger than a block goes out whole and unsplit") {
  std::vector<Rec> recs = {{"small", "s", -1},
                           {"big", std::string(300 * 1024, 'b'), 1'800'000'000'000},
                           {"after", "a", -1},
                           {std::string(70 * 1024, 'K'), "big key", -1}};
  std::vector<std::string> pieces;
  SnapshotEncoder enc([&](std::string_view b) {
    pieces.emplace_back(b);
    return Status::Ok();
  });
  REQUIRE(enc.Begin(7).ok());
  for (const Rec& r : recs) REQUIRE(enc.Add(r.key, r.value, r.expire).ok());
  REQUIRE(enc.Finish().ok());
  std::string data;
  for (const std::string& p : pieces) data += p;
  // The big value was handed to the sink as one piece, not copied into a block first.
  bool saw_value_piece = false;
  for (const std::string& p : pieces) saw_value_piece |= p == recs[1].value;
  CHECK(saw_value_piece);
  Decoded d = Decode(data, 4096, data.size());
  REQUIRE_MESSAGE(d.status.ok(), d.status.message());
  CHECK(d.recs == recs);
}

TEST_CASE("Snapshot: 100k keys through EncodeKeyspace, with TTLs; expired keys left out") {
  FakeClock clock(1'700'000'000'000);
  Keyspace ks(&clock, {42});
  std::map<std::string, std::pair<std::string, int64_t>> want;
  for (int i = 0; i < 100'000; ++i) {
    std::string k = "key:" + std::to_string(i);
    std::string v =
        "value-" + std::to_string(i * 7) + std::string(static_cast<size_t>(i % 50), 'z');
    int64_t exp = i % 4 == 0 ? clock.NowMs() + 1000 + i : -1;
    ks.Set(k, v, exp);
    want[k] = {v, exp};
  }
  // Ten keys whose TTL runs out before the snapshot is taken.
  for (int i = 0; i < 10; ++i) ks.Set("soon:" + std::to_string(i), "x", clock.NowMs() + 10);
  clock.AdvanceMs(100);

  std::string data;
  uint64_t records = 0;
  REQUIRE(EncodeKeyspace(
              ks, clock.NowMs(),
              [&](std::string_view b) {
                data.append(b);
                return Status::Ok();
              },
              &records)
              .ok());
  CHECK(records == 100'000);

  Decoded d = Decode(data, 1 << 20, data.size());
  REQUIRE_MESSAGE(d.status.ok(), d.status.message());
  REQUIRE(d.recs.size() == 100'000);
  CHECK(d.created_ms == clock.NowMs());
  CHECK(d.expected == 100'010);  // the table size hint counts the expired keys too
  size_t matched = 0;
  for (const Rec& r : d.recs) {
    auto it = want.find(r.key);
    REQUIRE(it != want.end());
    CHECK(it->second.first == r.value);
    CHECK(it->second.second == r.expire);
    ++matched;
  }
  CHECK(matched == want.size());
}

TEST_CASE("Snapshot: every single-byte corruption is detected") {
  // Small blocks, so the file has header, several record blocks and the end block.
  const std::string data = Encode(SmallSet(), 1234, 48);
  for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
    for (size_t i = 0; i < data.size(); ++i) {
      std::string bad = data;
      bad[i] = static_cast<char>(static_cast<uint8_t>(bad[i]) ^ mask);
      CAPTURE(i);
      CAPTURE(int{mask});
      // With and without knowing the file size.
      CHECK_FALSE(Decode(bad).status.ok());
      CHECK_FALSE(Decode(bad, 1, bad.size()).status.ok());
    }
  }
}

TEST_CASE("Snapshot: truncation at every byte is detected") {
  const std::string data = Encode(SmallSet(), 1234, 48);
  for (size_t n = 0; n < data.size(); ++n) {
    CAPTURE(n);
    Decoded d = Decode(std::string_view(data).substr(0, n), 3);
    CHECK_FALSE(d.status.ok());
    // Told the real size, the decoder reports a length running past the end or the
    // missing end block.
    CHECK_FALSE(Decode(std::string_view(data).substr(0, n), 0, n == 0 ? 0 : n).status.ok());
  }
}

TEST_CASE("Snapshot: damage is reported at the damaged block's offset") {
  const std::string data = Encode(SmallSet(), 1234, 48);
  // Find the block boundaries by walking the frames.
  std::vector<size_t> starts;
  for (size_t pos = 12; pos < data.size();) {
    starts.push_back(pos);
    uint32_t len = 0;
    for (int i = 0; i < 4; ++i) len |= uint32_t(uint8_t(data[pos + i])) << (8 * i);
    pos += 8 + len;
  }
  REQUIRE(starts.size() >= 4);
  const size_t victim = starts[2];
  std::string bad = data;
  bad[victim + 9] ^= 0x20;  // inside the payload
  Decoded d = Decode(bad);
  REQUIRE_FALSE(d.status.ok());
  CHECK(d.error_offset == victim);
  CHECK(d.status.message().find("checksum mismatch") != std::string::npos);
  // Records of the blocks before the damage were handed out; none of the damaged one.
  CHECK(d.recs.size() < SmallSet().size());

  // Bad magic and version are named as such.
  std::string magic = data;
  magic[0] = 'X';
  CHECK(Decode(magic).status.message().find("bad magic") != std::string::npos);
  std::string version = data;
  version[8] = 3;
  CHECK(Decode(version).status.message().find("version 3") != std::string::npos);
}

TEST_CASE("Snapshot: blocks dropped, repeated or reordered; data after the end") {
  const std::vector<Rec> recs = SmallSet();
  const std::string data = Encode(recs, 1234, 48);
  std::vector<std::pair<size_t, size_t>> blocks;  // [start, end)
  for (size_t pos = 12; pos < data.size();) {
    uint32_t len = 0;
    for (int i = 0; i < 4; ++i) len |= uint32_t(uint8_t(data[pos + i])) << (8 * i);
    blocks.emplace_back(pos, pos + 8 + len);
    pos += 8 + len;
  }
  REQUIRE(blocks.size() >= 5);
  auto block = [&](size_t i) {
    return data.substr(blocks[i].first, blocks[i].second - blocks[i].first);
  };
  std::string head = data.substr(0, 12) + block(0);
  std::string dropped = head;
  std::string repeated = head;
  std::string swapped = head + block(2) + block(1);
  for (size_t i = 1; i < blocks.size(); ++i) {
    if (i != 2) dropped += block(i);
    repeated += block(i);
    if (i == 1) repeated += block(1);
    if (i >= 3) swapped += block(i);
  }
  CHECK_FALSE(Decode(dropped).status.ok());
  CHECK_FALSE(Decode(repeated).status.ok());
  CHECK_FALSE(Decode(swapped).status.ok());
  CHECK(Decode(data + "x").status.message().find("after the end block") != std::string::npos);
  CHECK_FALSE(Decode(data + data).status.ok());
}

TEST_CASE("SnapshotEncoder: a sink error stops it") {
  int calls = 0;
  SnapshotEncoder enc(
      [&](std::string_view) {
        ++calls;
        return calls >= 3 ? Status::IoError("disk full") : Status::Ok();
      },
      64);
  REQUIRE(enc.Begin(1).ok());  // magic + header block: two calls
  Status s;
  for (int i = 0; i < 100 && s.ok(); ++i) s = enc.Add("key" + std::to_string(i), "value", -1);
  CHECK(s.code() == Status::Code::kIo);
  CHECK(enc.Finish().message() == "disk full");
  CHECK(enc.Add("k", "v", -1).code() == Status::Code::kIo);
  CHECK(enc.Add("k", "v", -5).code() == Status::Code::kIo);
  SnapshotEncoder fresh([](std::string_view) { return Status::Ok(); });
  REQUIRE(fresh.Begin(1).ok());
  CHECK(fresh.Add("k", "v", -5).code() == Status::Code::kInvalid);
}

// ---- the replication position in the header ----

const ReplicationPosition kPosition{"0123456789abcdef0123456789abcdef01234567", 123'456'789};

std::string EncodeWithPosition(const std::vector<Rec>& recs,
                               const std::optional<ReplicationPosition>& position) {
  std::string out;
  SnapshotEncoder enc([&](std::string_view b) {
    out.append(b);
    return Status::Ok();
  });
  REQUIRE(enc.Begin(1234, recs.size(), position).ok());
  for (const Rec& r : recs) REQUIRE(enc.Add(r.key, r.value, r.expire).ok());
  REQUIRE(enc.Finish().ok());
  return out;
}

void AppendU32(std::string* s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void AppendVarintTo(std::string* s, uint64_t v) {
  char tmp[kMaxVarintBytes];
  s->append(tmp, static_cast<size_t>(PutVarint(tmp, v) - tmp));
}

uint32_t Crc(std::string_view b) {
  return static_cast<uint32_t>(crc32_z(0, reinterpret_cast<const Bytef*>(b.data()), b.size()));
}

// A file made by hand: the given version and header body ('H' excluded), no records, and
// a correct end block, so that only the header decides whether it loads.
std::string FileWithHeader(uint32_t version, std::string_view header_body) {
  std::string out(kSnapshotMagic);
  AppendU32(&out, version);
  const std::string header = "H" + std::string(header_body);
  AppendU32(&out, static_cast<uint32_t>(header.size()));
  AppendU32(&out, Crc(header));
  out += header;
  std::string chain_le;
  AppendU32(&chain_le, Crc(header));
  std::string end = "E";
  AppendVarintTo(&end, 0);  // records
  AppendVarintTo(&end, 1);  // blocks before the end block: the header
  AppendU32(&end, Crc(chain_le));
  AppendU32(&out, static_cast<uint32_t>(end.size()));
  AppendU32(&out, Crc(end));
  out += end;
  return out;
}

std::string HeaderBody(uint64_t created, uint64_t expected, std::string_view tail = {}) {
  std::string b;
  AppendVarintTo(&b, created);
  AppendVarintTo(&b, expected);
  b += tail;
  return b;
}

std::string PositionBytes(const ReplicationPosition& p) {
  std::string b = p.replid;
  AppendVarintTo(&b, p.offset);
  return b;
}

TEST_CASE("Snapshot: the replication position round-trips (version 2)") {
  const std::vector<Rec> recs = SmallSet();
  const std::string data = EncodeWithPosition(recs, kPosition);
  CHECK(data[8] == 2);
  for (size_t piece : {size_t{0}, size_t{1}, size_t{5}}) {
    CAPTURE(piece);
    Decoded d = Decode(data, piece);
    REQUIRE_MESSAGE(d.status.ok(), d.status.message());
    CHECK(d.version == 2);
    CHECK(d.recs == recs);
    CHECK(d.expected == recs.size());
    REQUIRE(d.position.has_value());
    CHECK(*d.position == kPosition);
  }
  // Offsets 0 and the largest Redis offset are representable.
  for (uint64_t offset : {uint64_t{0}, uint64_t{INT64_MAX}}) {
    ReplicationPosition p{kPosition.replid, offset};
    Decoded d = Decode(EncodeWithPosition({}, p));
    REQUIRE(d.status.ok());
    REQUIRE(d.position.has_value());
    CHECK(d.position->offset == offset);
  }
}

TEST_CASE("Snapshot: without a position the file is version 1, as before") {
  const std::vector<Rec> recs = SmallSet();
  const std::string data = EncodeWithPosition(recs, std::nullopt);
  CHECK(data[8] == 1);
  Decoded d = Decode(data);
  REQUIRE(d.status.ok());
  CHECK(d.version == 1);
  CHECK_FALSE(d.position.has_value());
  CHECK(d.recs == recs);
  // Version 1 files from before the size hint (header: created_ms only) still load.
  std::string created_only;
  AppendVarintTo(&created_only, 77);
  Decoded old = Decode(FileWithHeader(1, created_only));
  REQUIRE_MESSAGE(old.status.ok(), old.status.message());
  CHECK(old.created_ms == 77);
  CHECK(old.expected == 0);
  CHECK_FALSE(old.position.has_value());
}

TEST_CASE("Snapshot: hand-made headers with and without the position") {
  const std::string pos = PositionBytes(kPosition);
  // The helper itself makes loadable files.
  Decoded good = Decode(FileWithHeader(2, HeaderBody(5, 0, pos)));
  REQUIRE_MESSAGE(good.status.ok(), good.status.message());
  REQUIRE(good.position.has_value());
  CHECK(*good.position == kPosition);
  CHECK(good.created_ms == 5);

  auto malformed = [](const std::string& file) {
    Decoded d = Decode(file);
    CHECK(d.status.message().find("malformed header block") != std::string::npos);
    CHECK(d.error_offset == 12);
    CHECK_FALSE(d.position.has_value());
  };
  // Version 1 has no room for a position; version 2 requires one, whole.
  malformed(FileWithHeader(1, HeaderBody(5, 0, pos)));
  malformed(FileWithHeader(2, HeaderBody(5, 0)));
  malformed(FileWithHeader(2, HeaderBody(5, 0, pos.substr(0, kReplicationIdSize))));
  malformed(FileWithHeader(2, HeaderBody(5, 0, pos.substr(0, kReplicationIdSize - 1))));
  malformed(FileWithHeader(2, HeaderBody(5, 0, pos + "x")));
  std::string unterminated = kPosition.replid + "\x80";  // a varint missing its last byte
  malformed(FileWithHeader(2, HeaderBody(5, 0, unterminated)));
  // An offset beyond Redis's long long.
  malformed(FileWithHeader(2, HeaderBody(5, 0, PositionBytes({kPosition.replid, UINT64_MAX}))));
}

TEST_CASE("Snapshot: EncodeKeyspace records the position it is given") {
  FakeClock clock(1'000);
  Keyspace ks(&clock, {1});
  ks.Set("a", "1");
  ks.Set("b", "2");
  std::string out;
  auto sink = [&](std::string_view b) {
    out.append(b);
    return Status::Ok();
  };
  uint64_t records = 0;
  REQUIRE(EncodeKeyspace(ks, 1'000, sink, &records, kSnapshotBlockSize, kPosition).ok());
  CHECK(records == 2);
  Decoded d = Decode(out);
  REQUIRE(d.status.ok());
  CHECK(d.recs.size() == 2);
  REQUIRE(d.position.has_value());
  CHECK(*d.position == kPosition);
}

TEST_CASE("SnapshotEncoder: a malformed position is refused before anything is written") {
  for (const std::string& id : {std::string(), std::string(39, 'a'), std::string(41, 'a')}) {
    CAPTURE(id.size());
    std::string out;
    SnapshotEncoder enc([&](std::string_view b) {
      out.append(b);
      return Status::Ok();
    });
    CHECK(enc.Begin(1, 0, ReplicationPosition{id, 1}).code() == Status::Code::kInvalid);
    CHECK(out.empty());
  }
  SnapshotEncoder enc([](std::string_view) { return Status::Ok(); });
  CHECK(enc.Begin(1, 0, ReplicationPosition{kPosition.replid, uint64_t{INT64_MAX} + 1}).code() ==
        Status::Code::kInvalid);
}

}  // namespace
}  // namespace pykv::store
