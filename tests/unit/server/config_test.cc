// Tests for server/config: defaults, redis.conf parsing, the command line, validation of
// every option type, CONFIG GET/SET/REWRITE. Expected texts were taken from Redis 7.0.15.
#include "server/config.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/temp_files.h"

namespace pykv::server {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

namespace fs = std::filesystem;
using Pairs = std::vector<std::pair<std::string, std::string>>;

std::string GetOne(const Config& c, const std::string& name) {
  const Pairs got = c.Get(name);
  REQUIRE(got.size() == 1);
  return got[0].second;
}

Status LoadArgs(Config* c, std::vector<std::string> args) {
  args.insert(args.begin(), "pykv-server");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  return c->LoadFromArgs(static_cast<int>(argv.size()), argv.data());
}

// The reason a one-line config is rejected with (last line of the fatal message).
std::string LoadError(const std::string& text) {
  Config c;
  const Status st = c.LoadString(text);
  REQUIRE_FALSE(st.ok());
  const std::string& msg = st.message();
  return msg.substr(msg.rfind('\n') + 1);
}

std::string SetError(Config* c, const Pairs& pairs) {
  const Status st = c->SetAtRuntime(pairs);
  REQUIRE_FALSE(st.ok());
  return st.message();
}

std::string SetError(const std::string& name, const std::string& value) {
  Config c;
  return SetError(&c, {{name, value}});
}

std::string ConfPath() {
  return (fs::path(__FILE__).parent_path() / ".." / ".." / ".." / "conf" / "pykv.conf").string();
}

TEST_CASE("defaults print like Redis 7.0") {
  const Config c;
  // Where Redis's default differs (bind, port, save, daemonize) it is PyKV's own choice;
  // the formats are still Redis's.
  const Pairs expected = {
      {"bind", "127.0.0.1 -::1"},
      {"port", "6379"},
      {"port-file", ""},
      {"tcp-backlog", "511"},
      {"maxclients", "10000"},
      {"timeout", "0"},
      {"tcp-keepalive", "300"},
      {"protected-mode", "yes"},
      {"requirepass", ""},
      {"http-port", "0"},
      {"http-bind", "127.0.0.1"},
      {"http-port-file", ""},
      {"http-timeout", "60"},
      {"daemonize", "no"},
      {"loglevel", "notice"},
      {"logfile", ""},
      {"pidfile", ""},
      {"dir", "."},
      {"hz", "10"},
      {"databases", "1"},
      {"enable-debug-command", "no"},
      {"maxkeys", "0"},
      {"maxmemory", "0"},
      {"maxmemory-policy", "noeviction"},
      {"proto-max-bulk-len", "536870912"},
      {"client-query-buffer-limit", "1073741824"},
      {"client-output-buffer-limit",
       "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"},
      {"slowlog-log-slower-than", "10000"},
      {"slowlog-max-len", "128"},
      {"latency-monitor-threshold", "0"},
      {"appendonly", "no"},
      {"appendfsync", "everysec"},
      {"appenddirname", "appendonlydir"},
      {"appendfilename", "appendonly.aof"},
      {"auto-aof-rewrite-percentage", "100"},
      {"auto-aof-rewrite-min-size", "67108864"},
      {"aof-load-truncated", "yes"},
      {"save", ""},
      {"notify-keyspace-events", ""},
  };
  // PyKV's own options, in table order (the Redis options it only accepts are checked
  // against Redis's defaults in config_redis_compat_test.cc).
  std::set<std::string> own;
  for (const auto& [name, value] : expected) own.insert(name);
  Pairs got;
  for (const auto& pair : c.Get("*")) {
    if (own.count(pair.first) != 0) got.push_back(pair);
  }
  CHECK(got == expected);
  CHECK(c.config_file().empty());
  CHECK(c.config_file_abs().empty());
  const Settings& s = c.settings();
  CHECK(s.port == 6379);
  CHECK(s.hz == 10);
  CHECK_FALSE(s.appendonly);
}

TEST_CASE("file syntax: comments, blank lines, quotes, case") {
  Config c;
  const Status st = c.LoadString(
      "# a comment\n"
      "\n"
      "   \t\n"
      "  # indented comment\n"
      "PORT 7000\r\n"
      "  hz   20  \n"
      "requirepass \"a b\\tc\\x41\\\"\"\n"
      "logfile 'it\\'s here'\n"
      "pidfile \"\"\n"
      "bind 10.0.0.1 \"::1\" -::2\n"
      "MaxMemory-Policy ALLKEYS-LRU\n"
      "appendonly YES\n");
  REQUIRE_MESSAGE(st.ok(), st.message());
  const Settings& s = c.settings();
  CHECK(s.port == 7000);
  CHECK(s.hz == 20);
  CHECK(s.requirepass == "a b\tcA\"");
  CHECK(s.logfile == "it's here");
  CHECK(s.pidfile.empty());
  CHECK(s.bind == std::vector<std::string>{"10.0.0.1", "::1", "-::2"});
  CHECK(s.maxmemory_policy == "allkeys-lru");
  CHECK(GetOne(c, "maxmemory-policy") == "allkeys-lru");
  CHECK(s.appendonly);
  CHECK(GetOne(c, "appendonly") == "yes");
}

TEST_CASE("later lines override earlier ones; save lines add up") {
  Config c;
  REQUIRE(c.LoadString("port 1\nport 2\nsave 3600 1\nsave 300 100 60 10000\n").ok());
  CHECK(c.settings().port == 2);
  CHECK(c.settings().save == "3600 1 300 100 60 10000");
  REQUIRE(c.LoadString("save \"\"\n").ok());
  CHECK(c.settings().save.empty());
}

TEST_CASE("file errors carry the line, the directive and the reason") {
  Config c;
  const Status st = c.LoadString("# c\n\nport 7000\nhz abc\n");
  REQUIRE_FALSE(st.ok());
  CHECK(st.code() == Status::Code::kInvalid);
  CHECK(st.message() ==
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0) ***\n"
        "Reading the configuration file, at line 4\n"
        ">>> 'hz abc'\n"
        "argument couldn't be parsed into an integer");

