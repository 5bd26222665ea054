// pykv-check-aof: checks (and with --fix, repairs) an AOF the way the server would load it,
// with the same AofScanner and SnapshotDecoder, so the tool and the loader never disagree.
//
//   pykv-check-aof [--fix] <file.manifest | incremental file | base snapshot>
//
// Given a manifest it checks the base and every incremental file it names; given one file
// it checks that file (a PyKV snapshot is recognised by its magic, anything else is read
// as RESP). Output follows redis-check-aof 7.0 where that makes sense. Exit status: 0 when
// everything is valid (or was repaired), 1 otherwise.
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "persistence/aof_scanner.h"
#include "persistence/file_ops.h"
#include "persistence/manifest.h"
#include "store/snapshot.h"

namespace pykv::persistence {
namespace {

constexpr size_t kChunk = 1024 * 1024;

enum class CheckResult { kValid, kTruncated };

void Usage(FILE* out, const char* argv0) {
  std::fprintf(out,
               "Usage: %s [--fix] <file.manifest|file.aof|file.pkv>\n"
               "\n"
               "Checks a PyKV append-only file: given the manifest, the base snapshot and every\n"
               "incremental file it names; given one file, that file. Verifies the RESP framing,\n"
               "every '#pykv-crc32' batch checksum and every snapshot block checksum, and\n"
               "prints the first bad offset with the reason.\n"
               "\n"
               "  --fix    after asking, truncate a damaged incremental file at its last good\n"
               "           offset (only the last file of a manifest; a snapshot cannot be fixed)\n"
               "  --help   show this text\n"
               "\n"
               "Exit status: 0 when valid (or repaired), 1 when damaged.\n",
               argv0);
}

[[noreturn]] void Die(const std::string& msg) {
  std::printf("%s\n", msg.c_str());
  std::exit(1);
}

std::unique_ptr<ReadableFile> OpenOrDie(const std::string& path) {
  StatusOr<std::unique_ptr<ReadableFile>> f = FileOps::Posix()->OpenRead(path);
  if (!f.ok()) Die("Cannot open file " + path + ": " + f.status().message() + ", aborting...");
  return std::move(*f);
}

uint64_t SizeOrDie(const std::string& path) {
  StatusOr<uint64_t> size = FileOps::Posix()->FileSize(path);
  if (!size.ok()) Die("Cannot stat file " + path + ": " + size.status().message());
  return *size;
}

// Reads the start of a file (to tell its kind).
std::string Head(const std::string& path, size_t n) {
  std::unique_ptr<ReadableFile> f = OpenOrDie(path);
  std::string head(n, '\0');
  size_t got = 0;
  while (got < n) {
    StatusOr<size_t> r = f->Read(head.data() + got, n - got);
    if (!r.ok()) Die("Failed to read " + path + ": " + r.status().message());
    if (*r == 0) break;
    got += *r;
  }
  head.resize(got);
  return head;
}

bool Confirm() {
  std::printf("Continue? [y/N]: ");
  std::fflush(stdout);
  char buf[16];
  if (std::fgets(buf, sizeof(buf), stdin) == nullptr) return false;
  return buf[0] == 'y' || buf[0] == 'Y';
}

void PrintAnalyzed(const std::string& name, uint64_t size, uint64_t ok_up_to) {
  std::printf("AOF analyzed: filename=%s, size=%" PRIu64 ", ok_up_to=%" PRIu64 ", diff=%" PRIu64
              "\n",
              name.c_str(), size, ok_up_to, size - ok_up_to);
}

CheckResult CheckSnapshot(const std::string& name, const std::string& path, bool fix) {
  const uint64_t size = SizeOrDie(path);
  std::unique_ptr<ReadableFile> f = OpenOrDie(path);
  store::SnapshotDecoder dec;
  dec.set_total_size(size);
  store::SnapshotRecord rec;
  Status status;
  for (bool eof = false; status.ok();) {
    StatusOr<store::SnapshotDecoder::Event> ev = dec.Next(&rec);
    if (!ev.ok()) {
      status = ev.status();
      break;
    }
    if (*ev == store::SnapshotDecoder::Event::kRecord) continue;
    if (eof) {
      status = dec.Finish();
      break;
    }
    std::span<char> room = dec.PrepareWrite(kChunk);
    StatusOr<size_t> got = f->Read(room.data(), room.size());
    if (!got.ok()) Die("Failed to read " + path + ": " + got.status().message());
    dec.CommitWrite(*got);
    eof = *got == 0;
  }
  if (status.ok()) {
    PrintAnalyzed(name, size, size);
    std::printf("Snapshot format version %u, %" PRIu64 " keys, created at %" PRId64 " ms\n",
                dec.version(), dec.records(), dec.created_ms());
    if (const std::optional<ReplicationPosition>& p = dec.position()) {
      std::printf("Replication ID %s, offset %" PRIu64 "\n", p->replid.c_str(), p->offset);
    }
    return CheckResult::kValid;
  }
  std::printf("First bad offset %" PRIu64 " in %s: %s\n", dec.error_offset(), name.c_str(),
              dec.error_reason().c_str());
  PrintAnalyzed(name, size, std::min(dec.error_offset(), size));
  if (fix) {
    Die("A PyKV snapshot cannot be fixed by truncation: restore " + name +
        " from a backup (a rewrite on a server holding the data writes a new one)");
  }
  Die("AOF " + name +
      " is not valid. A damaged snapshot cannot be fixed: restore it from a backup.");
}

CheckResult CheckResp(const std::string& name, const std::string& path, bool last, bool fix) {
  const uint64_t size = SizeOrDie(path);
  std::unique_ptr<ReadableFile> f = OpenOrDie(path);
  AofScanner sc(size);
  auto buf = std::make_unique_for_overwrite<char[]>(kChunk);
  for (;;) {
    AofScanner::Result r = sc.Next();
    if (r == AofScanner::Result::kCommand) continue;
    // kNeedMore, or kProblem: read on to the end either way (what follows a problem decides
    // whether it is a torn tail).
    StatusOr<size_t> got = f->Read(buf.get(), kChunk);
    if (!got.ok()) Die("Failed to read " + path + ": " + got.status().message());
    if (*got == 0) break;
    sc.Feed(std::string_view(buf.get(), *got));
  }
  sc.Finish();
  AofDamage damage = sc.damage();
  if (!last && damage == AofDamage::kTail) damage = AofDamage::kCorrupt;
  if (damage == AofDamage::kNone) {
    PrintAnalyzed(name, size, size);
    return CheckResult::kValid;
  }
  std::printf("First bad offset %" PRIu64 " in %s (%s): %s\n", sc.bad_offset(), name.c_str(),
              sc.damage() == AofDamage::kTail ? "a torn tail" : "damage before the tail",
              sc.reason().c_str());
  const uint64_t ok_up_to = std::min(sc.good_end(), size);
  PrintAnalyzed(name, size, ok_up_to);
  if (!fix) Die("AOF " + name + " is not valid. Use the --fix option to try fixing it.");
  if (!last) Die("Failed to truncate AOF " + name + " because it is not the last file");
  std::printf("This will shrink the AOF %s from %" PRIu64 " bytes, with %" PRIu64
              " bytes, to %" PRIu64 " bytes\n",
              name.c_str(), size, size - ok_up_to, ok_up_to);
  if (!Confirm()) Die("Aborting...");
  Status s = FileOps::Posix()->TruncateFile(path, ok_up_to);
  if (!s.ok()) Die("Failed to truncate AOF " + name + ": " + s.message());
  std::printf("Successfully truncated AOF %s\n", name.c_str());
  return CheckResult::kTruncated;
}

enum class Kind { kSnapshot, kRdb, kManifest, kResp };

Kind Detect(const std::string& path, std::string* manifest_text) {
  const std::string head = Head(path, 64);
  if (head.starts_with(store::kSnapshotMagic)) return Kind::kSnapshot;
  if (head.starts_with("REDIS")) return Kind::kRdb;
  if (!head.empty() && head[0] != '*' && SizeOrDie(path) <= 1024 * 1024) {
    StatusOr<std::string> text = ReadWholeFile(FileOps::Posix(), path);
    // As Redis's fileIsManifest: a file starting with "file" is a manifest, even a damaged
    // one; it must be reported, never truncated as if it were a torn RESP file.
    if (text.ok() && (text->starts_with("file") || Manifest::Parse(*text).ok())) {
      *manifest_text = std::move(*text);
      return Kind::kManifest;
    }
  }
  return Kind::kResp;
}

// Checks one file of a manifest (or given alone); prints the Redis-style verdict.
void CheckOne(const std::string& label, const std::string& name, const std::string& path, bool last,
              bool fix) {
  const std::string head = Head(path, 8);
  CheckResult r;
  if (head.starts_with(store::kSnapshotMagic)) {
    r = CheckSnapshot(name, path, fix);
  } else if (head.starts_with("REDIS")) {
    Die("AOF " + name + " is a Redis RDB file: PyKV cannot read it (use redis-check-rdb)");
  } else {
    r = CheckResp(name, path, last, fix);
  }
  if (r == CheckResult::kValid) {
    std::printf("%sAOF %s is valid\n", label.c_str(), name.c_str());
  }
}

int Main(int argc, char** argv) {
  bool fix = false;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      Usage(stdout, argv[0]);
      return 0;
    }
    if (a == "--fix") {
      fix = true;
    } else if (path.empty() && !a.starts_with("--")) {
      path = a;
    } else {
      std::printf("Invalid argument: %s\n", argv[i]);
      Usage(stdout, argv[0]);
      return 1;
    }
  }
  if (path.empty()) {
    Usage(stdout, argv[0]);
    return 1;
  }

