// FakeHttpServer: a tiny HTTP/1.1 server on a loopback port for pykv-cli's HTTP mode
// tests, standing in for servers the tests cannot start (a replica whose /health says
// "slave", one refusing writes as READONLY). A handler chooses each answer; requests are
// framed by libhttp-parser and each is answered with Connection: close. Serves from its own
// thread until destroyed; every wait in it is bounded by a short poll, so the destructor
// returns promptly. Used by tests/unit/cli and tests/integration (one thread drives it).
#pragma once

#include <arpa/inet.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace pykv::testing {

struct FakeAnswer {
  int status = 200;
  std::string body;
};

class FakeHttpServer {
 public:
  // Called on the server's thread with the method ("GET") and target ("/health").
  using Handler = std::function<FakeAnswer(const std::string& method, const std::string& target)>;

  explicit FakeHttpServer(Handler handler) : handler_(std::move(handler)) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
        listen(fd_, 16) != 0 || getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      return;
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeHttpServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) close(fd_);
  }
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  // 0 when the socket could not be set up.
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // "GET /health", one per request answered so far.
  std::vector<std::string> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  struct Parsed {
    std::string target;
    bool complete = false;
  };

  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const int conn = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) continue;
      ServeOne(conn);
      close(conn);
    }
  }

  void ServeOne(int conn) {
    http_parser parser;
    http_parser_init(&parser, HTTP_REQUEST);
    Parsed parsed;
    parser.data = &parsed;
    http_parser_settings settings;
    http_parser_settings_init(&settings);
    settings.on_url = [](http_parser* p, const char* at, size_t n) {
      static_cast<Parsed*>(p->data)->target.append(at, n);
      return 0;
    };
    settings.on_message_complete = [](http_parser* p) {
      static_cast<Parsed*>(p->data)->complete = true;
      return 0;
    };
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    char buf[4096];
    while (!parsed.complete && !stop_ && std::chrono::steady_clock::now() < deadline) {
      pollfd p{conn, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = read(conn, buf, sizeof(buf));
      if (n <= 0) return;
      http_parser_execute(&parser, &settings, buf, static_cast<size_t>(n));
      if (parser.http_errno != HPE_OK) return;
    }
    if (!parsed.complete) return;
    const std::string method = http_method_str(static_cast<http_method>(parser.method));
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(method + " " + parsed.target);
    }
    const FakeAnswer answer = handler_(method, parsed.target);
    const std::string response = "HTTP/1.1 " + std::to_string(answer.status) +
                                 " Fake\r\nContent-Type: application/json\r\nContent-Length: " +
                                 std::to_string(answer.body.size()) +
                                 "\r\nConnection: close\r\n\r\n" + answer.body;
    size_t sent = 0;
    while (sent < response.size()) {
      const ssize_t n = send(conn, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<size_t>(n);
    }
  }

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<std::string> requests_;
};

// A replica as /health and /kv show it: role "slave", writes refused as READONLY, reads
// of any key answering 404.
inline FakeAnswer ReplicaAnswer(const std::string& method, const std::string& target) {
  if (target == "/health") {
    return {200,
            R"({"status":"ok","role":"slave","loading":false,"aof":"off","uptime_seconds":1})"};
  }
  if (method == "POST" || method == "PUT" || method == "DELETE") {
    return {409, R"({"detail":"READONLY You can't write against a read only replica."})"};
  }
  return {404, R"({"detail":"Key not found"})"};
}

}  // namespace pykv::testing