  CHECK(LoadError("foo bar") == "Bad directive or wrong number of arguments");
  CHECK(LoadError("port 7000 8") == "wrong number of arguments");
  CHECK(LoadError("port") == "wrong number of arguments");
  CHECK(LoadError("requirepass \"abc") == "Unbalanced quotes in configuration line");
  CHECK(LoadError("requirepass 'abc") == "Unbalanced quotes in configuration line");
  CHECK(LoadError("requirepass \"abc\"def") == "Unbalanced quotes in configuration line");
  CHECK(LoadError("port 7000 # trailing comment") == "wrong number of arguments");

  Config d;
  const Status unbalanced = d.LoadString("port 1\n\n'x\n");
  REQUIRE_FALSE(unbalanced.ok());
  CHECK(unbalanced.message().find("at line 3\n>>> ''x'\n") != std::string::npos);
}

TEST_CASE("LoadFile: missing file, include") {
  TempDir dir;
  Config c;
  const Status missing = c.LoadFile(dir.File("nope.conf"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.message().find("can't open config file") != std::string::npos);
  CHECK(missing.message().find("No such file or directory") != std::string::npos);

  WriteFile(dir.File("inc.conf"), "hz 33\n\nmaxclients x\n");
  WriteFile(dir.File("main.conf"), "port 1\ninclude " + dir.File("inc.conf") + "\n");
  Config d;
  const Status st = d.LoadFile(dir.File("main.conf"));
  REQUIRE_FALSE(st.ok());
  // The error names the included file and its line.
  CHECK(st.message().find("'" + dir.File("inc.conf") + "', at line 3") != std::string::npos);
  CHECK(d.settings().hz == 33);

  WriteFile(dir.File("inc.conf"), "hz 33\n");
  Config e;
  REQUIRE(e.LoadFile(dir.File("main.conf")).ok());
  CHECK(e.settings().hz == 33);
  CHECK(e.config_file() == dir.File("main.conf"));
  CHECK(e.config_file_abs() == dir.File("main.conf"));

  WriteFile(dir.File("loop.conf"), "include " + dir.File("loop.conf") + "\n");
  Config f;
  const Status loop = f.LoadFile(dir.File("loop.conf"));
  REQUIRE_FALSE(loop.ok());
  CHECK(loop.message().find("include nested too deeply") != std::string::npos);
}

TEST_CASE("command line: [config-file] [--name value ...] overrides the file") {
  TempDir dir;
  const std::string file = dir.File("pykv.conf");
  WriteFile(file, "port 7000\nhz 20\nloglevel warning\n");

  Config c;
  const Status st = LoadArgs(&c, {file, "--port", "7001", "--bind", "1.2.3.4", "::1", "--loglevel",
                                  "debug", "--maxmemory 10mb"});
  REQUIRE_MESSAGE(st.ok(), st.message());
  CHECK(c.settings().port == 7001);
  CHECK(c.settings().hz == 20);
  CHECK(c.settings().loglevel == "debug");
  CHECK(c.settings().bind == std::vector<std::string>{"1.2.3.4", "::1"});
  CHECK(c.settings().maxmemory == 10 * 1024 * 1024);
  CHECK(c.config_file() == file);

  SUBCASE("no file, only options") {
    Config d;
    REQUIRE(LoadArgs(&d, {"--port", "0", "--appendonly", "yes"}).ok());
    CHECK(d.settings().port == 0);
    CHECK(d.settings().appendonly);
    CHECK(d.config_file().empty());
  }
  SUBCASE("a value may start with -- right after its name; spaces are kept") {
    Config d;
    REQUIRE(LoadArgs(&d, {"--requirepass", "--not-an-option", "--logfile", "a b.log"}).ok());
    CHECK(d.settings().requirepass == "--not-an-option");
    CHECK(d.settings().logfile == "a b.log");
  }
  SUBCASE("--save without a value means save \"\"") {
    Config d;
    REQUIRE(LoadArgs(&d, {"--save", "10", "1", "--save", "--port", "5"}).ok());
    CHECK(d.settings().save.empty());
    CHECK(d.settings().port == 5);
    Config e;
    REQUIRE(LoadArgs(&e, {"--port", "5", "--save"}).ok());
    CHECK(e.settings().save.empty());
  }
  SUBCASE("a list option's words may come as one argument, as redis-server takes them") {
    Config d;
    REQUIRE(LoadArgs(&d, {"--client-output-buffer-limit", "normal 8mb 4mb 5", "--save",
                          "900 1 300 10", "--bind", "127.0.0.1   ::1 "})
                .ok());
    CHECK(d.settings().output_normal.hard == 8 * 1024 * 1024);
    CHECK(d.settings().output_normal.soft == 4 * 1024 * 1024);
    CHECK(d.settings().output_normal.soft_seconds == 5);
    CHECK(d.settings().save == "900 1 300 10");
    CHECK(d.settings().bind == std::vector<std::string>{"127.0.0.1", "::1"});
    // Quotes inside the value are read with the config file's rules.
    Config e;
    REQUIRE(LoadArgs(&e, {"--client-output-buffer-limit", "pubsub \"1mb\" '1mb' 7"}).ok());
    CHECK(e.settings().output_pubsub.hard == 1024 * 1024);
    CHECK(e.settings().output_pubsub.soft_seconds == 7);
    // The same in a file.
    Config f;
    REQUIRE(f.LoadString("client-output-buffer-limit \"normal 1mb 1mb 1\"\n").ok());
    CHECK(f.settings().output_normal.hard == 1024 * 1024);
    // Several values are taken as they are, each one word: two groups fail as in Redis.
    Config g;
    Status bad =
        LoadArgs(&g, {"--client-output-buffer-limit", "normal 8mb 4mb 5", "pubsub 1mb 1mb 1"});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.message().ends_with("Wrong number of arguments in buffer limit configuration."));
    // A quoted value stays one word after the split.
    Config h;
    bad = LoadArgs(&h, {"--save", "\"900 1\""});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.message().ends_with(">>> 'save \"\\\"900 1\\\"\"'\nInvalid save parameters"));
    // Unbalanced quotes leave no values: redis-server then resets save and leaves the
    // buffer limits alone.
    Config i;
    REQUIRE(LoadArgs(&i, {"--save", "a\"b", "--client-output-buffer-limit", "normal 1mb 1mb 1",
                          "--client-output-buffer-limit", "normal \"8mb"})
                .ok());
    CHECK(i.settings().save.empty());
    CHECK(i.settings().output_normal.hard == 1024 * 1024);
    // A single-value option keeps its spaces.
    Config j;
    REQUIRE(LoadArgs(&j, {"--requirepass", "a b"}).ok());
    CHECK(j.settings().requirepass == "a b");
  }
  SUBCASE("no arguments at all") {
    Config d;
    REQUIRE(LoadArgs(&d, {}).ok());
    CHECK(d.settings().port == 6379);
  }
  SUBCASE("errors") {
    Config d;
    Status bad = LoadArgs(&d, {"--port", "1", "2"});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.message() ==
          "\n*** FATAL CONFIG FILE ERROR (Redis 7.0) ***\n"
          "Reading the command line, at option '--port'\n"
          ">>> 'port \"1\" \"2\"'\n"
          "wrong number of arguments");
    Config e;
    bad = LoadArgs(&e, {file, "--hz", "-1"});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.message().ends_with("argument must be between 0 and 2147483647 inclusive"));
    Config f;
    bad = LoadArgs(&f, {"--nope", "1"});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.message().ends_with("Bad directive or wrong number of arguments"));
    Config g;
    bad = LoadArgs(&g, {"-x"});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.message().find(">>> '-x'") != std::string::npos);
    Config h;
    bad = LoadArgs(&h, {dir.File("missing.conf"), "--port", "1"});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.message().find("can't open config file") != std::string::npos);
    Config i;
    bad = LoadArgs(&i, {"--port"});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.message().ends_with("wrong number of arguments"));
  }
}

