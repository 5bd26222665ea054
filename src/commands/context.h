// CommandContext: everything a handler may use while it runs: its arguments, the calling
// client, a reply writer, the keyspace and the server's facts. A handler parses, acts,
// replies, and reports whether it changed data; it never decides where the change goes:
// the dispatcher propagates it (DESIGN.md "One write path"). Loop thread only; lives for
// one call.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "commands/client_state.h"
#include "commands/command.h"
#include "commands/server_context.h"
#include "resp/reply_writer.h"
#include "store/keyspace.h"

namespace pykv::cmd {

class Dispatcher;

class CommandContext {
 public:
  CommandContext(Args args, const Command& command, ClientState& client, resp::ReplyWriter& reply,
                 store::Keyspace& keyspace, ServerContext& server, Dispatcher& dispatcher,
                 int64_t now_ms)
      : args(args),
        command(command),
        client(client),
        reply(reply),
        keyspace(keyspace),
        server(server),
        dispatcher(dispatcher),
        now_ms_(now_ms) {}

  Args args;
  const Command& command;
  ClientState& client;
  resp::ReplyWriter& reply;
  store::Keyspace& keyspace;
  ServerContext& server;
  Dispatcher& dispatcher;

  // Time frozen at the start of the call, so one command sees one "now".
  int64_t now_ms() const { return now_ms_; }

  // The command changed data. Unless PropagateAs() was called, it is propagated exactly
  // as received.
  void MarkDirty(uint64_t changes = 1) { dirty_ += changes; }
  // Propagate this replayable form instead (may be called several times: each call adds
  // one command, in order). Implies MarkDirty().
  void PropagateAs(std::vector<std::string> argv) {
    rewrites_.push_back(std::move(argv));
    if (dirty_ == 0) dirty_ = 1;
  }
  void PropagateAs(std::initializer_list<std::string_view> argv) {
    PropagateAs(std::vector<std::string>(argv.begin(), argv.end()));
  }

  // Argument i is a secret (a password): SLOWLOG and MONITOR show "(redacted)" instead,
  // as Redis's redactClientCommandArgument does.
  void Redact(size_t i) { redacted_.push_back(i); }
  const std::vector<size_t>& redacted() const { return redacted_; }
  // Running as part of EXEC (MONITOR refuses: its replies cannot go inside EXEC's).
  bool in_exec() const { return in_exec_; }
  void set_in_exec(bool on) { in_exec_ = on; }

  uint64_t dirty() const { return dirty_; }
  const std::vector<std::vector<std::string>>& rewrites() const { return rewrites_; }

 private:
  int64_t now_ms_;
  uint64_t dirty_ = 0;
  bool in_exec_ = false;
  std::vector<std::vector<std::string>> rewrites_;
  std::vector<size_t> redacted_;
};

}  // namespace pykv::cmd
