// The transaction family: MULTI, EXEC, DISCARD, WATCH, UNWATCH. Queueing itself happens in
// the dispatcher (a command inside MULTI is checked, then queued instead of run).
#include <string>

#include "commands/context.h"
#include "commands/dispatcher.h"
#include "commands/families.h"

namespace pykv::cmd {

namespace {

void MultiCommand(CommandContext& ctx) {
  if (ctx.client.in_multi) {
    ctx.reply.Error("ERR MULTI calls can not be nested");
    return;
  }
  ctx.client.ClearTransaction();
  ctx.client.in_multi = true;
  ctx.reply.Ok();
}

void ResetTransaction(CommandContext& ctx) {
  ctx.client.ClearTransaction();
  ctx.dispatcher.UnwatchAll(ctx.client);
}

void ExecCommand(CommandContext& ctx) {
  if (!ctx.client.in_multi) {
    ctx.reply.Error("ERR EXEC without MULTI");
    return;
  }
  if (ctx.client.multi_error) {
    ResetTransaction(ctx);
    ctx.reply.Error("EXECABORT Transaction discarded because of previous errors.");
    return;
  }
  // A watched key whose TTL ran out since WATCH counts as changed even if nothing looked at
  // it (Redis's isWatchedKeyExpired): looking it up removes it, and the keyspace's report
  // marks the watch dirty.
  for (const std::string& key : ctx.client.watched_keys) ctx.keyspace.Peek(key);
  if (ctx.client.watch_dirty) {
    ResetTransaction(ctx);
    ctx.reply.NullArray();
    return;
  }
  ctx.dispatcher.ExecTransaction(ctx.client, ctx.reply);
}

void DiscardCommand(CommandContext& ctx) {
  if (!ctx.client.in_multi) {
    ctx.reply.Error("ERR DISCARD without MULTI");
    return;
  }
  ResetTransaction(ctx);
  ctx.reply.Ok();
}

void WatchCommand(CommandContext& ctx) {
  if (ctx.client.in_multi) {
    ctx.reply.Error("ERR WATCH inside MULTI is not allowed");
    return;
  }
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    // A key already expired when watched is removed first, so its expiry is not taken for
    // a change at EXEC (Redis ignores keys already expired at WATCH time).
    ctx.keyspace.Peek(ctx.args[i]);
    ctx.dispatcher.Watch(ctx.client, ctx.args[i]);
  }
  ctx.reply.Ok();
}

void UnwatchCommand(CommandContext& ctx) {
  ctx.dispatcher.UnwatchAll(ctx.client);
  ctx.reply.Ok();
}

}  // namespace

void RegisterTransactionCommands(CommandTable* t) {
  // Not no-multi (as in Redis 7.0): MULTI, EXEC, DISCARD and WATCH are run at once inside a
  // transaction by the dispatcher (kTxnControl), and UNWATCH is queued like any other command.
  constexpr uint32_t kTx = kNoScript | kLoadingOk | kStaleOk | kFast | kAllowBusy;
  t->Register(MakeCommand("multi", 1, kTx | kTxnControl, {}, MultiCommand, "transactions",
                          "Mark the start of a transaction block", "1.2.0"));
  t->Register(MakeCommand(
      "exec", 1, kNoScript | kLoadingOk | kStaleOk | kSkipSlowlog | kTxnControl | kRunsTransaction,
      {}, ExecCommand, "transactions", "Execute all commands issued after MULTI", "1.2.0",
      "Depends on commands in the transaction"));
  t->Register(MakeCommand("discard", 1, kTx | kTxnControl, {}, DiscardCommand, "transactions",
                          "Discard all commands issued after MULTI", "2.0.0",
                          "O(N), when N is the number of queued commands"));
  t->Register(MakeCommand("watch", -2, kTx | kTxnControl,
                          {{.flags = kKeyRO, .index = 1, .lastkey = -1}}, WatchCommand,
                          "transactions",
                          "Watch the given keys to determine execution of the MULTI/EXEC block",
                          "2.2.0", "O(1) for every key.")
                  .WithArgs({arg::Key("key", 0).Multiple()}));
  t->Register(MakeCommand("unwatch", 1, kTx, {}, UnwatchCommand, "transactions",
                          "Forget about all watched keys", "2.2.0"));
}

}  // namespace pykv::cmd