TEST_CASE("bool options") {
  Config c;
  REQUIRE(c.SetAtRuntime({{"protected-mode", "NO"}}).ok());
  CHECK_FALSE(c.settings().protected_mode);
  CHECK(GetOne(c, "protected-mode") == "no");
  REQUIRE(c.SetAtRuntime({{"protected-mode", "Yes"}}).ok());
  CHECK(c.settings().protected_mode);
  CHECK(SetError("appendonly", "maybe") ==
        "ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be "
        "'yes' or 'no'");
  CHECK(SetError("aof-load-truncated", "1").ends_with("argument must be 'yes' or 'no'"));
  CHECK(LoadError("protected-mode on") == "argument must be 'yes' or 'no'");
}

TEST_CASE("integer options: Redis string2ll rules and ranges") {
  Config c;
  REQUIRE(c.SetAtRuntime({{"hz", "1"}}).ok());
  CHECK(c.settings().hz == 1);
  REQUIRE(c.SetAtRuntime({{"hz", "500"}}).ok());
  CHECK(GetOne(c, "hz") == "500");
  for (const char* bad : {"abc", " 5", "+5", "05", "5 ", "1.5", "", "1k"}) {
    CAPTURE(bad);
    CHECK(SetError("hz", bad) ==
          "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be "
          "parsed into an integer");
  }
  // As Redis: any non-negative hz is accepted and used within 1..500.
  CHECK(SetError("hz", "-1").ends_with("argument must be between 0 and 2147483647 inclusive"));
  CHECK(LoadError("hz -1") == "argument must be between 0 and 2147483647 inclusive");
  for (auto [given, used] :
       {std::pair{"0", "1"}, {"501", "500"}, {"2147483647", "500"}, {"7", "7"}}) {
    Config c;
    CHECK(c.SetAtRuntime({{"hz", given}}).ok());
    CHECK(c.Get("hz") == std::vector<std::pair<std::string, std::string>>{{"hz", used}});
  }
  CHECK(
      SetError("maxclients", "0").ends_with("argument must be between 1 and 4294967295 inclusive"));
  {
    Config c;
    CHECK(c.SetAtRuntime({{"maxclients", "4294967295"}}).ok());
    CHECK(c.settings().maxclients == 2147483647);
  }
  // One database: any value Redis takes loads (with a start-up notice), but clients asking
  // CONFIG GET databases learn SELECT takes only 0.
  CHECK(LoadError("databases 0") == "argument must be between 1 and 2147483647 inclusive");
  {
    Config c;
    CHECK(c.LoadString("databases 16").ok());
    CHECK(GetOne(c, "databases") == "1");
    CHECK(c.LoadString("databases 1").ok());
  }
  CHECK(SetError("databases", "1").ends_with("can't set immutable config"));
  CHECK(SetError("timeout", "-1").ends_with("argument must be between 0 and 2147483647 inclusive"));
  CHECK(SetError("tcp-keepalive", "99999999999999")
            .ends_with("argument must be between 0 and 2147483647 inclusive"));
  CHECK(SetError("slowlog-log-slower-than", "-5")
            .ends_with("argument must be between -1 and 9223372036854775807 inclusive"));
  CHECK(SetError("slowlog-max-len", "-1")
            .ends_with("argument must be between 0 and 9223372036854775807 inclusive"));
  CHECK(SetError("maxkeys", "-1")
            .ends_with("argument must be between 0 and 9223372036854775807 inclusive"));
  CHECK(LoadError("port 65536") == "argument must be between 0 and 65535 inclusive");
  CHECK(LoadError("port 99999999999999999999") == "argument couldn't be parsed into an integer");

  REQUIRE(c.SetAtRuntime({{"slowlog-log-slower-than", "-1"}, {"maxkeys", "1000000"}}).ok());
  CHECK(c.settings().slowlog_log_slower_than == -1);
  CHECK(GetOne(c, "slowlog-log-slower-than") == "-1");
  CHECK(c.settings().maxkeys == 1000000);
  Config d;
  REQUIRE(d.LoadString("port 0\ntcp-backlog 1024\nauto-aof-rewrite-percentage 0\n").ok());
  CHECK(d.settings().port == 0);
  CHECK(d.settings().tcp_backlog == 1024);
  CHECK(d.settings().auto_aof_rewrite_percentage == 0);
}

