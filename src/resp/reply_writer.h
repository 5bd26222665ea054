// ReplyWriter: encodes replies as RESP2 or RESP3 (after HELLO 3) straight into an
// OutBuffer, so a reply is built once with no intermediate string. With no buffer it
// discards (AOF replay, CLIENT REPLY OFF, the replica applying its primary's stream).
// Loop thread only; one per client session.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/out_buffer.h"
#include "resp/error_stats.h"

namespace pykv::resp {

class ReplyWriter {
 public:
  explicit ReplyWriter(OutBuffer* out = nullptr) : out_(out) {}

  void set_output(OutBuffer* out) { out_ = out; }
  OutBuffer* output() const { return out_; }
  void set_protocol(int version) { resp3_ = (version == 3); }
  int protocol() const { return resp3_ ? 3 : 2; }

  // +text (text must not contain \r or \n).
  void Simple(std::string_view text);
  void Ok() { Simple("OK"); }
  // -message: message starts with the error code, e.g. "ERR syntax error",
  // "WRONGTYPE Operation against ...". A message without "-" gets none added; CR/LF inside
  // become spaces, as Redis does, so an error can never break the framing.
  void Error(std::string_view message);
  void Integer(int64_t v);
  void Bulk(std::string_view bytes);
  // RESP2 $-1 / RESP3 _ .
  void Null();
  // RESP2 *-1 / RESP3 _ (the null some commands send instead of a null bulk).
  void NullArray();
  void ArrayHeader(size_t n);
  // RESP3 %n; RESP2 sends *2n and the caller writes key, value pairs either way.
  void MapHeader(size_t n);
  // RESP3 ~n; RESP2 *n.
  void SetHeader(size_t n);
  // RESP3 >n (pub/sub messages); RESP2 *n.
  void PushHeader(size_t n);
  // RESP3 ,<double>; RESP2 a bulk string of the same text.
  void Double(double v);
  // RESP3 #t/#f; RESP2 :1/:0.
  void Bool(bool v);
  // RESP3 =<len>\r\ntxt:<text>; RESP2 a bulk string.
  void Verbatim(std::string_view text, std::string_view format = "txt");
  // RESP3 (<digits>; RESP2 a bulk string.
  void BigNumber(std::string_view digits);
  // RESP3 |n attribute header; RESP2 writes nothing (callers then skip the pairs too).
  void AttributeHeader(size_t n);
  // Bytes already encoded as RESP (MONITOR lines, a cached reply).
  void Raw(std::string_view bytes);
  // Errors written so far (the dispatcher counts failed calls with it).
  uint64_t error_count() const { return errors_; }
  // Where each error is also counted by code (null: nowhere).
  void set_error_stats(ErrorStats* stats) { error_stats_ = stats; }
  // Array of bulk strings.
  template <typename Range>
  void BulkArray(const Range& items) {
    ArrayHeader(std::size(items));
    for (const auto& s : items) Bulk(s);
  }

 private:
  void Header(char type, int64_t n);
  OutBuffer* out_;
  bool resp3_ = false;
  uint64_t errors_ = 0;
  ErrorStats* error_stats_ = nullptr;
};

}  // namespace pykv::resp
