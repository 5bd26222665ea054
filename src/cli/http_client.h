// HttpClient: pykv-cli's blocking HTTP/1.1 client for the /kv API, a thin wrapper over one
// libcurl easy handle. The handle is reused for every request so the connection stays open
// (keep-alive) between the commands of an interactive or stdin session. It sends the bearer
// token when one is given and never goes through a proxy: the CLI talks to the server it
// is pointed at, as redis-cli does. One thread; not thread-safe (one client per thread).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace pykv::cli {

struct HttpResponse {
  long status = 0;  // HTTP status code
  std::string body;
};

// A transport failure: no HTTP response came back.
struct HttpFailure {
  std::string message;  // the system's words when there are any ("Connection refused")
  // Nothing reached the server (the connection was never made), so the request may be
  // sent again elsewhere without running twice.
  bool not_sent = false;
};

class HttpClient {
 public:
  // timeout_ms bounds both the connection and the whole request; 0 means no limit.
  HttpClient(uint64_t timeout_ms, std::string token);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `method url` with `body` (as application/json when non-empty) and waits for the
  // response. On a transport failure returns false and fills *failure.
  bool Request(std::string_view method, const std::string& url, std::string_view body,
               HttpResponse* response, HttpFailure* failure);

  // Percent-encodes every byte except RFC 3986's unreserved characters, so any key (with
  // '/', '?', spaces or bytes that are not UTF-8) survives as one path segment or query value.
  static std::string Escape(std::string_view bytes);

 private:
  struct Handle;
  std::unique_ptr<Handle> handle_;
  uint64_t timeout_ms_;
  std::string token_;
};

}  // namespace pykv::cli