TEST_CASE("memory options: units, plain bytes in CONFIG GET, minimums") {
  const std::vector<std::pair<std::string, uint64_t>> cases = {
      {"0", 0},
      {"100", 100},
      {"1k", 1000},
      {"1kb", 1024},
      {"1K", 1000},
      {"1KB", 1024},
      {"3m", 3000000},
      {"3mb", 3 * 1024 * 1024},
      {"2g", 2000000000},
      {"2Gb", 2ull * 1024 * 1024 * 1024},
      {"1gB", 1024ull * 1024 * 1024},
  };
  for (const auto& [text, bytes] : cases) {
    CAPTURE(text);
    Config c;
    REQUIRE(c.SetAtRuntime({{"maxmemory", text}}).ok());
    CHECK(c.settings().maxmemory == bytes);
    CHECK(GetOne(c, "maxmemory") == std::to_string(bytes));
  }
  for (const char* bad : {"-1", "1x", "1.5gb", "gb", "1 gb", "1tb"}) {
    CAPTURE(bad);
    CHECK(SetError("maxmemory", bad) ==
          "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be "
          "a memory value");
  }
  CHECK(SetError("proto-max-bulk-len", "1000") ==
        "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument "
        "must be between 1048576 and 9223372036854775807 inclusive");
  CHECK(SetError("client-query-buffer-limit", "1048575")
            .ends_with("argument must be between 1048576 and 9223372036854775807 inclusive"));
  Config c;
  REQUIRE(c.LoadString("proto-max-bulk-len 1mb\nclient-query-buffer-limit 2gb\n"
                       "auto-aof-rewrite-min-size 1k\n")
              .ok());
  CHECK(c.settings().proto_max_bulk_len == 1024 * 1024);
  CHECK(c.settings().client_query_buffer_limit == 2ull * 1024 * 1024 * 1024);
  CHECK(GetOne(c, "auto-aof-rewrite-min-size") == "1000");
}

