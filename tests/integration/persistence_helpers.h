// Helpers for the persistence integration tests (persistence_it.cc, crash_it.cc): a data
// directory that outlives one server (so a test can stop, kill -9, damage files and start a
// new server on the same data), access to the AOF files, a CRC-32 matching the writer's
// "#pykv-crc32" annotations, a whole-data-set capture for before/after comparisons, and a
// way to run a server that is expected to refuse to start.
//
// The harness's TestServer always makes a fresh temp dir (config, log, port file); the
// server here gets `--dir <DataDir>` after the harness's own --dir (the last one wins), so
// its data lives in the DataDir while its log stays in the harness dir.
#pragma once

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "integration/server_harness.h"

namespace pykv::it {

// ---- binaries ----

inline std::string CheckAofBinary() {
  return (std::filesystem::path(PYKV_SERVER_BIN).parent_path() / "pykv-check-aof").string();
}

// ---- files ----

inline std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteBytes(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  REQUIRE_MESSAGE(out.good(), "cannot write " << path);
}

inline void AppendBytes(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  REQUIRE_MESSAGE(out.good(), "cannot append to " << path);
}

// -1 when the file does not exist.
inline int64_t FileSize(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.st_size);
}

inline bool Exists(const std::string& path) {
  return FileSize(path) >= 0;
}

// XORs the byte at `offset` with `mask` (a flip that keeps a printable byte printable).
inline void FlipByte(const std::string& path, size_t offset, unsigned char mask = 0x01) {
  std::string data = ReadBytes(path);
  REQUIRE_MESSAGE(offset < data.size(), "offset " << offset << " beyond " << path);
  data[offset] = static_cast<char>(static_cast<unsigned char>(data[offset]) ^ mask);
  WriteBytes(path, data);
}

// Sorted names in a directory (no . and ..).
inline std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// ---- a data directory shared by several servers ----

class DataDir {
 public:
  explicit DataDir(const std::string& parent = "") {
    std::string base = parent.empty() ? std::filesystem::temp_directory_path().string() : parent;
    std::string tmpl = base + "/pykv-data-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed in " + base);
    path_ = tmpl;
    failures_at_start_ = FailedAssertions();
  }
  ~DataDir() {
    if (FailedAssertions() > failures_at_start_ || std::uncaught_exceptions() > 0) {
      std::cerr << "[pykv-it] test failed: keeping data dir " << path_ << "\n" << std::flush;
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  DataDir(const DataDir&) = delete;
  DataDir& operator=(const DataDir&) = delete;

  const std::string& path() const { return path_; }
  std::string aof_dir() const { return path_ + "/appendonlydir"; }
  std::string aof_file(const std::string& name) const { return aof_dir() + "/" + name; }
  std::string manifest() const { return aof_file("appendonly.aof.manifest"); }

 private:
  std::string path_;
  int failures_at_start_ = 0;
};

// The manifest's file list ("file <name> seq <n> type <b|i>" lines).
struct ManifestFiles {
  std::string base;                // "" when there is none
  std::vector<std::string> incrs;  // replay order
};

inline ManifestFiles ReadManifest(const DataDir& d) {
  ManifestFiles m;
  std::istringstream in(ReadBytes(d.manifest()));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string word, name, seq_kw, seq, type_kw, type;
    if (!(ls >> word >> name >> seq_kw >> seq >> type_kw >> type) || word != "file") continue;
    if (type == "b") m.base = name;
    if (type == "i") m.incrs.push_back(name);
  }
  return m;
}

// Path of the incremental file the server appends to (the manifest's last).
inline std::string LastIncrPath(const DataDir& d) {
  ManifestFiles m = ReadManifest(d);
  REQUIRE_MESSAGE(!m.incrs.empty(), "no incremental file in " << d.manifest() << ":\n"
                                                              << ReadBytes(d.manifest()));
  return d.aof_file(m.incrs.back());
}

