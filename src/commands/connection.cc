// The connection family: PING, ECHO, QUIT, HELLO, AUTH, SELECT, RESET and CLIENT. These act
// on the calling client's own state; server-wide facts (the client list, pausing) come
// from the ServerContext.
#include <string>

#include "commands/arg_cursor.h"
#include "commands/context.h"
#include "commands/dispatcher.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/pubsub_host.h"
#include "commands/replication_host.h"
#include "common/numbers.h"

namespace pykv::cmd {

namespace {

// Reported to clients that check the server version to pick features.
constexpr const char* kRedisCompatVersion = "7.0.15";

void PingCommand(CommandContext& ctx) {
  if (ctx.args.size() > 2) {
    ctx.reply.Error(err::WrongArgs("ping"));
  } else if (ctx.client.in_pubsub() && ctx.client.resp == 2) {
    // A subscribed RESP2 client reads every reply as a message: Redis answers in that shape.
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("pong");
    ctx.reply.Bulk(ctx.args.size() == 2 ? ctx.args[1] : std::string_view());
  } else if (ctx.args.size() == 2) {
    ctx.reply.Bulk(ctx.args[1]);
  } else {
    ctx.reply.Simple("PONG");
  }
}

void EchoCommand(CommandContext& ctx) {
  ctx.reply.Bulk(ctx.args[1]);
}

void QuitCommand(CommandContext& ctx) {
  ctx.client.close_after_reply = true;
  ctx.reply.Ok();
}

// Checks a password for the default user (PyKV has no ACL users yet).
bool CheckPassword(CommandContext& ctx, std::string_view user, std::string_view pass) {
  const std::string& required = ctx.server.RequirePass();
  if (user != "default") return false;
  if (required.empty()) return true;
  return pass == required;
}

void AuthCommand(CommandContext& ctx) {
  for (size_t i = 1; i < ctx.args.size(); ++i) ctx.Redact(i);
  if (ctx.args.size() > 3) {
    ctx.reply.Error(err::kSyntax);
    return;
  }
  std::string_view user = ctx.args.size() == 3 ? ctx.args[1] : "default";
  std::string_view pass = ctx.args.back();
  if (ctx.args.size() == 2 && ctx.server.RequirePass().empty()) {
    ctx.reply.Error(
        "ERR AUTH <password> called without any password configured for the default user. "
        "Are you sure your configuration is correct?");
    return;
  }
  if (!CheckPassword(ctx, user, pass)) {
    ctx.reply.Error(err::kWrongPass);
    ctx.dispatcher.RecordAuthFailure(ctx.client);
    return;
  }
  ctx.client.authenticated = true;
  ctx.dispatcher.RecordAuthSuccess(ctx.client);
  ctx.reply.Ok();
}

bool ValidClientName(std::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') return false;  // Redis allows printable non-space ASCII only
  }
  return true;
}

void HelloCommand(CommandContext& ctx) {
  int64_t version = ctx.client.resp;
  size_t next = 1;
  if (ctx.args.size() >= 2) {
    if (!ParseInt64(ctx.args[1], &version)) {
      ctx.reply.Error("ERR Protocol version is not an integer or out of range");
      return;
    }
    next = 2;
    if (version < 2 || version > 3) {
      ctx.reply.Error("NOPROTO unsupported protocol version");
      return;
    }
  }
  std::string_view setname;
  bool has_setname = false;
  bool authed_here = false;
  for (size_t i = next; i < ctx.args.size(); ++i) {
    size_t left = ctx.args.size() - i - 1;
    if (EqualsIgnoreCase(ctx.args[i], "AUTH") && left >= 2) {
      ctx.Redact(i + 1);
      ctx.Redact(i + 2);
      if (!CheckPassword(ctx, ctx.args[i + 1], ctx.args[i + 2])) {
        ctx.reply.Error(err::kWrongPass);
        ctx.dispatcher.RecordAuthFailure(ctx.client);
        return;
      }
      authed_here = true;
      i += 2;
    } else if (EqualsIgnoreCase(ctx.args[i], "SETNAME") && left >= 1) {
      setname = ctx.args[++i];
      if (!ValidClientName(setname)) {
        ctx.reply.Error("ERR Client names cannot contain spaces, newlines or special characters.");
        return;
      }
      has_setname = true;
    } else {
      ctx.reply.Error("ERR Syntax error in HELLO option '" + std::string(ctx.args[i]) + "'");
      return;
    }
  }
  if (!ctx.client.authenticated && !authed_here) {
    ctx.reply.Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO AUTH <user> <pass> option can be used to authenticate the client and "
        "select the RESP protocol version at the same time");
    return;
  }
  if (authed_here) {
    ctx.client.authenticated = true;
    ctx.dispatcher.RecordAuthSuccess(ctx.client);
  }
  if (has_setname) ctx.client.name = std::string(setname);
  ctx.client.resp = static_cast<int>(version);
  ctx.reply.set_protocol(ctx.client.resp);