TEST_CASE("enum options") {
  Config c;
  for (const char* policy : {"volatile-lru", "volatile-random", "volatile-ttl", "allkeys-lru",
                             "allkeys-random", "noeviction"}) {
    REQUIRE(c.SetAtRuntime({{"maxmemory-policy", policy}}).ok());
    CHECK(GetOne(c, "maxmemory-policy") == policy);
  }
  REQUIRE(c.SetAtRuntime({{"loglevel", "VERBOSE"}, {"appendfsync", "Always"}}).ok());
  CHECK(c.settings().loglevel == "verbose");
  CHECK(c.settings().appendfsync == "always");
  CHECK(SetError("maxmemory-policy", "allkeys-lfu") ==
        "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) "
        "must be one of the following: volatile-lru, volatile-random, volatile-ttl, "
        "allkeys-lru, allkeys-random, noeviction");
  CHECK(SetError("appendfsync", "sometimes")
            .ends_with("argument(s) must be one of the following: everysec, always, no"));
  CHECK(LoadError("loglevel loud") ==
        "argument(s) must be one of the following: debug, verbose, notice, warning");
}

TEST_CASE("string options") {
  Config c;
  REQUIRE(c.SetAtRuntime({{"requirepass", "s3cret pass"}}).ok());
  CHECK(c.settings().requirepass == "s3cret pass");
  CHECK(GetOne(c, "requirepass") == "s3cret pass");
  REQUIRE(c.SetAtRuntime({{"requirepass", ""}}).ok());
  CHECK(c.settings().requirepass.empty());
  CHECK(LoadError("appendfilename a/b.aof") == "appendfilename can't be a path, just a filename");
  CHECK(LoadError("appendfilename \"\"") == "appendfilename can't be empty");
  CHECK(LoadError("appenddirname x/y") == "appenddirname can't be a path, just a dirname");
  CHECK(LoadError("dir \"\"") == "argument can't be empty");
  Config d;
  REQUIRE(d.LoadString("dir /var/lib/pykv\nappenddirname aofs\nappendfilename x.aof\n"
                       "port-file /tmp/port\npidfile /tmp/pid\n")
              .ok());
  CHECK(d.settings().dir == "/var/lib/pykv");
  CHECK(d.settings().appenddirname == "aofs");
  CHECK(d.settings().appendfilename == "x.aof");
  CHECK(d.settings().port_file == "/tmp/port");
  CHECK(GetOne(d, "pidfile") == "/tmp/pid");
}

