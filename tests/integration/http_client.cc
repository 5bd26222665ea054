#include "integration/http_client.h"

#include <arpa/inet.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

namespace pykv::it {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// What the parser callbacks fill while one response is read.
struct ReadState {
  HttpReply* out;
  bool head = false;
  bool complete = false;
  bool in_value = false;
  std::string field;
  std::string value;

  void TakeHeader() {
    out->headers.emplace_back(std::move(field), std::move(value));
    field.clear();
    value.clear();
    in_value = false;
  }
};

ReadState* State(http_parser* p) {
  return static_cast<ReadState*>(p->data);
}

const http_parser_settings& Settings() {
  static const http_parser_settings s = [] {
    http_parser_settings s;
    http_parser_settings_init(&s);
    s.on_header_field = [](http_parser* p, const char* at, size_t n) {
      ReadState* st = State(p);
      if (st->in_value) st->TakeHeader();
      st->field.append(at, n);
      return 0;
    };
    s.on_header_value = [](http_parser* p, const char* at, size_t n) {
      ReadState* st = State(p);
      st->in_value = true;
      st->value.append(at, n);
      return 0;
    };
    s.on_headers_complete = [](http_parser* p) {
      ReadState* st = State(p);
      if (st->in_value) st->TakeHeader();
      st->out->status = static_cast<int>(p->status_code);
      return st->head ? 1 : 0;  // 1: no body follows
    };
    s.on_body = [](http_parser* p, const char* at, size_t n) {
      State(p)->out->body.append(at, n);
      return 0;
    };
    s.on_message_complete = [](http_parser* p) {
      State(p)->complete = true;
      // Stop right after this response: the next one stays buffered for the next Read.
      http_parser_pause(p, 1);
      return 0;
    };
    return s;
  }();
  return s;
}

}  // namespace

std::string HttpReply::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (SameName(n, name)) return v;
  }
  return "";
}

bool HttpReply::HasHeader(std::string_view name) const {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return SameName(h.first, name); });
}

rapidjson::Document HttpReply::Json() const {
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  return d;
}

std::string HttpReply::Describe() const {
  if (status == 0) return "(no response: " + error + ")";
  std::string b = body.size() > 400 ? body.substr(0, 400) + "..." : body;
  return "HTTP " + std::to_string(status) + " " + b;
}

std::string BuildRequest(std::string_view method, std::string_view target, std::string_view body,
                         const Headers& extra) {
  std::string r;
  r.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  bool framed = false;
  for (const auto& [n, v] : extra) {
    if (SameName(n, "Content-Length") || SameName(n, "Transfer-Encoding")) framed = true;
    r.append(n).append(": ").append(v).append("\r\n");
  }
  if (!framed && (!body.empty() || method == "POST" || method == "PUT")) {
    r.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  r.append("\r\n").append(body);
  return r;
}

HttpReply HttpConn::Read(bool head, milliseconds timeout) {
  HttpReply reply;
  ReadState st{&reply};
  st.head = head;
  http_parser parser;
  http_parser_init(&parser, HTTP_RESPONSE);
  parser.data = &st;
  size_t fed = 0;  // bytes of raw_.pending() the parser has seen
  const auto deadline =
      Clock::now() +
      milliseconds(static_cast<int64_t>(static_cast<double>(timeout.count()) * TimeScale()));
  auto finish = [&](const char* error) {
    if (!st.complete) {
      reply.status = 0;
      reply.error = error;
      return reply;
    }
    reply.keep_alive = http_should_keep_alive(&parser) != 0;
    raw_.ReadBytes(fed, milliseconds(0));  // consume exactly this response
    return reply;
  };
  while (true) {
    const std::string& buf = raw_.pending();
    if (fed < buf.size()) {
      fed += http_parser_execute(&parser, &Settings(), buf.data() + fed, buf.size() - fed);
      if (st.complete) return finish("");
      if (HTTP_PARSER_ERRNO(&parser) != HPE_OK) {
        return finish(http_errno_description(HTTP_PARSER_ERRNO(&parser)));
      }
    }
    if (!raw_.connected()) return finish("not connected");
    if (raw_.peer_closed()) {
      // A response framed by the end of the connection completes here.
      http_parser_execute(&parser, &Settings(), nullptr, 0);
      return finish("the server closed the connection before a complete response");
    }
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return finish("timed out waiting for a response");
    raw_.Pump(std::min(left, milliseconds(100)));
  }
}

HttpReply HttpConn::Request(std::string_view method, std::string_view target, std::string_view body,
                            const Headers& extra) {
  if (!Send(BuildRequest(method, target, body, extra))) {
    HttpReply r;
    r.error = "send failed";
    return r;
  }
  return Read(method == "HEAD");
}

HttpReply Http(int port, std::string_view method, std::string_view target, std::string_view body,
               const Headers& extra) {
  HttpConn c(port);
  if (!c.connected()) {
    HttpReply r;
    r.error = "cannot connect to 127.0.0.1:" + std::to_string(port);
    return r;
  }
  return c.Request(method, target, body, extra);
}

std::string JsonStr(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject() || !v.HasMember(name)) return "<absent>";
  const rapidjson::Value& m = v[name];
  if (!m.IsString()) return "<not a string>";
  return std::string(m.GetString(), m.GetStringLength());
}

std::string JsonText(const rapidjson::Value& v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  v.Accept(w);
  return std::string(sb.GetString(), sb.GetSize());
}

int UnusedTcpPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
    socklen_t len = sizeof(a);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

}  // namespace pykv::it
