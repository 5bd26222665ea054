// MutationSink: where the dispatcher hands the replayable form of every change, in order.
// The server's implementation encodes it once as RESP and gives the same bytes to the AOF
// and to every replica; tests use a recording sink. Called on the loop thread only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "commands/command.h"

namespace pykv::cmd {

class MutationSink {
 public:
  virtual ~MutationSink() = default;
  virtual void Propagate(Args argv) = 0;
  // Position just past the last change handed over (bytes of the encoded stream; 0 while
  // nothing consumes it). A reply acknowledging a change waits until the AOF holds it.
  virtual uint64_t offset() const = 0;
};

// Keeps every propagated command (tests).
class RecordingSink final : public MutationSink {
 public:
  void Propagate(Args argv) override { commands.emplace_back(argv.begin(), argv.end()); }
  uint64_t offset() const override { return commands.size(); }
  std::vector<std::vector<std::string>> commands;
};

// Drops everything (no AOF, no replicas).
class NullSink final : public MutationSink {
 public:
  void Propagate(Args) override {}
  uint64_t offset() const override { return 0; }
};

}  // namespace pykv::cmd
