// The connection family: PING, ECHO, QUIT, HELLO, AUTH, SELECT, RESET and CLIENT. These act
// on the calling client's own state; server-wide facts (the client list, pausing) come
// from the ServerContext.
#include <spdlog/spdlog.h>

#include <string>

#include "commands/arg_cursor.h"
#include "commands/context.h"
#include "commands/dispatcher.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "common/numbers.h"

namespace pykv::cmd {

namespace {

// Reported to clients that check the server version to pick features.
constexpr const char* kRedisCompatVersion = "7.0.15";

void PingCommand(CommandContext& ctx) {
  if (ctx.args.size() > 2) {
    ctx.reply.Error(err::WrongArgs("ping"));
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

// POST and "Host:" are not commands: they are what a browser sends when a web page makes it
// talk HTTP to this port (cross-protocol scripting). The lines after them would run as
// commands, so, as Redis does, the connection is dropped at once, unanswered, and the
// attempt logged at most once a minute so an attacker cannot flood the log.
void CrossProtocolAttackCommand(CommandContext& ctx) {
  static int64_t last_logged_ms = -1;  // loop thread only
  if (last_logged_ms < 0 || ctx.now_ms() - last_logged_ms > 60'000) {
    spdlog::warn(
        "Possible SECURITY ATTACK detected from {}: it sent POST or Host: (HTTP) to this port, "
        "which is how a web page would try to run commands here (cross protocol scripting). "
        "Connection aborted.",
        ctx.client.addr);
    last_logged_ms = ctx.now_ms();
  }
  ctx.client.close_after_reply = true;
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
    return;
  }
  ctx.client.authenticated = true;
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
  if (authed_here) ctx.client.authenticated = true;
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
  ctx.reply.Bulk(ctx.server.IsReadonlyReplica() ? "replica" : "master");
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

Command Sub(const char* name, int arity, uint32_t flags, Handler h, const char* summary,
            const char* since) {
  return MakeCommand(name, arity, flags, {}, h, "connection", summary, since);
}

}  // namespace

void RegisterConnectionCommands(CommandTable* t) {
  constexpr uint32_t kConn = kFast | kLoadingOk | kStaleOk;
  t->Register(MakeCommand("ping", -1, kConn | kPubsubOk, {}, PingCommand, "connection",
                          "Returns the server's liveliness response.", "1.0.0"));
  t->Register(MakeCommand("echo", 2, kConn, {}, EchoCommand, "connection",
                          "Returns the given string.", "1.0.0"));
  t->Register(MakeCommand("quit", -1, kConn | kNoAuth | kPubsubOk, {}, QuitCommand, "connection",
                          "Closes the connection.", "1.0.0"));
  for (const char* name : {"post", "host:"}) {
    t->Register(MakeCommand(name, -1, kLoadingOk | kStaleOk | kNoAuth | kPubsubOk, {},
                            CrossProtocolAttackCommand, "connection",
                            "Helps protect against cross-protocol attacks.", "2.8.0"));
  }
  t->Register(MakeCommand("auth", -2, kConn | kNoAuth, {}, AuthCommand, "connection",
                          "Authenticates the connection.", "1.0.0", "O(N)"));
  t->Register(MakeCommand("hello", -1, kConn | kNoAuth, {}, HelloCommand, "connection",
                          "Handshakes with the Redis server.", "6.0.0"));
  t->Register(MakeCommand("select", 2, kConn, {}, SelectCommand, "connection",
                          "Changes the selected database.", "1.0.0"));
  t->Register(MakeCommand("reset", 1, kConn | kNoAuth | kPubsubOk, {}, ResetCommand, "connection",
                          "Resets the connection.", "6.2.0"));

  Command client =
      MakeCommand("client", -2, kStaleOk | kLoadingOk, {}, ClientContainerCommand, "connection",
                  "A container for client connection commands.", "2.4.0", "Depends on subcommand.");
  client.subcommands = {
      Sub("client|id", 2, kConn, ClientIdCommand, "Returns the unique client ID of the connection.",
          "5.0.0"),
      Sub("client|setname", 3, kConn, ClientSetnameCommand, "Sets the connection name.", "2.6.9"),
      Sub("client|getname", 2, kConn, ClientGetnameCommand, "Returns the name of the connection.",
          "2.6.9"),
      Sub("client|setinfo", 4, kConn, ClientSetinfoCommand,
          "Sets information specific to the client or connection.", "7.2.0"),
      Sub("client|list", -2, kAdmin | kLoadingOk | kStaleOk, ClientListCommand,
          "Lists open connections.", "2.4.0"),
      Sub("client|info", 2, kConn, ClientInfoCommand, "Returns information about the connection.",
          "6.2.0"),
      Sub("client|kill", -3, kAdmin | kLoadingOk | kStaleOk, ClientKillCommand,
          "Terminates open connections.", "2.4.0"),
      Sub("client|reply", 3, kConn, ClientReplyCommand,
          "Instructs the server whether to reply to commands.", "3.2.0"),
      Sub("client|pause", -3, kAdmin | kConn, ClientPauseCommand, "Suspends commands processing.",
          "3.0.0"),
      Sub("client|unpause", 2, kAdmin | kConn, ClientUnpauseCommand,
          "Resumes processing commands from paused clients.", "6.2.0"),
      Sub("client|no-evict", 3, kAdmin | kConn, ClientNoEvictCommand,
          "Sets the client eviction mode of the connection.", "7.0.0"),
      Sub("client|help", 2, kConn, ClientHelpCommand,
          "Returns helpful text about the different subcommands.", "5.0.0"),
  };
  t->Register(std::move(client));
}

}  // namespace pykv::cmd
