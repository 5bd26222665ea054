// CommandTest: a whole command layer in one process for unit tests: a FakeClock, a real
// store::Keyspace, a RecordingSink, the Dispatcher with the full command table, one client
// and its reply writer. Run({"SET", "k", "v"}) executes a command and returns the raw RESP
// bytes it answered. Plus small helpers that spell expected RESP replies.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commands/client_state.h"
#include "commands/dispatcher.h"
#include "commands/mutation_sink.h"
#include "commands/pubsub_host.h"
#include "commands/replication_host.h"
#include "commands/server_context.h"
#include "common/clock.h"
#include "common/out_buffer.h"
#include "resp/reply_writer.h"
#include "store/keyspace.h"

namespace pykv::cmd::testing {

// Records what is published (keyspace notifications); holds no subscriptions.
class FakePubSub final : public PubSubHost {
 public:
  bool Subscribe(ClientState&, PubSubKind, std::string_view) override { return false; }
  bool Unsubscribe(ClientState&, PubSubKind, std::string_view) override { return false; }
  std::vector<std::string> SubscriptionsOf(const ClientState&, PubSubKind) const override {
    return {};
  }
  void UnsubscribeAll(ClientState& c) override { c.subscriptions = SubscriptionCounts{}; }
  size_t Publish(PubSubKind, std::string_view channel, std::string_view message) override {
    published.emplace_back(std::string(channel), std::string(message));
    return 0;
  }
  std::vector<std::string> ActiveChannels(PubSubKind,
                                          std::optional<std::string_view>) const override {
    return {};
  }
  size_t SubscriberCount(PubSubKind, std::string_view) const override { return 0; }
  size_t PatternCount() const override { return 0; }
  size_t ChannelCount(PubSubKind) const override { return 0; }

  std::vector<std::pair<std::string, std::string>> published;  // channel, message
};

// A primary with scripted replicas: WAIT answers `acked`, REPLICAOF is recorded.
class FakeReplication final : public ReplicationHost {
 public:
  std::string ReplicaOf(const ClientState&, std::string_view host, int port) override {
    primary = std::string(host) + ":" + std::to_string(port);
    return "OK";
  }
  void ReplicaOfNoOne(const ClientState&) override { primary.clear(); }
  Status Sync(ClientState&, std::string_view, std::string_view, bool) override {
    return Status::Invalid("ERR no replication in unit tests");
  }
  void Ack(ClientState&, uint64_t offset) override { last_ack = offset; }
  void AckToPrimaryNow() override {}
  bool IsReplica() const override { return !primary.empty(); }
  std::optional<int64_t> Wait(ClientState&, int64_t, int64_t, bool) override { return acked; }
  RoleInfo Role() const override { return RoleInfo{}; }
  bool TooFewGoodReplicas() const override { return too_few_replicas; }
  bool RefusesStaleData() const override { return refuses_stale; }

