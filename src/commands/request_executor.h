// RequestExecutor: the one step every transport runs a request through (RESP sessions,
// HTTP requests). Around Dispatcher::Execute it applies the per-request rules so that no
// transport keeps a copy of them: the command clock frozen for the request, the client's
// reply mode (CLIENT REPLY ON/OFF/SKIP), CLIENT PAUSE postponement (the request is kept in
// ClientState::postponed and run by ResumePostponed when the pause ends), and the ack
// barrier: ClientState::ack_barrier is the stream offset of the client's last change, and
// the owner of the client's output releases replies only once the AOF holds that offset.
// Loop thread only; one per server, shared by every session.
#pragma once

#include <cstdint>

#include "commands/client_state.h"
#include "commands/command.h"
#include "commands/dispatcher.h"
#include "commands/mutation_sink.h"
#include "common/clock.h"
#include "resp/reply_writer.h"

namespace pykv::cmd {

class RequestExecutor {
 public:
  // clock: the dispatcher's clock (frozen per request); journal: where changes go, whose
  // offset() after a request is that request's ack barrier.
  RequestExecutor(Dispatcher* dispatcher, CommandClock* clock, const MutationSink* journal);

  enum class Outcome {
    kDone,       // run, queued or refused: its reply (if any) is in client.socket_output
    kPostponed,  // CLIENT PAUSE holds it: kept in client.postponed, nothing ran
  };
  // Runs one request. writer is the client's; it is pointed at client.socket_output, or
  // at nothing when the reply mode discards this reply.
  [[nodiscard]] Outcome Execute(ClientState& client, resp::ReplyWriter& writer, Args argv);
  // The pause ended: runs the postponed request, if any (kDone when there was none).
  [[nodiscard]] Outcome ResumePostponed(ClientState& client, resp::ReplyWriter& writer);

  Dispatcher& dispatcher() { return *dispatcher_; }
  const CommandClock* clock() const { return clock_; }

 private:
  Dispatcher* dispatcher_;
  CommandClock* clock_;
  const MutationSink* journal_;
};

}  // namespace pykv::cmd
