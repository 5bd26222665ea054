// ArgCursor: walks a command's optional arguments ("NX", "EX 10", "MATCH p COUNT 5") so
// a handler parses all its options first and only then acts. Plain value; loop thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "commands/command.h"
#include "common/numbers.h"

namespace pykv::cmd {

class ArgCursor {
 public:
  ArgCursor(Args args, size_t start) : args_(args), pos_(start) {}

  bool done() const { return pos_ >= args_.size(); }
  size_t remaining() const { return done() ? 0 : args_.size() - pos_; }
  std::string_view Peek() const { return args_[pos_]; }
  std::string_view Next() { return args_[pos_++]; }
  // Consumes the current argument if it equals keyword (case-insensitive).
  bool Accept(std::string_view keyword) {
    if (done() || !EqualsIgnoreCase(args_[pos_], keyword)) return false;
    ++pos_;
    return true;
  }
  // Consumes the next argument as an integer; false (not consumed) if missing or invalid.
  bool NextInt64(int64_t* out) {
    if (done() || !ParseInt64(args_[pos_], out)) return false;
    ++pos_;
    return true;
  }
  size_t position() const { return pos_; }

 private:
  Args args_;
  size_t pos_;
};

}  // namespace pykv::cmd
