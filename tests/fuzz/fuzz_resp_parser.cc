// libFuzzer target for the RESP request parser. Besides "no crash, no sanitizer report",
// it checks the properties the server relies on:
//  - the same bytes give the same commands (and error) however they are split into reads;
//  - each command's offsets frame exactly the bytes that, parsed alone, give that command;
//  - encoding a parsed argv and parsing it again gives it back, and the writer's bulk
//    array of it is the same bytes as the command encoder's;
//  - last_canonical() holds exactly when the command's bytes are the encoder's bytes for it;
//  - PeekSecondArgs (prefetch hints) names the second argument of exactly the commands
//    Next() returns after it, in order, unless Next() stops with an error first.
// The first 4 input bytes choose options and split points; the rest is the stream.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "common/out_buffer.h"
#include "fuzz_check.h"
#include "resp/command_encoder.h"
#include "resp/reply_writer.h"
#include "resp/request_parser.h"

namespace {

using pykv::OutBuffer;
using pykv::resp::EncodeCommand;
using pykv::resp::ParserLimits;
using pykv::resp::ReplyWriter;
using pykv::resp::RequestParser;
using Result = RequestParser::Result;

struct Parsed {
  std::vector<std::vector<std::string>> commands;
  std::vector<std::pair<uint64_t, uint64_t>> frames;  // (start, end) offsets per command
  std::string error;
  bool operator==(const Parsed& o) const { return commands == o.commands && error == o.error; }
};

struct Config {
  ParserLimits limits;
  bool authenticated = true;
};

// Small deterministic generator for split points, seeded from the input.
struct Rng {
  uint32_t s;
  uint32_t Next() {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s;
  }
};

Parsed Parse(std::string_view data, const std::vector<size_t>& cuts, const Config& cfg,
             bool use_prepare, bool compact) {
  RequestParser p(&cfg.limits);
  p.set_authenticated(cfg.authenticated);
  Parsed out;
  size_t from = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(data.size());
  // Second arguments ("" for none) of the queued commands, from the last peek.
  std::vector<std::string> peeked;
  for (size_t to : ends) {
    std::string_view piece = data.substr(from, to - from);
    from = to;
    if (use_prepare) {
      std::span<char> room = p.PrepareWrite(piece.size());
      FUZZ_CHECK(room.size() >= piece.size() && room.size() >= 1);
      if (!piece.empty()) std::memcpy(room.data(), piece.data(), piece.size());
      p.CommitWrite(piece.size());
    } else {
      p.Append(piece);
    }
    for (;;) {
      Result r = p.Next();
      if (r == Result::kNeedMore) {
        // Every command a peek saw was complete: Next() had to return it.
        FUZZ_CHECK(peeked.empty());
        break;
      }
      if (r == Result::kError) {
        out.error = p.error();
        FUZZ_CHECK(!out.error.empty());
        FUZZ_CHECK(p.Next() == Result::kError);
        return out;
      }
      FUZZ_CHECK(!p.argv().empty());
      const std::string second = p.argv().size() >= 2 ? std::string(p.argv()[1]) : "";
      if (!peeked.empty()) {
        FUZZ_CHECK(peeked.front() == second);
        peeked.erase(peeked.begin());
      }
      std::array<std::string_view, 16> keys;
      const size_t n = p.PeekSecondArgs(keys);
      FUZZ_CHECK(n <= keys.size());
      // A later peek sees at least what the earlier one did (no bytes were consumed).
      for (size_t i = 0; i < n && i < peeked.size(); ++i) FUZZ_CHECK(peeked[i] == keys[i]);
      FUZZ_CHECK(n >= std::min(peeked.size(), keys.size() - 1));
      peeked.assign(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(n));
      out.commands.emplace_back(p.argv().begin(), p.argv().end());
      // The journal copies canonical requests instead of encoding them: the two must agree.
      FUZZ_CHECK(p.last_canonical() == (p.last_bytes() == EncodeCommand(p.argv())));
      out.frames.emplace_back(p.command_start_offset(), p.consumed_offset());
      FUZZ_CHECK(p.command_start_offset() < p.consumed_offset());
      FUZZ_CHECK(p.consumed_offset() <= to);
    }
    if (compact) p.Compact();
    FUZZ_CHECK(p.consumed_offset() + p.buffered() == to);
  }
  return out;
}

void CheckEncoding(const std::vector<std::string>& argv) {
  std::vector<std::string_view> views(argv.begin(), argv.end());
  std::string encoded = EncodeCommand(views);
  OutBuffer buf;
  EncodeCommand(views, &buf);
  FUZZ_CHECK(buf.ToString() == encoded);
  // A bulk array reply of the arguments is the same bytes in either protocol.
  for (int proto : {2, 3}) {
    OutBuffer reply;
    ReplyWriter w(&reply);
    w.set_protocol(proto);
    w.BulkArray(views);
    FUZZ_CHECK(reply.ToString() == encoded);
  }
  ParserLimits limits;
  RequestParser p(&limits);
  p.Append(encoded);
  FUZZ_CHECK(p.Next() == Result::kCommand);
  FUZZ_CHECK(p.argv().size() == views.size());
  for (size_t i = 0; i < views.size(); ++i) FUZZ_CHECK(p.argv()[i] == views[i]);
  FUZZ_CHECK(p.buffered() == 0);
  FUZZ_CHECK(p.consumed_offset() == encoded.size());
}

void CheckErrorReply(std::string_view message) {
  OutBuffer out;
  ReplyWriter w(&out);
  w.Error(message);
  std::string s = out.ToString();
  // Exactly one line, whatever the message holds.
  FUZZ_CHECK(s.size() >= 3 && s[0] == '-');
  FUZZ_CHECK(s.find('\r') == s.size() - 2 && s.find('\n') == s.size() - 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 4) return 0;
  const uint8_t flags = bytes[0];
  Rng rng{
      (static_cast<uint32_t>(bytes[1]) << 16 | static_cast<uint32_t>(bytes[2]) << 8 | bytes[3]) |
      1u};
  std::string_view data(reinterpret_cast<const char*>(bytes) + 4, size - 4);

  Config cfg;
  cfg.authenticated = !(flags & 1);
  if (flags & 2) cfg.limits.max_inline_len = 1 + (bytes[1] % 64);
  if (flags & 4) cfg.limits.max_bulk_len = bytes[2] % 32;
  if (flags & 8) cfg.limits.max_query_buffer = 1 + bytes[3];
  if (flags & 16) cfg.limits.max_multibulk_len = bytes[1] % 8;

  Parsed whole = Parse(data, {}, cfg, flags & 32, flags & 64);

  // "Too big" and query-buffer-limit errors depend on how much was buffered when the check
  // ran, so split invariance holds only for streams that stay under those limits.
  bool split_invariant =
      data.size() <= cfg.limits.max_inline_len && data.size() <= cfg.limits.max_query_buffer;

  std::vector<size_t> cuts;
  for (size_t i = 1; i < data.size(); ++i) {
    if (rng.Next() % 8 == 0) cuts.push_back(i);
  }
  Parsed split = Parse(data, cuts, cfg, !(flags & 32), !(flags & 64));
  if (split_invariant) FUZZ_CHECK(split == whole);

  if (data.size() <= 512) {
    std::vector<size_t> every;
    for (size_t i = 1; i < data.size(); ++i) every.push_back(i);
    Parsed bytewise = Parse(data, every, cfg, flags & 128, true);
    if (split_invariant) FUZZ_CHECK(bytewise == whole);
  }

  // Each command's frame, parsed alone, is that command and nothing more.
  for (size_t i = 0; i < whole.commands.size() && i < 64; ++i) {
    auto [start, end] = whole.frames[i];
    FUZZ_CHECK(end <= data.size());
    Parsed alone = Parse(data.substr(start, end - start), {}, cfg, false, false);
    FUZZ_CHECK(alone.error.empty());
    FUZZ_CHECK(alone.commands.size() == 1);
    FUZZ_CHECK(alone.commands[0] == whole.commands[i]);
    CheckEncoding(whole.commands[i]);
  }

  CheckErrorReply(data.substr(0, 256));
  return 0;
}
