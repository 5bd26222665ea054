// Helpers shared by the replication tests: a primary and a replica already in sync, bounded
// waits for a replica's link and offset, DEBUG DIGEST, bulk loading and the server log.
// Single-threaded use, like the rest of the harness.
#pragma once

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "integration/server_harness.h"

namespace pykv::it {

// master_link_status:up in the replica's INFO replication.
inline bool LinkUp(const Conn& replica) {
  return InfoField(Info(replica.get(), "replication"), "master_link_status") == "up";
}

inline bool WaitLinkUp(const Conn& replica,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  return WaitFor([&] { return LinkUp(replica); }, timeout, std::chrono::milliseconds(20));
}

// The replica's link is up and it has applied everything the primary journaled (the
// primary's master_repl_offset equals the replica's slave_repl_offset).
inline bool WaitInSync(const Conn& primary, const Conn& replica,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  return WaitFor(
      [&] {
        const std::string r = Info(replica.get(), "replication");
        if (InfoField(r, "master_link_status") != "up") return false;
        const std::string p = Info(primary.get(), "replication");
        return InfoField(p, "master_repl_offset") == InfoField(r, "slave_repl_offset");
      },
      timeout, std::chrono::milliseconds(20));
}

inline std::string Digest(const Conn& c) {
  return Cmd(c, {"DEBUG", "DIGEST"}).str;
}

// n keys prefix0..prefix<n-1> (pipelined); every `with_ttl_every`-th key (if > 0) gets a
// TTL of an hour.
inline void FillKeys(const Conn& c, const std::string& prefix, int n, int with_ttl_every) {
  constexpr int kBatch = 1000;
  for (int start = 0; start < n; start += kBatch) {
    const int end = std::min(n, start + kBatch);
    for (int i = start; i < end; ++i) {
      std::vector<std::string> cmd = {"SET", prefix + std::to_string(i),
                                      "value-" + std::to_string(i)};
      if (with_ttl_every > 0 && i % with_ttl_every == 0) {
        cmd.push_back("EX");
        cmd.push_back("3600");
      }
      Append(c.get(), cmd);
    }
    for (int i = start; i < end; ++i) REQUIRE(GetReply(c.get()).ok());
  }
}

// connected_slaves in the primary's INFO replication (-1 when the primary does not answer).
inline long long ConnectedReplicas(const Conn& primary) {
  return InfoInt(primary.get(), "replication", "connected_slaves");
}

// The replica's master_link_status goes down within `timeout`.
inline bool WaitLinkDown(const Conn& replica,
                         std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  return WaitFor([&] { return !LinkUp(replica); }, timeout, std::chrono::milliseconds(20));
}

// Replica and primary hold the same data: in sync, equal DEBUG DIGEST and DBSIZE. Keys the
// primary expires meanwhile (its DEL still on the way) make one comparison differ, so it is
// repeated (bounded) until both are asked between two changes; the primary's digest is read
// before and after the replica's so that a change in between is not taken for equality.
inline bool WaitSameData(const Conn& primary, const Conn& replica,
                         std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  return WaitFor(
      [&] {
        const std::string p_digest = Cmd(primary, {"DEBUG", "DIGEST"}).str;
        const Reply p_size = Cmd(primary, {"DBSIZE"});
        const std::string p_info = Info(primary.get(), "replication");
        const std::string r_info = Info(replica.get(), "replication");
        if (InfoField(r_info, "master_link_status") != "up" ||
            InfoField(p_info, "master_repl_offset") != InfoField(r_info, "slave_repl_offset")) {
          return false;
        }
        const std::string r_digest = Cmd(replica, {"DEBUG", "DIGEST"}).str;
        const Reply r_size = Cmd(replica, {"DBSIZE"});
        return !p_digest.empty() && p_digest == r_digest && p_size.is_int() && p_size == r_size &&
               Cmd(primary, {"DEBUG", "DIGEST"}).str == p_digest;
      },
      timeout, std::chrono::milliseconds(50));
}

inline std::string ReadLog(const TestServer& s) {
  std::ifstream f(s.log_path());
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// How many times `needle` occurs in `text` (log lines counted by their wording).
inline int CountOf(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

// The field names of an INFO section, in order (the header and blank lines left out).
inline std::vector<std::string> FieldNames(const std::string& info) {
  std::vector<std::string> names;
  std::istringstream in(info);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line == "\r") continue;
    names.push_back(line.substr(0, line.find(':')));
  }
  return names;
}

// A primary and a replica of it, in sync, each with a connection.
struct ReplicaPair {
  explicit ReplicaPair(ServerOptions replica_opts = {})
      : replica(std::move(replica_opts)), p(primary.Connect()), r(replica.Connect()) {
    REQUIRE(Cmd(r, {"REPLICAOF", "127.0.0.1", std::to_string(primary.port())}) == Ok());
    REQUIRE(WaitInSync(p, r));
  }
  TestServer primary;
  TestServer replica;
  Conn p;
  Conn r;
};

}  // namespace pykv::it