  ctx.reply.MapHeader(7);
  ctx.reply.Bulk("server");
  ctx.reply.Bulk("redis");
  ctx.reply.Bulk("version");
  ctx.reply.Bulk(kRedisCompatVersion);
  ctx.reply.Bulk("proto");
  ctx.reply.Integer(version);
  ctx.reply.Bulk("id");
  ctx.reply.Integer(static_cast<int64_t>(ctx.client.id));
  ctx.reply.Bulk("mode");
  ctx.reply.Bulk("standalone");
  ctx.reply.Bulk("role");
  ctx.reply.Bulk(ctx.server.replication().IsReplica() ? "replica" : "master");
  ctx.reply.Bulk("modules");
  ctx.reply.ArrayHeader(0);
}

void SelectCommand(CommandContext& ctx) {
  int64_t index;
  if (!ParseInt64(ctx.args[1], &index)) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  if (index != 0) {
    ctx.reply.Error(err::kDbIndex);
    return;
  }
  ctx.reply.Ok();
}

void ResetCommand(CommandContext& ctx) {
  ClientState& c = ctx.client;
  c.ClearTransaction();
  ctx.dispatcher.UnwatchAll(c);
  if (c.monitor) ctx.server.RemoveMonitor(c);
  if (c.in_pubsub()) ctx.server.pubsub().UnsubscribeAll(c);
  c.reply_mode = ReplyMode::kOn;
  ctx.reply.set_output(c.socket_output);
  c.resp = 2;
  ctx.reply.set_protocol(2);
  c.no_evict = false;
  c.name.clear();
  c.authenticated = ctx.server.RequirePass().empty();
  ctx.reply.Simple("RESET");
}

// ---- CLIENT ----

void ClientIdCommand(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.client.id));
}

void ClientSetnameCommand(CommandContext& ctx) {
  if (!ValidClientName(ctx.args[2])) {
    ctx.reply.Error("ERR Client names cannot contain spaces, newlines or special characters.");
    return;
  }
  ctx.client.name = std::string(ctx.args[2]);
  ctx.reply.Ok();
}

void ClientGetnameCommand(CommandContext& ctx) {
  if (ctx.client.name.empty()) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(ctx.client.name);
  }
}

void ClientSetinfoCommand(CommandContext& ctx) {
  std::string_view attr = ctx.args[2];
  std::string_view value = ctx.args[3];
  for (char c : value) {
    if (c < '!' || c > '~') {
      ctx.reply.Error("ERR " + std::string(attr) +
                      " cannot contain spaces, newlines or special characters.");
      return;
    }
  }
  if (EqualsIgnoreCase(attr, "LIB-NAME")) {
    ctx.client.lib_name = std::string(value);
  } else if (EqualsIgnoreCase(attr, "LIB-VER")) {
    ctx.client.lib_ver = std::string(value);
  } else {
    ctx.reply.Error("ERR Unrecognized option '" + std::string(attr) + "'");
    return;
  }
  ctx.reply.Ok();
}