// Bytes of the AOF files on disk (everything in the AOF directory but the manifest).
inline int64_t AofBytesOnDisk(const DataDir& d) {
  int64_t total = 0;
  for (const std::string& n : ListDir(d.aof_dir())) {
    if (n.find("manifest") != std::string::npos) continue;
    total += std::max<int64_t>(0, FileSize(d.aof_file(n)));
  }
  return total;
}

// ---- RESP and the writer's checksum annotation ----

inline std::string Resp(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

// CRC-32 (IEEE 802.3, zlib's crc32()).
inline uint32_t Crc32(std::string_view data) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char ch : data) crc = table[(crc ^ ch) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

// The line the AOF writer appends after a flushed batch.
inline std::string Annotation(std::string_view batch) {
  char line[64];
  std::snprintf(line, sizeof(line), "#pykv-crc32 %08x %zu\r\n", Crc32(batch), batch.size());
  return line;
}

// ---- servers ----

// A server whose data lives in `d`, with the AOF on. Later args override earlier ones.
inline std::unique_ptr<TestServer> StartAof(const DataDir& d, const std::string& fsync = "always",
                                            const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"--dir", d.path(),        "--appendonly",
                                   "yes",   "--appendfsync", fsync};
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<TestServer>(args);
}

// SIGTERM; true when the server exited with status 0.
inline bool StopClean(TestServer& srv) {
  int status = srv.Stop();
  return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Runs pykv-server on `dir` (AOF on, log to stdout) expecting it to refuse to start: waits
// (bounded) for it to exit and returns its exit code and output. A server that does start
// is killed at the timeout (timed_out set).
inline ToolResult RunServerExpectingFailure(
    const DataDir& d, const std::vector<std::string>& extra = {},
    std::chrono::seconds timeout = std::chrono::seconds(20)) {
  std::vector<std::string> argv = {PYKV_SERVER_BIN, "--port",    "0",      "--bind",
                                   "127.0.0.1",     "--dir",     d.path(), "--appendonly",
                                   "yes",           "--logfile", ""};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return RunTool(argv, "", timeout);
}

// True when a process's output holds a sanitizer report (ASan, LSan, UBSan): in a sanitized
// build an expected non-zero exit code could otherwise hide one.
inline bool HasSanitizerReport(const ToolResult& r) {
  const std::string text = r.out + r.err;
  return text.find("Sanitizer") != std::string::npos ||
         text.find("runtime error:") != std::string::npos;
}

// Runs pykv-check-aof with `args` (stdin from `stdin_path`, or /dev/null).
inline ToolResult RunCheckAof(const std::vector<std::string>& args,
                              const std::string& stdin_path = "") {
  std::vector<std::string> argv = {CheckAofBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  ToolResult r = RunTool(argv, stdin_path, std::chrono::seconds(60));
  CHECK_MESSAGE(!HasSanitizerReport(r), "pykv-check-aof: " << r.out << r.err);
  CHECK_FALSE(r.timed_out);
  return r;
}

// Writes `text` to a file in `d` and returns its path (stdin for a tool).
inline std::string StdinFile(const DataDir& d, const std::string& name, const std::string& text) {
  std::string path = d.path() + "/" + name;
  WriteBytes(path, text);
  return path;
}

// The pid of the last rewrite child the server's log names, or -1.
inline pid_t LastRewriteChildPid(const TestServer& srv) {
  std::string log = ReadBytes(srv.log_path());
  const std::string needle = "rewriting started by pid ";
  size_t pos = log.rfind(needle);
  if (pos == std::string::npos) return -1;
  return static_cast<pid_t>(std::atol(log.c_str() + pos + needle.size()));
}

// Whether `pid` is a live (not zombie) process running the server binary.
inline bool IsLiveServerProcess(pid_t pid) {
  if (pid <= 0) return false;
  std::string cmdline = ReadBytes("/proc/" + std::to_string(pid) + "/cmdline");
  if (cmdline.find("pykv-server") == std::string::npos) return false;
  std::string stat = ReadBytes("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
  return stat[paren + 2] != 'Z' && stat[paren + 2] != 'X';
}

// After kill -9 of a server, its rewrite child (if one runs) is an orphan still writing its
// temp file: kill it too (a crash of the machine would), so rounds stay independent.
inline void KillOrphanRewriteChild(const TestServer& srv) {
  pid_t child = LastRewriteChildPid(srv);
  if (!IsLiveServerProcess(child)) return;
  kill(child, SIGKILL);
  WaitFor([&] { return !IsLiveServerProcess(child); }, std::chrono::milliseconds(5000));
}

// ---- INFO persistence ----

inline std::string PersistenceField(redisContext* c, const std::string& field) {
  return InfoField(Info(c, "persistence"), field);
}

// Waits until no rewrite runs and aof_rewrites >= at_least.
inline bool WaitRewriteDone(redisContext* c, long long at_least,
                            std::chrono::milliseconds timeout = std::chrono::milliseconds(60000)) {
  return WaitFor(
      [&] {
        std::string info = Info(c, "persistence");
        return InfoField(info, "aof_rewrite_in_progress") == "0" &&
               std::atoll(InfoField(info, "aof_rewrites").c_str()) >= at_least;
      },
      timeout, std::chrono::milliseconds(5));
}

// A connection to `srv` once it has finished loading its data (INFO loading:0): the
// harness returns at the first PONG, which a loading server already answers.
inline Conn ConnectLoaded(const TestServer& srv, double timeout_s = 10) {
  Conn c = srv.Connect(timeout_s);
  bool loaded = WaitFor([&] { return PersistenceField(c.get(), "loading") == "0"; },
                        std::chrono::milliseconds(60000), std::chrono::milliseconds(5));
  REQUIRE_MESSAGE(loaded, "the server did not finish loading within 60 s\n" << srv.LogTail(20));
  return c;
}

// BGREWRITEAOF and wait for it to finish successfully.
inline void BgRewriteAndWait(redisContext* c) {
  long long before = InfoInt(c, "persistence", "aof_rewrites");
  REQUIRE(before >= 0);
  CHECK(Cmd(c, {"BGREWRITEAOF"}) == Reply::Status("Background append only file rewriting started"));
  CHECK_MESSAGE(WaitRewriteDone(c, before + 1), "the rewrite did not finish; INFO:\n"
                                                    << Info(c, "persistence"));
  CHECK(PersistenceField(c, "aof_last_bgrewrite_status") == "ok");
}

// ---- data ----

// Deterministic value of `len` bytes for key number i.
inline std::string FillValue(const std::string& prefix, size_t i, size_t len) {
  std::string v = prefix + std::to_string(i) + ":";
  while (v.size() < len) v += static_cast<char>('a' + (i + v.size()) % 26);
  v.resize(std::max(len, v.size()));
  return v;
}

// SET prefix<i> FillValue(prefix, i, value_len) for i in [0, n), pipelined. True when every
// reply was OK.
inline bool FillKeys(redisContext* c, const std::string& prefix, size_t n, size_t value_len,
                     size_t batch = 1000) {
  size_t bad = 0;
  std::string first_bad;
  for (size_t start = 0; start < n; start += batch) {
    size_t end = std::min(n, start + batch);
    for (size_t i = start; i < end; ++i) {
      Append(c, {"SET", prefix + std::to_string(i), FillValue(prefix, i, value_len)});
    }
    for (size_t i = start; i < end; ++i) {
      Reply r = GetReply(c);
      if (!r.ok()) {
        if (bad++ == 0) first_bad = r.Describe();
      }
    }
    if (bad > 0) break;
  }
  if (bad > 0) MESSAGE("FillKeys: " << bad << " bad replies, first: " << first_bad);
  return bad == 0;
}

// One key as clients see it.
struct KeyState {
  std::string value;
  long long pexpiretime = -1;
  bool operator==(const KeyState& o) const {
    return value == o.value && pexpiretime == o.pexpiretime;
  }
};

// The whole data set: every key with its value and absolute expiry, plus DEBUG DIGEST.
struct DataSet {
  std::map<std::string, KeyState> keys;
  std::string digest;
  long long dbsize = -1;
};

inline std::string Shorten(const std::string& s) {
  Reply r = Reply::Bulk(s);
  return r.Describe();
}

// GET + PEXPIRETIME of `names`, pipelined. Missing keys are left out of the result.
inline std::map<std::string, KeyState> FetchKeys(redisContext* c,
                                                 const std::vector<std::string>& names) {
  std::map<std::string, KeyState> out;
  constexpr size_t kBatch = 500;
  for (size_t start = 0; start < names.size(); start += kBatch) {
    size_t end = std::min(names.size(), start + kBatch);
    for (size_t i = start; i < end; ++i) {
      Append(c, {"GET", names[i]});
      Append(c, {"PEXPIRETIME", names[i]});
    }
    for (size_t i = start; i < end; ++i) {
      Reply v = GetReply(c);
      Reply t = GetReply(c);
      REQUIRE_MESSAGE((v.is_bulk() || v.is_nil()), "GET " << names[i] << " -> " << v.Describe());
      REQUIRE_MESSAGE(t.is_int(), "PEXPIRETIME " << names[i] << " -> " << t.Describe());
      if (v.is_nil()) continue;
      out[names[i]] = KeyState{v.str, t.integer};
    }
  }
  return out;
}

inline DataSet Capture(redisContext* c) {
  DataSet d;
  Reply keys = Cmd(c, {"KEYS", "*"});
  REQUIRE_MESSAGE(keys.is_array(), "KEYS * -> " << keys.Describe());
  d.keys = FetchKeys(c, keys.Strings());
  Reply digest = Cmd(c, {"DEBUG", "DIGEST"});
  REQUIRE_MESSAGE((digest.is_status() || digest.is_bulk()),
                  "DEBUG DIGEST -> " << digest.Describe());
  d.digest = digest.str;
  d.dbsize = Cmd(c, {"DBSIZE"}).integer;
  return d;
}

// CHECKs that two captures hold the same data, naming up to 10 differing keys.
inline void CheckSameData(const DataSet& before, const DataSet& after, const std::string& when) {
  INFO("comparing the data set " << when);
  CHECK(after.dbsize == before.dbsize);
  CHECK(after.keys.size() == before.keys.size());
  std::string diffs;
  int n = 0;
  auto note = [&](const std::string& text) {
    if (n++ < 10) diffs += text + "\n";
  };
  for (const auto& [k, s] : before.keys) {
    auto it = after.keys.find(k);
    if (it == after.keys.end()) {
      note("missing after: " + Shorten(k));
    } else if (!(it->second == s)) {
      note("changed: " + Shorten(k) + " value " + Shorten(s.value) + " -> " +
           Shorten(it->second.value) + ", pexpiretime " + std::to_string(s.pexpiretime) + " -> " +
           std::to_string(it->second.pexpiretime));
    }
  }
  for (const auto& [k, s] : after.keys) {
    if (!before.keys.count(k)) note("appeared: " + Shorten(k) + " = " + Shorten(s.value));
  }
  CHECK_MESSAGE(n == 0, n << " differing keys, first ones:\n" << diffs);
  CHECK(after.digest == before.digest);
}

// Runs a command that must not fail; returns its reply.
inline Reply Must(redisContext* c, const std::vector<std::string>& args) {
  Reply r = Cmd(c, args);
  std::string shown;
  for (const auto& a : args) shown += (shown.empty() ? "" : " ") + a.substr(0, 40);
  CHECK_MESSAGE((r.type != 0 && !r.is_error()), shown << " -> " << r.Describe());
  return r;
}

}  // namespace pykv::it
