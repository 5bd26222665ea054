// MutationSink: where the dispatcher hands the replayable form of every change, in order.
// The server's implementation encodes it once as RESP and gives the same bytes to the AOF
// and to every replica; tests use a recording sink. Called on the loop thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"

namespace pykv::cmd {

class MutationSink {
 public:
  virtual ~MutationSink() = default;
  // `encoded`, when not empty, is argv's RESP multibulk encoding (the request as its
  // client sent it): the sink may copy it instead of encoding argv again.
  virtual void Propagate(Args argv, std::string_view encoded = {}) = 0;
  // Position just past the last change handed over (bytes of the encoded stream; 0 while
  // nothing consumes it). A reply acknowledging a change waits until the AOF holds it.
  virtual uint64_t offset() const = 0;
};

// Keeps every propagated command, and the encoding handed with it ("" for none) (tests).
class RecordingSink final : public MutationSink {
 public:
  void Propagate(Args argv, std::string_view encoded = {}) override {
    commands.emplace_back(argv.begin(), argv.end());
    encodings.emplace_back(encoded);
  }
  uint64_t offset() const override { return commands.size(); }
  std::vector<std::vector<std::string>> commands;
  std::vector<std::string> encodings;
};

// Drops everything (no AOF, no replicas).
class NullSink final : public MutationSink {
 public:
  void Propagate(Args, std::string_view = {}) override {}
  uint64_t offset() const override { return 0; }
};

}  // namespace pykv::cmd