// "TYPE t" of CLIENT LIST and KILL; false (and the error replied) for an unknown type.
bool ParseClientType(CommandContext& ctx, std::string_view name, ClientFilter* f) {
  std::string t = ToLower(name);
  if (t != "normal" && t != "master" && t != "replica" && t != "slave" && t != "pubsub") {
    ctx.reply.Error("ERR Unknown client type '" + t + "'");
    return false;
  }
  f->type = t == "slave" ? "replica" : t;
  return true;
}

// CLIENT KILL's filters: ID, TYPE, ADDR, LADDR, USER, SKIPME, combined.
bool ParseKillFilter(CommandContext& ctx, ClientFilter* f) {
  ArgCursor cur(ctx.args, 2);
  f->caller_id = ctx.client.id;
  while (!cur.done()) {
    if (cur.remaining() < 2) {
      ctx.reply.Error(err::kSyntax);
      return false;
    }
    if (cur.Accept("ID")) {
      int64_t id;
      if (!cur.NextInt64(&id) || id <= 0) {
        ctx.reply.Error("ERR client-id should be greater than 0");
        return false;
      }
      f->ids.emplace().push_back(static_cast<uint64_t>(id));
    } else if (cur.Accept("TYPE")) {
      if (!ParseClientType(ctx, cur.Next(), f)) return false;
    } else if (cur.Accept("ADDR")) {
      f->addr = std::string(cur.Next());
    } else if (cur.Accept("LADDR")) {
      f->laddr = std::string(cur.Next());
    } else if (cur.Accept("USER")) {
      std::string user(cur.Next());
      if (user != "default") {  // the only user there is
        ctx.reply.Error("ERR No such user '" + user + "'");
        return false;
      }
      f->user = std::move(user);
    } else if (cur.Accept("SKIPME")) {
      std::string_view v = cur.Next();
      if (EqualsIgnoreCase(v, "yes")) {
        f->skipme = true;
      } else if (EqualsIgnoreCase(v, "no")) {
        f->skipme = false;
      } else {
        ctx.reply.Error(err::kSyntax);
        return false;
      }
    } else {
      ctx.reply.Error(err::kSyntax);
      return false;
    }
  }
  return true;
}

// CLIENT LIST [TYPE t | ID id [id ...]]: one filter or none, as in Redis 7.0. IDs that
// name no client (0, -1, gone) simply list nothing.
void ClientListCommand(CommandContext& ctx) {
  ClientFilter f;
  f.skipme = false;
  f.caller_id = ctx.client.id;
  const size_t argc = ctx.args.size();
  if (argc == 4 && EqualsIgnoreCase(ctx.args[2], "TYPE")) {
    if (!ParseClientType(ctx, ctx.args[3], &f)) return;
  } else if (argc > 3 && EqualsIgnoreCase(ctx.args[2], "ID")) {
    f.ids.emplace();
    for (size_t i = 3; i < argc; ++i) {
      int64_t id;
      if (!ParseInt64(ctx.args[i], &id)) {
        ctx.reply.Error("ERR Invalid client ID");
        return;
      }
      if (id > 0) f.ids->push_back(static_cast<uint64_t>(id));
    }
  } else if (argc != 2) {
    ctx.reply.Error(err::kSyntax);
    return;
  }
  ctx.reply.Verbatim(ctx.server.ClientList(f));
}

void ClientInfoCommand(CommandContext& ctx) {
  ctx.reply.Verbatim(ctx.server.ClientInfo(ctx.client));
}

void ClientKillCommand(CommandContext& ctx) {
  ClientFilter f;
  if (ctx.args.size() == 3) {  // old form: CLIENT KILL addr:port
    f.addr = std::string(ctx.args[2]);
    f.skipme = false;
    f.caller_id = ctx.client.id;
    if (ctx.server.KillClients(f) == 0) {
      ctx.reply.Error("ERR No such client");
    } else {
      ctx.reply.Ok();
    }
    return;
  }
  if (!ParseKillFilter(ctx, &f)) return;
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.KillClients(f)));
}

