#include "http/request_reader.h"

#include <doctest/doctest.h>

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace pykv::http {
namespace {

// Small limits so the limit cases stay small.
ReaderLimits TestLimits() {
  ReaderLimits l;
  l.max_header_bytes = 256;
  l.max_body_bytes = 64;
  return l;
}

// Everything a reader produced, as one comparable text.
struct Outcome {
  std::vector<std::string> requests;
  int error_status = 0;
  bool in_request = false;

  bool operator==(const Outcome&) const = default;
};

std::string Describe(const HttpRequest& r) {
  return r.method + " " + r.target + " auth=[" + r.authorization + "] type=[" + r.content_type +
         "] keep_alive=" + (r.keep_alive ? "1" : "0") + " head=" + (r.head ? "1" : "0") +
         " body=[" + r.body + "]";
}

// Feeds `input` in pieces cut at `cuts` (ascending offsets) and collects what came out.
Outcome Feed(std::string_view input, const std::vector<size_t>& cuts,
             const ReaderLimits& limits = TestLimits()) {
  RequestReader reader(&limits);
  Outcome out;
  size_t from = 0;
  auto take = [&] {
    while (!reader.requests().empty()) {
      out.requests.push_back(Describe(reader.requests().front()));
      reader.requests().pop_front();
    }
  };
  for (size_t cut : cuts) {
    reader.Feed(input.substr(from, cut - from));
    take();
    from = cut;
  }
  reader.Feed(input.substr(from));
  take();
  out.error_status = reader.error_status();
  out.in_request = reader.in_request();
  return out;
}

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << "error " << o.error_status << (o.in_request ? " (mid-request)" : "") << "; requests:";
  for (const auto& r : o.requests) os << "\n  " << r;
  return os;
}

// Feeding `input` whole, split in two at every byte, and one byte at a time must all give
// `expected`.
void CheckEverySplit(std::string_view input, const Outcome& expected,
                     const ReaderLimits& limits = TestLimits()) {
  {
    Outcome whole = Feed(input, {}, limits);
    INFO("whole input:\n" << whole << "\nexpected:\n" << expected);
    CHECK(whole == expected);
  }
  for (size_t i = 1; i < input.size(); ++i) {
    Outcome two = Feed(input, {i}, limits);
    if (!(two == expected)) {
      FAIL_CHECK("split at byte " << i << ":\n" << two << "\nexpected:\n" << expected);
      return;
    }
  }
  std::vector<size_t> bytes;
  for (size_t i = 1; i < input.size(); ++i) bytes.push_back(i);
  Outcome single = Feed(input, bytes, limits);
  INFO("byte at a time:\n" << single << "\nexpected:\n" << expected);
  CHECK(single == expected);
}

Outcome Requests(std::vector<std::string> reqs, int error = 0, bool in_request = false) {
  return Outcome{std::move(reqs), error, in_request};
}

TEST_CASE("RequestReader: one request, any split") {
  CheckEverySplit("GET /health HTTP/1.1\r\nHost: x\r\n\r\n",
                  Requests({"GET /health auth=[] type=[] keep_alive=1 head=0 body=[]"}));
  CheckEverySplit(
      "POST /kv/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer pw\r\nContent-Type: "
      "application/json\r\nContent-Length: 23\r\n\r\n{\"key\":\"k\",\"value\":\"v\"}",
      Requests({"POST /kv/ auth=[Bearer pw] type=[application/json] keep_alive=1 head=0 "
                "body=[{\"key\":\"k\",\"value\":\"v\"}]"}));
  // Header names in any case; the values as sent.
  CheckEverySplit(
      "PUT /kv/a%2Fb?x=1 HTTP/1.1\r\nAUTHORIZATION: Bearer A\r\ncontent-TYPE: t\r\n"
      "content-length: 2\r\n\r\nhi",
      Requests({"PUT /kv/a%2Fb?x=1 auth=[Bearer A] type=[t] keep_alive=1 head=0 "
                "body=[hi]"}));
  CheckEverySplit("HEAD /kv/k HTTP/1.1\r\n\r\n",
                  Requests({"HEAD /kv/k auth=[] type=[] keep_alive=1 head=1 body=[]"}));
  CheckEverySplit("DELETE /kv/k HTTP/1.1\r\nConnection: close\r\n\r\n",
                  Requests({"DELETE /kv/k auth=[] type=[] keep_alive=0 head=0 body=[]"}));
  CheckEverySplit("GET / HTTP/1.0\r\n\r\n",
                  Requests({"GET / auth=[] type=[] keep_alive=0 head=0 body=[]"}));
  CheckEverySplit("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
                  Requests({"GET / auth=[] type=[] keep_alive=1 head=0 body=[]"}));
  // The body limit itself is fine.
  CheckEverySplit(
      "POST / HTTP/1.1\r\nContent-Length: 64\r\n\r\n" + std::string(64, 'b'),
      Requests({"POST / auth=[] type=[] keep_alive=1 head=0 body=[" + std::string(64, 'b') + "]"}));
}

TEST_CASE("RequestReader: pipelined requests come out in order") {
  const std::string three =
      "POST /kv/ HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
      "GET /kv/a HTTP/1.1\r\n\r\n"
      "DELETE /kv/a HTTP/1.1\r\nAuthorization: x\r\n\r\n";
  CheckEverySplit(three, Requests({"POST /kv/ auth=[] type=[] keep_alive=1 head=0 body=[abc]",
                                   "GET /kv/a auth=[] type=[] keep_alive=1 head=0 body=[]",
                                   "DELETE /kv/a auth=[x] type=[] keep_alive=1 head=0 body=[]"}));
  // Each request has its own headers: nothing carries over.
  CheckEverySplit(
      "GET /a HTTP/1.1\r\nAuthorization: one\r\nContent-Type: j\r\n\r\n"
      "GET /b HTTP/1.1\r\n\r\n",
      Requests({"GET /a auth=[one] type=[j] keep_alive=1 head=0 body=[]",
                "GET /b auth=[] type=[] keep_alive=1 head=0 body=[]"}));
  // A request after one that asked to close still comes out: the session stops at the
  // first one's keep_alive=0 (libhttp-parser is lenient here).
  CheckEverySplit("GET /a HTTP/1.1\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\n\r\n",
                  Requests({"GET /a auth=[] type=[] keep_alive=0 head=0 body=[]",
                            "GET /b auth=[] type=[] keep_alive=1 head=0 body=[]"}));
}

TEST_CASE("RequestReader: chunked bodies are de-chunked") {
  CheckEverySplit(
      "POST /kv/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n"
      "A;ext=1\r\n0123456789\r\n"
      "0\r\nX-Trailer: t\r\n\r\n"
      "GET /next HTTP/1.1\r\n\r\n",
      Requests({"POST /kv/ auth=[] type=[] keep_alive=1 head=0 body=[abc0123456789]",
                "GET /next auth=[] type=[] keep_alive=1 head=0 body=[]"}));
  CheckEverySplit("PUT /k HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                  Requests({"PUT /k auth=[] type=[] keep_alive=1 head=0 body=[]"}));
}

TEST_CASE("RequestReader: a body over the limit is 413") {
  // The Content-Length alone decides, before any body byte.
  CheckEverySplit("POST / HTTP/1.1\r\nContent-Length: 65\r\n\r\n", Requests({}, 413, true));
  CheckEverySplit("POST / HTTP/1.1\r\nContent-Length: 99999999999999999\r\n\r\n",
                  Requests({}, 413, true));
  // Chunked: counted as the chunks arrive.
  CheckEverySplit("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" +
                      std::string(64, 'a') + "\r\n1\r\nb\r\n0\r\n\r\n",
                  Requests({}, 413, true));
  // The requests before it still come out.
  CheckEverySplit("GET /a HTTP/1.1\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n",
                  Requests({"GET /a auth=[] type=[] keep_alive=1 head=0 body=[]"}, 413, true));
}

TEST_CASE("RequestReader: headers over the limit are 431, a target over it 414") {
  CheckEverySplit("GET / HTTP/1.1\r\nX-Big: " + std::string(300, 'a') + "\r\n\r\n",
                  Requests({}, 431, true));
  // Many short header lines count their separators too.
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 60; ++i) many += "X:1\r\n";  // 300 bytes on the wire
  CheckEverySplit(many + "\r\n", Requests({}, 431, true));
  CheckEverySplit("GET /" + std::string(300, 'u') + " HTTP/1.1\r\n\r\n", Requests({}, 414, true));
  // Under the limit, fine.
  CheckEverySplit("GET / HTTP/1.1\r\nX-Big: " + std::string(150, 'a') + "\r\n\r\n",
                  Requests({"GET / auth=[] type=[] keep_alive=1 head=0 body=[]"}));
  // The limit is per request, not per connection.
  std::string pipelined;
  for (int i = 0; i < 5; ++i)
    pipelined += "GET / HTTP/1.1\r\nX: " + std::string(150, 'a') + "\r\n\r\n";
  Outcome five = Feed(pipelined, {});
  CHECK(five.error_status == 0);
  CHECK(five.requests.size() == 5);
}

TEST_CASE("RequestReader: malformed input is 400") {
  for (const std::string& bad : {
           std::string("HELLO\r\n\r\n"), std::string("GET / FOO/1.1\r\n\r\n"),

           std::string("GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n"),
           std::string("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
           std::string("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),

           std::string("GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"),
           std::string("CONNECT example.com:443 HTTP/1.1\r\n\r\n"),
           std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),  // a TLS hello
       }) {
    INFO("input: " << bad);
    Outcome whole = Feed(bad, {});
    CHECK(whole.error_status == 400);
    CheckEverySplit(bad, whole);
  }
}

TEST_CASE("RequestReader: an incomplete request waits; after an error nothing more is read") {
  const ReaderLimits limits = TestLimits();
  RequestReader r(&limits);
  CHECK_FALSE(r.in_request());
  CHECK(r.requests_begun() == 0);
  r.Feed("GET /a HT");
  CHECK(r.in_request());
  CHECK(r.requests_begun() == 1);
  CHECK(r.requests().empty());
  CHECK(r.partial_bytes() > 0);
  r.Feed("TP/1.1\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nab");
  CHECK(r.requests().size() == 1);
  CHECK(r.requests_begun() == 2);
  CHECK(r.in_request());
  r.Feed("cd");
  CHECK(r.requests().size() == 2);
  CHECK_FALSE(r.in_request());
  CHECK(r.error_status() == 0);
  r.Feed("\x01garbage\r\n\r\n");
  CHECK(r.error_status() == 400);
  CHECK_FALSE(r.error().empty());
  r.Feed("GET / HTTP/1.1\r\n\r\n");
  CHECK(r.requests().size() == 2);
  CHECK(r.error_status() == 400);
}

TEST_CASE("RequestReader: Expect: 100-continue asks for a 100 once, while the body is due") {
  const ReaderLimits limits = TestLimits();
  RequestReader r(&limits);
  r.Feed("POST /kv/ HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n");
  CHECK_FALSE(r.TakeContinue());  // headers not complete yet
  r.Feed("\r\n");
  CHECK(r.TakeContinue());
  CHECK_FALSE(r.TakeContinue());  // once
  r.Feed("{}");
  CHECK(r.requests().size() == 1);
  CHECK_FALSE(r.TakeContinue());

  // Not when the body came with the headers, there is no body, or the client is HTTP/1.0.
  for (const char* input :
       {"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}",
        "GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n",
        "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n",
        "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
        "POST / HTTP/1.1\r\nExpect: something\r\nContent-Length: 2\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n"}) {
    INFO(input);
    RequestReader one(&limits);
    one.Feed(input);
    CHECK_FALSE(one.TakeContinue());
  }
  // Chunked bodies too; a body over the limit gets its 413 instead.
  RequestReader chunked(&limits);
  chunked.Feed("PUT /k HTTP/1.1\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n");
  CHECK(chunked.TakeContinue());
  RequestReader big(&limits);
  big.Feed("PUT /k HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n\r\n");
  CHECK_FALSE(big.TakeContinue());
  CHECK(big.error_status() == 413);
  // The next request starts afresh.
  RequestReader two(&limits);
  two.Feed(
      "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx"
      "POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\n");
  CHECK_FALSE(two.TakeContinue());
}

}  // namespace
}  // namespace pykv::http
