#include "commands/request_executor.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pykv::cmd {

RequestExecutor::RequestExecutor(Dispatcher* dispatcher, CommandClock* clock,
                                 const MutationSink* journal)
    : dispatcher_(dispatcher), clock_(clock), journal_(journal) {}

RequestExecutor::Outcome RequestExecutor::Execute(ClientState& client, resp::ReplyWriter& writer,
                                                  Args argv) {
  // The dispatcher's command time is this one clock read.
  CommandClock::Scope frozen(clock_);
  client.last_interaction_ms = clock_->NowMs();
  const ReplyMode mode_before = client.reply_mode;
  if (client.reply_mode == ReplyMode::kSkipNext) client.reply_mode = ReplyMode::kSkipThis;
  writer.set_output(client.reply_mode == ReplyMode::kOn ? client.socket_output : nullptr);
  const uint64_t offset_before = journal_->offset();
  if (dispatcher_->Execute(client, writer, argv) == Dispatcher::Outcome::kPostponed) {
    client.reply_mode = mode_before;  // CLIENT REPLY SKIP still applies to it when it runs
    // Kept by value: argv points into the transport's input buffer, which moves on.
    client.postponed.assign(argv.begin(), argv.end());
    return Outcome::kPostponed;
  }
  const uint64_t offset_after = journal_->offset();
  if (offset_after != offset_before) client.ack_barrier = offset_after;
  if (client.reply_mode == ReplyMode::kSkipThis) client.reply_mode = ReplyMode::kOn;
  return Outcome::kDone;
}

RequestExecutor::Outcome RequestExecutor::ResumePostponed(ClientState& client,
                                                          resp::ReplyWriter& writer) {
  if (client.postponed.empty()) return Outcome::kDone;
  std::vector<std::string> request = std::move(client.postponed);
  client.postponed.clear();
  std::vector<std::string_view> argv(request.begin(), request.end());
  return Execute(client, writer, argv);
}

}  // namespace pykv::cmd