TEST_CASE("special options: bind, client-output-buffer-limit, save, daemonize") {
  SUBCASE("bind") {
    Config c;
    REQUIRE(c.LoadString("bind 0.0.0.0 ::\n").ok());
    CHECK(GetOne(c, "bind") == "0.0.0.0 ::");
    REQUIRE(c.LoadString("bind \"\"\n").ok());
    CHECK(c.settings().bind.empty());
    CHECK(GetOne(c, "bind").empty());
    CHECK(LoadError("bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17") ==
          "Too many bind addresses specified.");
    // Mutable at run time (the server re-listens before the option changes).
    REQUIRE(c.SetAtRuntime({{"bind", "0.0.0.0 -::1"}}).ok());
    CHECK(GetOne(c, "bind") == "0.0.0.0 -::1");
  }
  SUBCASE("client-output-buffer-limit") {
    Config c;
    REQUIRE(c.SetAtRuntime({{"client-output-buffer-limit", "REPLICA 1kb 2K 3"}}).ok());
    CHECK(GetOne(c, "client-output-buffer-limit") ==
          "normal 0 0 0 slave 1024 2000 3 pubsub 33554432 8388608 60");
    REQUIRE(c.LoadString("client-output-buffer-limit normal 1mb 512kb 10 slave 1 2 3\n"
                         "client-output-buffer-limit pubsub 0 0 0\n")
                .ok());
    CHECK(c.settings().output_normal.hard == 1024 * 1024);
    CHECK(c.settings().output_normal.soft == 512 * 1024);
    CHECK(c.settings().output_normal.soft_seconds == 10);
    CHECK(c.settings().output_replica.hard == 1);
    CHECK(c.settings().output_pubsub.hard == 0);
    CHECK(GetOne(c, "client-output-buffer-limit") ==
          "normal 1048576 524288 10 slave 1 2 3 pubsub 0 0 0");
    const std::string prefix =
        "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - ";
    CHECK(SetError(&c, {{"client-output-buffer-limit", "normal 1 2"}}) ==
          prefix + "Wrong number of arguments in buffer limit configuration.");
    CHECK(SetError(&c, {{"client-output-buffer-limit", "master 1 2 3"}}) ==
          prefix + "Invalid client class specified in buffer limit configuration.");
    CHECK(SetError(&c, {{"client-output-buffer-limit", "normal 1 2 -3"}}) ==
          prefix + "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
    // A bad second group leaves the first unapplied too.
    CHECK(SetError(&c, {{"client-output-buffer-limit", "normal 7 7 7 pubsub x 1 1"}}) ==
          prefix + "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
    CHECK(c.settings().output_normal.hard == 1024 * 1024);
  }
  SUBCASE("save") {
    Config c;
    REQUIRE(c.SetAtRuntime({{"save", "100 1 200 2"}}).ok());
    CHECK(GetOne(c, "save") == "100 1 200 2");
    // At run time a new value replaces the old one.
    REQUIRE(c.SetAtRuntime({{"save", "60 10"}}).ok());
    CHECK(GetOne(c, "save") == "60 10");
    REQUIRE(c.SetAtRuntime({{"save", ""}}).ok());
    CHECK(GetOne(c, "save").empty());
    for (const char* bad : {"1 2 3", "0 1", "10 x", "10 -1"}) {
      CAPTURE(bad);
      CHECK(SetError("save", bad) ==
            "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save "
            "parameters");
    }
    CHECK(LoadError("save 1") == "Invalid save parameters");
  }
  SUBCASE("daemonize") {
    Config c;
    REQUIRE(c.LoadString("daemonize no\n").ok());
    CHECK(GetOne(c, "daemonize") == "no");
    CHECK_FALSE(c.settings().daemonize);
    REQUIRE(c.LoadString("daemonize yes\n").ok());
    CHECK(GetOne(c, "daemonize") == "yes");
    CHECK(c.settings().daemonize);
    CHECK(LoadError("daemonize maybe") == "argument must be 'yes' or 'no'");
    CHECK(SetError("daemonize", "no") ==
          "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set "
          "immutable config");
  }
}

TEST_CASE("CONFIG GET globs") {
  Config c;
  Pairs got = c.Get("max*");
  std::vector<std::string> names;
  for (const auto& [name, value] : got) names.push_back(name);
  CHECK(names == std::vector<std::string>{"maxclients", "maxkeys", "maxmemory", "maxmemory-policy",
                                          "maxmemory-samples", "maxmemory-eviction-tenacity",
                                          "maxmemory-clients"});

  // Redis 7.0's 192 options and PyKV's 6 own ones.
  CHECK(c.Get("*").size() == 198);
  CHECK(c.Get("*max-len").size() == 2);  // slowlog-max-len, acllog-max-len
  CHECK(c.Get("hz") == Pairs{{"hz", "10"}});
  CHECK(c.Get("H?") == Pairs{{"hz", "10"}});
  CHECK(c.Get("append[of]*").size() == 3);
  // Redis 7.0 echoes an exact name back as the client spelled it.
  CHECK(c.Get("MAXMEMORY") == Pairs{{"MAXMEMORY", "0"}});
  CHECK(c.Get("MAX*").size() == 7);
  CHECK(c.Get("nosuch").empty());
  CHECK(c.Get("nosuch*").empty());
}

TEST_CASE("CONFIG SET: error texts, precedence, atomicity") {
  Config c;
  REQUIRE(c.SetAtRuntime({}).ok());
  CHECK(SetError(&c, {{"foo", "bar"}}) ==
        "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
  CHECK(SetError(&c, {{"hz", "20"}, {"foo", "2"}}) ==
        "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
  CHECK(SetError(&c, {{"port", "x"}}) ==
        "ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be "
        "parsed into an integer");
  for (const char* name : {"port-file", "http-port-file", "tcp-backlog", "logfile", "pidfile",
                           "appenddirname", "appendfilename", "daemonize"}) {
    CAPTURE(name);
    CHECK(SetError(&c, {{name, "x"}}).ends_with("can't set immutable config"));
  }
  CHECK(SetError(&c, {{"dir", "/tmp"}}) ==
        "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config");
  // The first problem wins, as in Redis.
  CHECK(SetError(&c, {{"daemonize", "no"}, {"foo", "2"}}).ends_with("can't set immutable config"));
  CHECK(SetError(&c, {{"foo", "2"}, {"daemonize", "no"}}) ==
        "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
  // Duplicates are reported with the name as given; value errors with the option's name.
  CHECK(SetError(&c, {{"hz", "5"}, {"HZ", "6"}}) ==
        "ERR CONFIG SET failed (possibly related to argument 'HZ') - duplicate parameter");
  CHECK(SetError(&c, {{"HZ", "x"}}) ==
        "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be "
        "parsed into an integer");

  // One bad pair: nothing changes, not even the valid pairs before it.
  CHECK(SetError(&c, {{"hz", "20"}, {"maxmemory", "1gb"}, {"appendonly", "maybe"}})
            .ends_with("argument must be 'yes' or 'no'"));
  CHECK(c.settings().hz == 10);
  CHECK(c.settings().maxmemory == 0);
  CHECK(SetError(&c, {{"hz", "20"}, {"port-file", "1"}}).ends_with("can't set immutable config"));
  CHECK(c.settings().hz == 10);

  REQUIRE(c.SetAtRuntime({{"hz", "20"}, {"MaxMemory", "1gb"}, {"appendonly", "yes"}}).ok());
  CHECK(c.settings().hz == 20);
  CHECK(c.settings().maxmemory == 1024ull * 1024 * 1024);
  CHECK(c.settings().appendonly);
}

TEST_CASE("CONFIG SET calls on_change for each option whose value changed") {
  Config c;
  std::vector<std::string> changed;
  c.set_on_change([&changed](std::string_view name) { changed.emplace_back(name); });
  REQUIRE(c.SetAtRuntime({{"HZ", "20"}, {"maxmemory", "0"}, {"loglevel", "debug"}}).ok());
  // maxmemory was already 0; names are the canonical ones, in the order given.
  CHECK(changed == std::vector<std::string>{"hz", "loglevel"});
  changed.clear();
  CHECK_FALSE(c.SetAtRuntime({{"timeout", "5"}, {"hz", "-1"}}).ok());
  CHECK(changed.empty());
  // Loading files is start-up, not a change notification.
  REQUIRE(c.LoadString("hz 30\n").ok());
  CHECK(changed.empty());
}

TEST_CASE("CONFIG REWRITE") {
  SUBCASE("without a config file") {
    Config c;
    const Status st = c.Rewrite();
    REQUIRE_FALSE(st.ok());
    CHECK(st.code() == Status::Code::kInvalid);
    CHECK(st.message() == "ERR The server is running without a config file");
  }
  SUBCASE("round trip keeps comments, unknown lines and order") {
    TempDir dir;
    const std::string inc = dir.File("inc.conf");
    WriteFile(inc, "# included\n");
    const std::string file = dir.File("pykv.conf");
    WriteFile(file,
              "# top comment\n"
              "port 7000\n"
              "\n"
              "# hz comment\n"
              "hz 10\n"
              "HZ 11\n"
              "include " +
                  inc +
                  "\n"
                  "client-output-buffer-limit pubsub 64mb 16mb 90\n"
                  "requirepass old\n"
                  "# tail comment\n");
    ::chmod(file.c_str(), 0640);
    Config c;
    REQUIRE(c.LoadFile(file).ok());
    REQUIRE(c.settings().hz == 11);
    REQUIRE(c.SetAtRuntime({{"hz", "20"},
                            {"maxmemory", "3gb"},
                            {"client-output-buffer-limit", "normal 1mb 0 0"},
                            {"maxmemory-policy", "allkeys-lru"},
                            {"requirepass", "new \"quoted\" pass"},
                            {"save", "3600 1"}})
                .ok());
    REQUIRE(c.Rewrite().ok());
    CHECK(ReadFile(file) ==
          "# top comment\n"
          "port 7000\n"
          "\n"
          "# hz comment\n"
          "hz 20\n"
          "include " +
              inc +
              "\n"
              "client-output-buffer-limit normal 1mb 0 0\n"
              "requirepass \"new \\\"quoted\\\" pass\"\n"
              "# tail comment\n"
              "# Generated by CONFIG REWRITE\n"
              "maxmemory 3gb\n"
              "maxmemory-policy allkeys-lru\n"
              "client-output-buffer-limit pubsub 64mb 16mb 90\n"
              "save 3600 1\n");
    struct stat st;
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0640);
    // No temporary file is left behind.
    int entries = 0;
    for (const auto& e : fs::directory_iterator(fs::path(file).parent_path())) {
      (void)e;
      ++entries;
    }
    CHECK(entries == 2);

    Config reloaded;
    REQUIRE(reloaded.LoadFile(file).ok());
    CHECK(reloaded.Get("*") == c.Get("*"));

    // A second rewrite with nothing changed is a fixed point (signature not repeated).
    const std::string before = ReadFile(file);
    REQUIRE(reloaded.Rewrite().ok());
    CHECK(ReadFile(file) == before);

    // Setting back to the default keeps the line where it was.
    REQUIRE(reloaded.SetAtRuntime({{"maxmemory", "0"}}).ok());
    REQUIRE(reloaded.Rewrite().ok());
    CHECK(ReadFile(file).find("\nmaxmemory 0\n") != std::string::npos);
  }
  SUBCASE("every option survives a rewrite") {
    TempDir dir;
    const std::string file = dir.File("all.conf");
    WriteFile(file, "");
    Config c;
    REQUIRE(c.LoadFile(file).ok());
    REQUIRE(c.LoadString("bind \"\"\nport 0\nport-file \"p f\"\ntcp-backlog 7\n"
                         "logfile \"tab\\there\"\npidfile x\nappenddirname d\n"
                         "appendfilename f\ndir /tmp\n")
                .ok());
    REQUIRE(c.SetAtRuntime({{"maxclients", "7"},
                            {"timeout", "7"},
                            {"tcp-keepalive", "7"},
                            {"protected-mode", "no"},
                            {"requirepass", "\xff\x01"},
                            {"loglevel", "warning"},
                            {"hz", "7"},
                            {"maxkeys", "7"},
                            {"maxmemory", "1000"},
                            {"maxmemory-policy", "volatile-ttl"},
                            {"proto-max-bulk-len", "2mb"},
                            {"client-query-buffer-limit", "3000000"},
                            {"client-output-buffer-limit", "normal 1 2 3 slave 4 5 6 pubsub 7 8 9"},
                            {"slowlog-log-slower-than", "-1"},
                            {"slowlog-max-len", "7"},
                            {"latency-monitor-threshold", "7"},
                            {"appendonly", "yes"},
                            {"appendfsync", "no"},
                            {"auto-aof-rewrite-percentage", "7"},
                            {"auto-aof-rewrite-min-size", "7kb"},
                            {"aof-load-truncated", "no"},
                            {"save", "1 2 3 4"}})
                .ok());
    REQUIRE(c.Rewrite().ok());
    Config reloaded;
    const Status st = reloaded.LoadFile(file);
    REQUIRE_MESSAGE(st.ok(), st.message());
    CHECK(reloaded.Get("*") == c.Get("*"));
    CHECK(reloaded.settings().requirepass == "\xff\x01");
    CHECK(reloaded.settings().bind.empty());
  }
  SUBCASE("a deleted file is written afresh") {
    TempDir dir;
    const std::string file = dir.File("gone.conf");
    WriteFile(file, "hz 12\n");
    Config c;
    REQUIRE(c.LoadFile(file).ok());
    fs::remove(file);
    REQUIRE(c.Rewrite().ok());
    CHECK(ReadFile(file) == "# Generated by CONFIG REWRITE\nhz 12\n");
  }
}

TEST_CASE("conf/pykv.conf loads and documents every option PyKV acts on") {
  const std::string path = ConfPath();
  Config c;
  const Status st = c.LoadFile(path);
  REQUIRE_MESSAGE(st.ok(), st.message());
  const Settings& s = c.settings();
  CHECK(s.appendonly);
  CHECK(s.port == 6379);
  CHECK(s.bind == std::vector<std::string>{"127.0.0.1", "-::1"});
  CHECK(s.dir == ".");
  CHECK(s.loglevel == "notice");
  CHECK(s.logfile.empty());

  // Apart from appendonly and http-port, the shipped file states the defaults.
  CHECK(s.http_port == 8080);
  Config defaults;
  REQUIRE(defaults.SetAtRuntime({{"appendonly", "yes"}, {"http-port", "8080"}}).ok());
  CHECK(c.Get("*") == defaults.Get("*"));

  std::set<std::string> in_file;
  std::istringstream lines(ReadFile(path));
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    in_file.insert(line.substr(0, line.find(' ')));
  }
  // Options PyKV only accepts (or will act on with replication) are documented as
  // comments, so that the shipped file triggers no start-up notice.
  for (const auto& [name, value] : c.Get("*")) {
    CAPTURE(name);
    if (Config::HasEffect(name)) CHECK(in_file.count(name) == 1);
  }
  CHECK(c.StartupNotices().empty());
}

}  // namespace
}  // namespace pykv::server