  std::string primary;  // "host:port" while a replica
  uint64_t last_ack = 0;
  int64_t acked = 0;
  bool too_few_replicas = false;
  bool refuses_stale = false;
};

// Simple in-memory answers for everything the server would provide.
class FakeServerContext final : public ServerContext {
 public:
  std::string Info(const std::vector<std::string>&) override { return "# Server\r\n"; }
  std::vector<std::pair<std::string, std::string>> ConfigGet(std::string_view) override {
    return {};
  }
  Status ConfigSet(const std::vector<std::pair<std::string, std::string>>&) override {
    return Status::Ok();
  }
  Status ConfigRewrite() override { return Status::Ok(); }
  bool ConfigIsSensitive(std::string_view name) const override { return name == "requirepass"; }
  void ResetStats() override {}
  const std::string& RequirePass() const override { return requirepass; }
  std::string ClientList(const ClientFilter&) override { return ""; }
  std::string ClientInfo(const ClientState&) override { return ""; }
  size_t KillClients(const ClientFilter&) override { return 0; }
  void PauseClients(int64_t, bool) override {}
  void UnpauseClients() override {}
  void AddMonitor(ClientState&) override { ++monitors; }
  void RemoveMonitor(ClientState&) override { --monitors; }
  bool HasMonitors() const override { return monitors > 0; }
  void FeedMonitors(const ClientState&, Args argv) override {
    monitored.emplace_back(argv.begin(), argv.end());
  }
  PubSubHost& pubsub() override { return fake_pubsub; }
  ReplicationHost& replication() override { return fake_replication; }
  Status Shutdown(bool, bool, bool, bool, bool) override { return Status::Ok(); }
  Status BackgroundRewriteAof() override { return Status::Invalid("ERR no AOF in unit tests"); }
  Status SaveNow() override { return Status::Invalid("ERR no AOF in unit tests"); }
  Status DebugReload(bool) override { return Status::Invalid("ERR no AOF in unit tests"); }
  const std::string& PersistenceError() const override { return persistence_error; }
  bool IsReadonlyReplica() const override { return readonly_replica; }
  int64_t LastSaveTime() const override { return 0; }
  int64_t UptimeSeconds() const override { return 0; }
  size_t UsedMemory() const override { return 0; }
  void SetActiveExpire(bool on) override { active_expire = on; }
  bool DebugAllowed(const ClientState&) const override { return debug_allowed; }
  uint64_t ProtoMaxBulkLen() const override { return proto_max_bulk_len; }

  std::string requirepass;
  std::string persistence_error;
  int monitors = 0;
  std::vector<std::vector<std::string>> monitored;  // what MONITOR clients were sent
  FakePubSub fake_pubsub;
  FakeReplication fake_replication;
  bool readonly_replica = false;
  bool active_expire = true;
  bool debug_allowed = true;
  uint64_t proto_max_bulk_len = 512ull * 1024 * 1024;
};

// Keeps a client together with the buffer its replies go to.
struct TestClient {
  TestClient() : writer(&out) { state.socket_output = &out; }
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;
  ClientState state;
  OutBuffer out;
  resp::ReplyWriter writer;
};

class CommandTest {
 public:
  // The keyspace is built before (and so outlives) the dispatcher, its listener.
  CommandTest()
      : keyspace(&command_clock, /*hash_key=*/{42}),
        dispatcher(&keyspace, &server, &sink, &command_clock) {}

  // Runs argv as the default client; returns the reply bytes and clears its buffer.
  std::string Run(std::initializer_list<std::string_view> argv) { return RunAs(client, argv); }
  std::string Run(const std::vector<std::string>& argv) {
    std::vector<std::string_view> views(argv.begin(), argv.end());
    return RunViews(client, views);
  }
  std::string RunAs(TestClient& c, std::initializer_list<std::string_view> argv) {
    std::vector<std::string_view> views(argv);
    return RunViews(c, views);
  }

  // The commands propagated so far, and forgetting them.
  const std::vector<std::vector<std::string>>& propagated() const { return sink.commands; }
  void ClearPropagated() {
    sink.commands.clear();
    sink.encodings.clear();
  }

  FakeClock clock;
  CommandClock command_clock{&clock};  // what the keyspace and dispatcher read
  FakeServerContext server;
  store::Keyspace keyspace;
  RecordingSink sink;
  Dispatcher dispatcher;
  TestClient client;

 private:
  std::string RunViews(TestClient& c, const std::vector<std::string_view>& views) {
    if (dispatcher.Execute(c.state, c.writer, Args(views.data(), views.size())) ==
        Dispatcher::Outcome::kPostponed) {
      return "<postponed>";
    }
    std::string bytes = c.out.ToString();
    c.out.Clear();
    return bytes;
  }
};

// ---- Expected replies ----

inline const std::string kOk = "+OK\r\n";
inline const std::string kNil = "$-1\r\n";
inline const std::string kNilArray = "*-1\r\n";
inline const std::string kQueued = "+QUEUED\r\n";

inline std::string Int(int64_t v) {
  return ":" + std::to_string(v) + "\r\n";
}
inline std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}
inline std::string Simple(std::string_view s) {
  return "+" + std::string(s) + "\r\n";
}
inline std::string Err(std::string_view s) {
  return "-" + std::string(s) + "\r\n";
}
inline std::string ArrHeader(size_t n) {
  return "*" + std::to_string(n) + "\r\n";
}
// An array of already encoded elements.
inline std::string Arr(std::initializer_list<std::string> elems) {
  std::string out = ArrHeader(elems.size());
  for (const std::string& e : elems) out += e;
  return out;
}
// An array of bulk strings.
inline std::string BulkArr(std::initializer_list<std::string_view> items) {
  std::string out = ArrHeader(items.size());
  for (std::string_view s : items) out += Bulk(s);
  return out;
}