  std::string manifest_text;
  switch (Detect(path, &manifest_text)) {
    case Kind::kRdb:
      Die("AOF " + path + " is a Redis RDB file: PyKV cannot read it (use redis-check-rdb)");
    case Kind::kSnapshot:
      std::printf("Start checking PyKV snapshot\n");
      CheckOne("", path, path, /*last=*/true, fix);
      return 0;
    case Kind::kResp:
      std::printf("Start checking Old-Style AOF\n");
      CheckOne("", path, path, /*last=*/true, fix);
      return 0;
    case Kind::kManifest:
      break;
  }

  std::printf("Start checking Multi Part AOF\n");
  StatusOr<Manifest> parsed = Manifest::Parse(manifest_text);
  if (!parsed.ok()) {
    std::printf("%s: %s\n", path.c_str(), parsed.status().message().c_str());
    std::printf("The manifest cannot be repaired by truncation: restore it from a backup.\n");
    return 1;
  }
  const Manifest m = std::move(parsed).value();
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string dir = parent.empty() ? std::string(".") : parent.string();
  const size_t total = (m.base ? 1 : 0) + m.incrs.size();
  size_t seen = 0;
  auto file_path = [&](const AofFileInfo& info) {
    std::string p = dir + "/" + info.name;
    if (!FileOps::Posix()->Exists(p)) {
      Die("AOF " + info.name + " named by the manifest does not exist (" + p + "), aborting...");
    }
    return p;
  };
  if (m.base) {
    const std::string p = file_path(*m.base);
    const bool snapshot = Head(p, 8).starts_with(store::kSnapshotMagic);
    std::printf("Start to check BASE AOF (%s format).\n", snapshot ? "PyKV snapshot" : "RESP");
    CheckOne("BASE ", m.base->name, p, ++seen == total, fix);
  }
  if (!m.incrs.empty()) {
    std::printf("Start to check INCR files.\n");
    for (const AofFileInfo& info : m.incrs) {
      CheckOne("INCR ", info.name, file_path(info), ++seen == total, fix);
    }
  }
  std::printf("All AOF files and manifest are valid\n");
  return 0;
}

}  // namespace
}  // namespace pykv::persistence

int main(int argc, char** argv) {
  return pykv::persistence::Main(argc, argv);
}