void ClientReplyCommand(CommandContext& ctx) {
  std::string_view mode = ctx.args[2];
  if (EqualsIgnoreCase(mode, "ON")) {
    ctx.client.reply_mode = ReplyMode::kOn;
    ctx.reply.set_output(ctx.client.socket_output);
    ctx.reply.Ok();
  } else if (EqualsIgnoreCase(mode, "OFF")) {
    ctx.client.reply_mode = ReplyMode::kOff;
    ctx.reply.set_output(nullptr);
  } else if (EqualsIgnoreCase(mode, "SKIP")) {
    // The session turns "skip next" into "skip this" for the following command.
    if (ctx.client.reply_mode != ReplyMode::kOff) ctx.client.reply_mode = ReplyMode::kSkipNext;
    ctx.reply.set_output(nullptr);
  } else {
    ctx.reply.Error(err::kSyntax);
  }
}

void ClientPauseCommand(CommandContext& ctx) {
  if (ctx.args.size() > 4) {
    ctx.reply.Error(err::SubcommandSyntax(ctx.args));
    return;
  }
  int64_t ms;
  if (!ParseInt64(ctx.args[2], &ms)) {
    ctx.reply.Error("ERR timeout is not an integer or out of range");
    return;
  }
  if (ms < 0) {
    ctx.reply.Error("ERR timeout is negative");
    return;
  }
  bool writes_only = false;
  if (ctx.args.size() == 4) {
    if (EqualsIgnoreCase(ctx.args[3], "WRITE")) {
      writes_only = true;
    } else if (!EqualsIgnoreCase(ctx.args[3], "ALL")) {
      ctx.reply.Error("ERR CLIENT PAUSE mode must be WRITE or ALL");
      return;
    }
  }
  ctx.server.PauseClients(ctx.now_ms() + ms, writes_only);
  ctx.reply.Ok();
}

void ClientUnpauseCommand(CommandContext& ctx) {
  ctx.server.UnpauseClients();
  ctx.reply.Ok();
}

void ClientNoEvictCommand(CommandContext& ctx) {
  if (EqualsIgnoreCase(ctx.args[2], "ON")) {
    ctx.client.no_evict = true;
  } else if (EqualsIgnoreCase(ctx.args[2], "OFF")) {
    ctx.client.no_evict = false;
  } else {
    ctx.reply.Error(err::kSyntax);
    return;
  }
  ctx.reply.Ok();
}

void ClientHelpCommand(CommandContext& ctx) {
  static const char* const kLines[] = {
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GETNAME",
      "    Return the name of the current connection.",
      "ID",
      "    Return the ID of the current connection.",
      "INFO",
      "    Return information about the current client connection.",
      "KILL <ip:port>",
      "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are:",
      "    * ADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made from the specified address",
      "    * LADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made to specified local address",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Kill connections by type.",
      "    * USER <username>",
      "      Kill connections authenticated by <username>.",
      "    * SKIPME (YES|NO)",
      "      Skip killing current connection (default: yes).",
      "    * ID <client-id>",
      "      Kill connections by client id.",
      "LIST [options ...]",
      "    Return information about client connections. Options:",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Return clients of specified type.",
      "UNPAUSE",
      "    Stop the current client pause, resuming traffic.",
      "PAUSE <timeout> [WRITE|ALL]",
      "    Suspend all, or just write, clients for <timeout> milliseconds.",
      "REPLY (ON|OFF|SKIP)",
      "    Control the replies sent to the current connection.",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "SETINFO <LIB-NAME|LIB-VER> <value>",
      "    Set client meta attributes.",
      "NO-EVICT (ON|OFF)",
      "    Protect current client connection from eviction.",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.reply.Simple(l);
}

void ClientContainerCommand(CommandContext& ctx) {
  // Reached only for "CLIENT" alone (arity); subcommands dispatch to their own handlers.
  ctx.reply.Error(err::WrongArgs("client"));
}

Command Make(const char* name, int arity, uint32_t flags, Handler h, const char* summary,
             const char* since, const char* complexity = "O(1)") {
  return MakeCommand(name, arity, flags, {}, h, "connection", summary, since, complexity);
}

}  // namespace