using Argv = std::vector<std::string>;

// ---- Recorded Redis sessions ----

// A command and the exact bytes Redis 7.0 answered. The tables of these in the family tests
// were recorded from a real redis-server, each case on an empty data set.
struct RedisStep {
  Argv argv;
  std::string reply;
};
struct RedisCase {
  const char* name;
  std::vector<RedisStep> steps;
};

// Replays each case on an empty data set and compares every reply byte for byte.
inline void CheckAgainstRedis(CommandTest& t, const std::vector<RedisCase>& cases) {
  for (const RedisCase& c : cases) {
    t.Run({"FLUSHALL"});
    for (const RedisStep& s : c.steps) {
      std::string name = c.name;
      std::string args;
      for (const std::string& a : s.argv) args += a + " ";
      CAPTURE(name);
      CAPTURE(args);
      CHECK(t.Run(s.argv) == s.reply);
    }
  }
}

// ---- Parsing replies ----

// One decoded RESP2/RESP3 value, for tests that check a reply's shape rather than its bytes.
struct RespValue {
  char type = 0;  // the RESP type byte: '+', '-', ':', '$', '*', '%', '~', '_', ...
  bool null = false;
  std::string str;  // simple, error, bulk text
  int64_t integer = 0;
  std::vector<RespValue> elems;  // array, set, push; a map as key, value, key, value...

  bool is_aggregate() const { return type == '*' || type == '%' || type == '~' || type == '>'; }
  size_t size() const { return elems.size(); }
  const RespValue& operator[](size_t i) const { return elems.at(i); }
  // Map lookup by key text (maps only); null when absent.
  const RespValue* Get(std::string_view key) const {
    for (size_t i = 0; i + 1 < elems.size(); i += 2) {
      if (elems[i].str == key) return &elems[i + 1];
    }
    return nullptr;
  }
};

// Decodes one value starting at *pos and advances *pos past it. Malformed input fails the
// test.
inline RespValue ParseResp(const std::string& bytes, size_t* pos) {
  RespValue v;
  REQUIRE(*pos < bytes.size());
  v.type = bytes[*pos];
  size_t eol = bytes.find("\r\n", *pos);
  REQUIRE(eol != std::string::npos);
  std::string line = bytes.substr(*pos + 1, eol - *pos - 1);
  *pos = eol + 2;
  switch (v.type) {
    case '+':
    case '-':
    case ',':
    case '(':
    case '#':
      v.str = line;
      break;
    case ':':
      v.integer = std::stoll(line);
      break;
    case '_':
      v.null = true;
      break;
    case '$':
    case '=':
    case '!': {
      int64_t len = std::stoll(line);
      if (len < 0) {
        v.null = true;
        break;
      }
      v.str = bytes.substr(*pos, static_cast<size_t>(len));
      *pos += static_cast<size_t>(len) + 2;
      break;
    }
    case '*':
    case '~':
    case '>':
    case '%': {
      int64_t n = std::stoll(line);
      if (n < 0) {
        v.null = true;
        break;
      }
      if (v.type == '%') n *= 2;
      for (int64_t i = 0; i < n; ++i) v.elems.push_back(ParseResp(bytes, pos));
      break;
    }
    default:
      FAIL("unknown RESP type byte: " << v.type);
  }
  return v;
}

// Decodes a whole reply, which must be exactly one value.
inline RespValue ParseResp(const std::string& bytes) {
  size_t pos = 0;
  RespValue v = ParseResp(bytes, &pos);
  CHECK(pos == bytes.size());
  return v;
}

}  // namespace pykv::cmd::testing
