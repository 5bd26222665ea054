// RequestReader: turns the bytes of one HTTP/1.1 connection into complete requests, with
// Debian's libhttp-parser doing the parsing (pipelining, keep-alive rules, chunked bodies,
// Content-Length). It keeps only the headers the adapter uses and enforces the size
// limits: headers (431) and body (413). No I/O. Loop thread only; one per HTTP session.
#pragma once

#include <http_parser.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

namespace pykv::http {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // the request-target as sent ("/kv/a%2Fb?x=1")
  std::string authorization;
  std::string content_type;
  std::string body;  // de-chunked
  bool keep_alive = true;
  bool head = false;
};

struct ReaderLimits {
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 16 * 1024 * 1024;
};

class RequestReader {
 public:
  explicit RequestReader(const ReaderLimits* limits);
  RequestReader(const RequestReader&) = delete;
  RequestReader& operator=(const RequestReader&) = delete;

  // Parses what arrived. Complete requests queue up in requests(); after an error nothing
  // more is parsed and error_status() says what to answer.
  void Feed(std::string_view bytes);
  std::deque<HttpRequest>& requests() { return done_; }
  // 0 while all is well; else the status to answer before closing (400, 413, 431, 501).
  int error_status() const { return error_status_; }
  const std::string& error() const { return error_; }
  // A request has started and is not complete yet (the idle timeout then ends it).
  bool in_request() const { return in_message_; }
  // Requests started so far: a change tells the caller a new one began.
  uint64_t requests_begun() const { return requests_begun_; }
  // True once for a request whose headers asked "Expect: 100-continue" (HTTP/1.1) and whose
  // body has yet to come: the client waits for "100 Continue" before sending it.
  bool TakeContinue();
  // Bytes of the request being read (headers and body so far).
  size_t partial_bytes() const { return header_bytes_ + current_.body.size(); }

 private:
  static int OnMessageBegin(http_parser* p);
  static int OnUrl(http_parser* p, const char* at, size_t n);
  static int OnHeaderField(http_parser* p, const char* at, size_t n);
  static int OnHeaderValue(http_parser* p, const char* at, size_t n);
  static int OnHeadersComplete(http_parser* p);
  static int OnBody(http_parser* p, const char* at, size_t n);
  static int OnMessageComplete(http_parser* p);
  int Fail(int status, std::string message);
  // A header line ended: keep it if the adapter needs it.
  void TakeHeader();
  bool CountHeaderBytes(size_t n);

  const ReaderLimits* limits_;
  http_parser parser_;
  http_parser_settings settings_;
  HttpRequest current_;
  std::string field_;
  std::string value_;
  bool in_value_ = false;
  bool in_message_ = false;
  bool expect_continue_ = false;  // the request being read has Expect: 100-continue
  bool continue_wanted_ = false;  // ... its headers are complete, its body is not
  size_t header_bytes_ = 0;
  uint64_t requests_begun_ = 0;
  std::deque<HttpRequest> done_;
  int error_status_ = 0;
  std::string error_;
};

}  // namespace pykv::http
