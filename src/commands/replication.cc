// The replication commands: REPLICAOF (and SLAVEOF), REPLCONF, PSYNC, SYNC, ROLE and WAIT,
// answered as Redis 7.0 answers them. The work is the server's (ReplicationHost); these
// handlers parse, check and reply.
#include <string>
#include <string_view>

#include "commands/context.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/replication_host.h"
#include "common/numbers.h"

namespace pykv::cmd {

namespace {

void ReplicaofCommand(CommandContext& ctx) {
  ReplicationHost& repl = ctx.server.replication();
  if (ctx.client.is_replica) {
    ctx.reply.Error("ERR Command is not valid when client is a replica.");
    return;
  }
  if (EqualsIgnoreCase(ctx.args[1], "no") && EqualsIgnoreCase(ctx.args[2], "one")) {
    repl.ReplicaOfNoOne(ctx.client);
    ctx.reply.Simple("OK");
    return;
  }
  int64_t port = 0;
  if (!ParseInt64(ctx.args[2], &port) || port < 0 || port > 65535) {
    ctx.reply.Error("ERR Invalid master port");
    return;
  }
  ctx.reply.Simple(repl.ReplicaOf(ctx.client, ctx.args[1], static_cast<int>(port)));
}

// REPLCONF <option> <value> ...: what a replica tells its primary before and after PSYNC.
void ReplconfCommand(CommandContext& ctx) {
  if (ctx.args.size() % 2 == 0) {
    ctx.reply.Error(err::kSyntax);
    return;
  }
  ReplicationHost& repl = ctx.server.replication();
  ClientState::ReplicaInfo& info = ctx.client.replica;
  for (size_t i = 1; i + 1 < ctx.args.size(); i += 2) {
    std::string_view opt = ctx.args[i];
    std::string_view value = ctx.args[i + 1];
    if (EqualsIgnoreCase(opt, "listening-port")) {
      int64_t port = 0;
      if (!ParseInt64(value, &port) || port < 0 || port > 65535) {
        ctx.reply.Error(err::kNotInteger);
        return;
      }
      info.listening_port = static_cast<int>(port);
    } else if (EqualsIgnoreCase(opt, "ip-address")) {
      if (value.size() >= 46) {  // NET_HOST_STR_LEN
        ctx.reply.Error("ERR REPLCONF ip-address provided by replica instance is too long: " +
                        std::to_string(value.size()) + " bytes");
        return;
      }
      info.ip_address = std::string(value);
    } else if (EqualsIgnoreCase(opt, "capa")) {
      if (EqualsIgnoreCase(value, "eof")) info.capa_eof = true;
      if (EqualsIgnoreCase(value, "psync2")) info.capa_psync2 = true;
      // Unknown capabilities are ignored, so newer replicas can talk to older primaries.
    } else if (EqualsIgnoreCase(opt, "ack") || EqualsIgnoreCase(opt, "fack")) {
      // Sent by a replica on its stream, never answered. FACK (the replica's fsynced offset,
      // Redis 7.2) is accepted and not used.
      int64_t offset = 0;
      if (EqualsIgnoreCase(opt, "ack") && ctx.client.is_replica && ParseInt64(value, &offset) &&
          offset >= 0) {
        repl.Ack(ctx.client, static_cast<uint64_t>(offset));
      }
      if (i + 2 >= ctx.args.size()) return;
    } else if (EqualsIgnoreCase(opt, "getack")) {
      // Only the stream from this server's primary may ask; the answer goes there.
      if (ctx.client.kind == ClientKind::kPrimaryLink) repl.AckToPrimaryNow();
      return;
    } else if (EqualsIgnoreCase(opt, "rdb-only")) {
      int64_t v = 0;
      if (!ParseInt64(value, &v) || (v != 0 && v != 1)) {
        ctx.reply.Error(err::kNotInteger);
        return;
      }
      if (v == 1) {
        ctx.reply.Error("ERR rdb-only is not supported: PyKV sends its own snapshot format");
        return;
      }
    } else {
      ctx.reply.Error("ERR Unrecognized REPLCONF option: " + std::string(opt));
      return;
    }
  }
  ctx.reply.Simple("OK");
}

void SyncGeneric(CommandContext& ctx, bool psync) {
  // A replica connection asking again is ignored, as Redis does.
  if (ctx.client.is_replica) return;
  std::string_view replid = psync ? ctx.args[1] : std::string_view("?");
  std::string_view offset = psync ? ctx.args[2] : std::string_view("-1");
  Status st = ctx.server.replication().Sync(ctx.client, replid, offset, psync);
  if (!st.ok()) ctx.reply.Error(st.message());
}

void PsyncCommand(CommandContext& ctx) {
  SyncGeneric(ctx, true);
}

void SyncCommand(CommandContext& ctx) {
  SyncGeneric(ctx, false);
}

void RoleCommand(CommandContext& ctx) {
  const RoleInfo role = ctx.server.replication().Role();
  if (!role.replica) {
    ctx.reply.ArrayHeader(3);
    ctx.reply.Bulk("master");
    ctx.reply.Integer(role.offset);
    ctx.reply.ArrayHeader(role.replicas.size());
    for (const RoleInfo::Replica& r : role.replicas) {
      ctx.reply.ArrayHeader(3);
      ctx.reply.Bulk(r.ip);
      ctx.reply.Bulk(std::to_string(r.port));
      ctx.reply.Bulk(std::to_string(r.offset));
    }
    return;
  }
  ctx.reply.ArrayHeader(5);
  ctx.reply.Bulk("slave");
  ctx.reply.Bulk(role.primary_host);
  ctx.reply.Integer(role.primary_port);
  ctx.reply.Bulk(role.link_state);
  ctx.reply.Integer(role.offset);
}

void WaitCommand(CommandContext& ctx) {
  ReplicationHost& repl = ctx.server.replication();
  if (repl.IsReplica()) {
    ctx.reply.Error(
        "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 "
        "if a replica is configured to be writable (which is not the default) writes to replicas "
        "are just local and are not propagated.");
    return;
  }
  int64_t numreplicas = 0;
  if (!ParseInt64(ctx.args[1], &numreplicas)) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  int64_t timeout = 0;
  if (!ParseInt64(ctx.args[2], &timeout)) {
    ctx.reply.Error("ERR timeout is not an integer or out of range");
    return;
  }
  if (timeout < 0) {
    ctx.reply.Error("ERR timeout is negative");
    return;
  }
  const std::optional<int64_t> acked = repl.Wait(ctx.client, numreplicas, timeout, !ctx.in_exec());
  if (acked) ctx.reply.Integer(*acked);
}

Command Make(const char* name, int arity, uint32_t flags, Handler h, const char* summary,
             const char* since, const char* complexity = "O(1)", const char* group = "server") {
  return MakeCommand(name, arity, flags, {}, h, group, summary, since, complexity);
}

std::vector<CommandArg> ReplicaofArgs() {
  return {arg::OneOf("args",
                     {arg::Block("host-port", {arg::String("host"), arg::Integer("port")}),
                      arg::Block("no-one", {arg::Token("no", "NO"), arg::Token("one", "ONE")})})};
}

}  // namespace

void RegisterReplicationCommands(CommandTable* t) {
  constexpr uint32_t kReplicaof = kAdmin | kNoScript | kStaleOk | kNoAsyncLoading;
  t->Register(Make("replicaof", 3, kReplicaof, ReplicaofCommand,
                   "Make the server a replica of another instance, or promote it as master.",
                   "5.0.0")
                  .WithArgs(ReplicaofArgs()));
  t->Register(Make("slaveof", 3, kReplicaof, ReplicaofCommand,
                   "Make the server a replica of another instance, or promote it as master.",
                   "1.0.0")
                  .Deprecated("5.0.0", "`REPLICAOF`")
                  .WithArgs(ReplicaofArgs()));
  t->Register(Make("replconf", -1, kAdmin | kNoScript | kLoadingOk | kStaleOk | kAllowBusy,
                   ReplconfCommand, "An internal command for configuring the replication stream",
                   "3.0.0")
                  .Syscmd());
  constexpr uint32_t kSync = kAdmin | kNoScript | kNoAsyncLoading | kNoMulti;
  t->Register(
      Make("psync", -3, kSync, PsyncCommand, "Internal command used for replication", "2.8.0", "")
          .WithArgs({arg::String("replicationid"), arg::Integer("offset")}));
  t->Register(
      Make("sync", 1, kSync, SyncCommand, "Internal command used for replication", "1.0.0", ""));
  t->Register(Make("role", 1, kNoScript | kLoadingOk | kStaleOk | kFast, RoleCommand,
                   "Return the role of the instance in the context of replication", "2.8.12")
                  .WithCategories(kCatAdmin | kCatDangerous));
  t->Register(Make("wait", 3, kNoScript, WaitCommand,
                   "Wait for the synchronous replication of all the write commands sent in the "
                   "context of the current connection",
                   "3.0.0", "O(1)", "generic")
                  .WithOnlyCategories(kCatConnection)
                  .WithTips({"request_policy:all_shards", "response_policy:agg_min"})
                  .WithArgs({arg::Integer("numreplicas"), arg::Integer("timeout")}));
}

}  // namespace pykv::cmd