void RegisterConnectionCommands(CommandTable* t) {
  t->Register(Make("ping", -1, kLoadingOk | kStaleOk | kFast | kReportsDiskError | kPubSubContext,
                   PingCommand, "Ping the server", "1.0.0")
                  .WithTips({"request_policy:all_shards", "response_policy:all_succeeded"})
                  .WithArgs({arg::String("message").Optional()}));
  t->Register(
      Make("echo", 2, kLoadingOk | kStaleOk | kFast, EchoCommand, "Echo the given string", "1.0.0")
          .WithArgs({arg::String("message")}));
  t->Register(Make("quit", -1,
                   kNoScript | kLoadingOk | kStaleOk | kFast | kNoAuth | kAllowBusy | kTxnControl |
                       kPubSubContext,
                   QuitCommand, "Close the connection", "1.0.0"));
  t->Register(
      Make("auth", -2, kNoScript | kLoadingOk | kStaleOk | kFast | kNoAuth | kAllowBusy,
           AuthCommand, "Authenticate to the server", "1.0.0",
           "O(N) where N is the number of passwords defined for the user")
          .WithHistory({{"6.0.0", "Added ACL style (username and password)."}})
          .WithArgs({arg::String("username").Since("6.0.0").Optional(), arg::String("password")}));
  t->Register(Make("hello", -1, kNoScript | kLoadingOk | kStaleOk | kFast | kNoAuth | kAllowBusy,
                   HelloCommand, "Handshake with Redis", "6.0.0")
                  .WithHistory({{"6.2.0",
                                 "`protover` made optional; when called without arguments the "
                                 "command reports the current connection's context."}})
                  .WithArgs({arg::Block("arguments",
                                        {arg::Integer("protover"),
                                         arg::Block("username_password", {arg::String("username"),
                                                                          arg::String("password")})
                                             .Token("AUTH")
                                             .Optional(),
                                         arg::String("clientname").Token("SETNAME").Optional()})
                                 .Optional()}));
  t->Register(Make("select", 2, kLoadingOk | kStaleOk | kFast, SelectCommand,
                   "Change the selected database for the current connection", "1.0.0")
                  .WithArgs({arg::Integer("index")}));
  t->Register(Make("reset", 1,
                   kNoScript | kLoadingOk | kStaleOk | kFast | kNoAuth | kAllowBusy | kTxnControl |
                       kPubSubContext,
                   ResetCommand, "Reset the connection", "6.2.0"));
  t->Register(
      Make("client", -2, 0, ClientContainerCommand, "A container for client connection commands",
           "2.4.0", "Depends on subcommand.")
          .WithSubcommands(
              {Make("client|id", 2, kNoScript | kLoadingOk | kStaleOk, ClientIdCommand,
                    "Returns the client ID for the current connection", "5.0.0"),
               Make("client|setname", 3, kNoScript | kLoadingOk | kStaleOk, ClientSetnameCommand,
                    "Set the current connection name", "2.6.9")
                   .WithArgs({arg::String("connection-name")}),
               Make("client|getname", 2, kNoScript | kLoadingOk | kStaleOk, ClientGetnameCommand,
                    "Get the current connection name", "2.6.9"),
               // Redis 7.2's record (7.0 lacks the command; ioredis and redis-py send it).
               Make("client|setinfo", 4, kNoScript | kLoadingOk | kStaleOk, ClientSetinfoCommand,
                    "Sets information specific to the client or connection.", "7.2.0")
                   .WithArgs({arg::OneOf("attr", {arg::String("libname").Token("LIB-NAME"),
                                                  arg::String("libver").Token("LIB-VER")})}),
               Make("client|list", -2, kAdmin | kNoScript | kLoadingOk | kStaleOk,
                    ClientListCommand, "Get the list of client connections", "2.4.0",
                    "O(N) where N is the number of client connections")
                   .WithTips({"nondeterministic_output"})
                   .WithHistory({{"2.8.12", "Added unique client `id` field."},
                                 {"5.0.0", "Added optional `TYPE` filter."},
                                 {"6.0.0", "Added `user` field."},
                                 {"6.2.0",
                                  "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the "
                                  "optional `ID` filter."},
                                 {"7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."},
                                 {"7.0.3", "Added `ssub` field."}})
                   .WithArgs(
                       {arg::OneOf(
                            "normal_master_replica_pubsub",
                            {arg::Token("normal", "NORMAL"), arg::Token("master", "MASTER"),
                             arg::Token("replica", "REPLICA"), arg::Token("pubsub", "PUBSUB")})
                            .Token("TYPE")
                            .Since("5.0.0")
                            .Optional(),
                        arg::Block("id", {arg::Integer("client-id").Multiple()})
                            .Token("ID")
                            .Since("6.2.0")
                            .Optional()}),
               Make("client|info", 2, kNoScript | kLoadingOk | kStaleOk, ClientInfoCommand,
                    "Returns information about the current client connection.", "6.2.0")
                   .WithTips({"nondeterministic_output"}),
               Make("client|kill", -3, kAdmin | kNoScript | kLoadingOk | kStaleOk,
                    ClientKillCommand, "Kill the connection of a client", "2.4.0",
                    "O(N) where N is the number of client connections")
                   .WithHistory({{"2.8.12", "Added new filter format."},
                                 {"2.8.12", "`ID` option."},
                                 {"3.2.0", "Added `master` type in for `TYPE` option."},
                                 {"5.0.0",
                                  "Replaced `slave` `TYPE` with `replica`. `slave` still supported "
                                  "for backward compatibility."},
                                 {"6.2.0", "`LADDR` option."}})
                   .WithArgs({arg::OneOf(
                       "filter",
                       {arg::String("ip:port").DeprecatedSince("2.8.12"),
                        arg::OneOf(
                            "new-format",
                            {arg::Integer("client-id").Token("ID").Since("2.8.12").Optional(),
                             arg::OneOf("normal_master_slave_pubsub",
                                        {arg::Token("normal", "NORMAL"),
                                         arg::Token("master", "MASTER").Since("3.2.0"),
                                         arg::Token("slave", "SLAVE"),
                                         arg::Token("replica", "REPLICA").Since("5.0.0"),
                                         arg::Token("pubsub", "PUBSUB")})
                                 .Token("TYPE")
                                 .Since("2.8.12")
                                 .Optional(),
                             arg::String("username").Token("USER").Optional(),
                             arg::String("ip:port").Token("ADDR").Optional(),
                             arg::String("ip:port").Token("LADDR").Since("6.2.0").Optional(),
                             arg::String("yes/no").Token("SKIPME").Optional()})
                            .Multiple()})}),
               Make("client|reply", 3, kNoScript | kLoadingOk | kStaleOk, ClientReplyCommand,
                    "Instruct the server whether to reply to commands", "3.2.0")
                   .WithArgs(
                       {arg::OneOf("on_off_skip", {arg::Token("on", "ON"), arg::Token("off", "OFF"),
                                                   arg::Token("skip", "SKIP")})}),
               Make("client|pause", -3, kAdmin | kNoScript | kLoadingOk | kStaleOk,
                    ClientPauseCommand, "Stop processing commands from clients for some time",
                    "2.9.50")
                   .WithHistory(
                       {{"6.2.0", "`CLIENT PAUSE WRITE` mode added along with the `mode` option."}})
                   .WithArgs(
                       {arg::Integer("timeout"),
                        arg::OneOf("mode", {arg::Token("write", "WRITE"), arg::Token("all", "ALL")})
                            .Since("6.2.0")
                            .Optional()}),
               Make("client|unpause", 2, kAdmin | kNoScript | kLoadingOk | kStaleOk,
                    ClientUnpauseCommand, "Resume processing of clients that were paused", "6.2.0",
                    "O(N) Where N is the number of paused clients"),
               Make("client|no-evict", 3, kAdmin | kNoScript | kLoadingOk | kStaleOk,
                    ClientNoEvictCommand, "Set client eviction mode for the current connection",
                    "7.0.0")
                   .WithArgs(
                       {arg::OneOf("enabled", {arg::Token("on", "ON"), arg::Token("off", "OFF")})}),
               Make("client|help", 2, kLoadingOk | kStaleOk, ClientHelpCommand,
                    "Show helpful text about the different subcommands", "5.0.0")}));
}

}  // namespace pykv::cmd
