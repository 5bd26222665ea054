#include "http/response.h"

#include <doctest/doctest.h>

#include <string>

#include "common/out_buffer.h"

namespace pykv::http {
namespace {

std::string Encode(const HttpResponse& r, bool keep_alive, bool head) {
  OutBuffer out;
  EncodeResponse(r, keep_alive, head, &out);
  return out.ToString();
}

TEST_CASE("EncodeResponse: status line, headers, body") {
  HttpResponse r;
  r.status = 201;
  r.body = R"({"key":"k"})";
  r.headers.emplace_back("Location", "/kv/k");
  CHECK(Encode(r, true, false) ==
        "HTTP/1.1 201 Created\r\nServer: pykv\r\nContent-Type: application/json\r\n"
        "Content-Length: 11\r\nLocation: /kv/k\r\n\r\n{\"key\":\"k\"}");
}

TEST_CASE("EncodeResponse: Connection: close when the connection ends") {
  HttpResponse r = HttpResponse::Detail(413, "request body too large");
  CHECK(Encode(r, false, false) ==
        "HTTP/1.1 413 Content Too Large\r\nServer: pykv\r\nContent-Type: application/json\r\n"
        "Content-Length: 35\r\nConnection: close\r\n\r\n{\"detail\":\"request body too large\"}");
}

TEST_CASE("EncodeResponse: HEAD keeps the headers, Content-Length included, without the body") {
  HttpResponse r;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::string(1000, 'x');
  CHECK(Encode(r, true, true) ==
        "HTTP/1.1 200 OK\r\nServer: pykv\r\nContent-Type: text/html; charset=utf-8\r\n"
        "Content-Length: 1000\r\n\r\n");
  // An empty body is still framed.
  HttpResponse empty;
  CHECK(Encode(empty, true, false) ==
        "HTTP/1.1 200 OK\r\nServer: pykv\r\nContent-Type: application/json\r\n"
        "Content-Length: 0\r\n\r\n");
}

TEST_CASE("EncodeResponse appends: pipelined responses share one buffer") {
  OutBuffer out;
  EncodeResponse(HttpResponse::Detail(404, "Key not found"), true, false, &out);
  EncodeResponse(HttpResponse::Detail(404, "Key not found"), true, false, &out);
  const std::string one = Encode(HttpResponse::Detail(404, "Key not found"), true, false);
  CHECK(out.ToString() == one + one);
}

TEST_CASE("HttpResponse::Detail escapes the message as JSON") {
  HttpResponse r = HttpResponse::Detail(500, "a \"quoted\"\nline\\ \x01");
  CHECK(r.status == 500);
  CHECK(r.content_type == "application/json");
  CHECK(r.body == R"({"detail":"a \"quoted\"\nline\\ \u0001"})");
  CHECK(HttpResponse::Detail(404, "Not Found").body == R"({"detail":"Not Found"})");
}

TEST_CASE("ReasonPhrase") {
  CHECK(ReasonPhrase(200) == "OK");
  CHECK(ReasonPhrase(201) == "Created");
  CHECK(ReasonPhrase(400) == "Bad Request");
  CHECK(ReasonPhrase(401) == "Unauthorized");
  CHECK(ReasonPhrase(404) == "Not Found");
  CHECK(ReasonPhrase(405) == "Method Not Allowed");
  CHECK(ReasonPhrase(408) == "Request Timeout");
  CHECK(ReasonPhrase(409) == "Conflict");
  CHECK(ReasonPhrase(413) == "Content Too Large");
  CHECK(ReasonPhrase(414) == "URI Too Long");
  CHECK(ReasonPhrase(422) == "Unprocessable Content");
  CHECK(ReasonPhrase(431) == "Request Header Fields Too Large");
  CHECK(ReasonPhrase(500) == "Internal Server Error");
  CHECK(ReasonPhrase(503) == "Service Unavailable");
  CHECK(ReasonPhrase(507) == "Insufficient Storage");
  CHECK_FALSE(ReasonPhrase(299).empty());
}

}  // namespace
}  // namespace pykv::http
