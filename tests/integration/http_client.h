// A minimal HTTP/1.1 client for the integration tests: a raw loopback socket (RawConn) that
// sends exactly the bytes a test gives it (partial, pipelined, chunked, malformed) and reads
// responses one at a time, framed by Debian's libhttp-parser (Content-Length, chunked, or
// until the server closes). Every read is bounded. Also small helpers to build requests and
// to read JSON bodies with RapidJSON.
//
// Single-threaded use: one test drives its connections from one thread.
#pragma once

#include <rapidjson/document.h>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "integration/server_harness.h"

namespace pykv::it {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpReply {
  int status = 0;     // 0: no complete response (timeout, connection closed, unparsable)
  std::string error;  // why, when status is 0
  Headers headers;
  std::string body;
  bool keep_alive = false;  // the server left the connection open for another request

  // The first header of that name (case-insensitive); "" when there is none.
  std::string Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
  // The body parsed as JSON (a document with HasParseError() when it is not JSON).
  rapidjson::Document Json() const;
  // "HTTP <status> <body>" for failure messages.
  std::string Describe() const;
};

// "METHOD target HTTP/1.1" with Host, Content-Length (when there is a body or the method
// is POST/PUT), the extra headers, and the body.
std::string BuildRequest(std::string_view method, std::string_view target,
                         std::string_view body = "", const Headers& extra = {});

class HttpConn {
 public:
  explicit HttpConn(int port) : raw_(port) {}

  bool connected() const { return raw_.connected(); }
  bool Send(std::string_view bytes) { return raw_.Send(bytes); }
  // Reads the next complete response. `head`: it answers a HEAD request (no body follows).
  HttpReply Read(bool head = false,
                 std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  // Sends one request and reads its response.
  HttpReply Request(std::string_view method, std::string_view target, std::string_view body = "",
                    const Headers& extra = {});
  // Reads (discarding) until the server closes the connection; true if it did in time.
  bool WaitClosed(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
    return raw_.WaitClosed(timeout);
  }
  RawConn& raw() { return raw_; }

 private:
  RawConn raw_;
};

// One request on a fresh connection.
HttpReply Http(int port, std::string_view method, std::string_view target,
               std::string_view body = "", const Headers& extra = {});

// A JSON string member, or "<absent>" / "<not a string>".
std::string JsonStr(const rapidjson::Value& v, const char* name);
// RapidJSON's compact text of a value.
std::string JsonText(const rapidjson::Value& v);

// A TCP port on 127.0.0.1 nobody listens on right now.
int UnusedTcpPort();

}  // namespace pykv::it
