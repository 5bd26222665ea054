// HttpResponse: one HTTP/1.1 response as the adapter builds it, and its encoding onto the
// wire (status line, Content-Type, Content-Length, Connection, extra headers, body; a
// response to HEAD keeps the headers and drops the body). No I/O. Any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/out_buffer.h"

namespace pykv::http {

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra: Location, Allow...

  // {"detail": "<message>"}, FastAPI's shape for a plain error.
  static HttpResponse Detail(int status, std::string_view message);
};

// The reason phrase of a status code ("Not Found").
std::string_view ReasonPhrase(int status);

// Appends the encoded response to out. keep_alive false adds "Connection: close".
void EncodeResponse(const HttpResponse& r, bool keep_alive, bool head, OutBuffer* out);

}  // namespace pykv::http
