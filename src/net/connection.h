// Connection: one TCP connection, accepted (Listener) or opened (Connector). Bytes in go to a ConnectionHandler; bytes out
// are appended to output() and sent by Flush(), which tries uv_try_write first and queues
// the rest as a single uv_write. A Connection is owned by whoever the Listener handed it
// to, but may be destroyed only after its handler's OnClose() ran (libuv frees the handle
// in a close callback): the owner must Close() it, and may destroy it inside OnClose().
// Loop thread only.
#pragma once

#include <sys/uio.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "common/out_buffer.h"

namespace pykv::net {

class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  // Where the next read should land: at least 1 byte of space.
  virtual std::span<char> OnReadBuffer(size_t suggested) = 0;
  // n bytes were read into the last buffer handed out.
  virtual void OnRead(size_t n) = 0;
  // The peer closed, an error happened, or Close() completed. Called once, from libuv's close
  // callback; the owner may destroy the Connection in it or afterwards. A peer that only
  // shuts down its write side (EOF) first gets the output already queued for it.
  virtual void OnClose() = 0;
  // All queued output was written (the owner may resume reading). Called whenever a
  // Flush() or a queued write empties a non-empty output, unless the connection is closing.
  virtual void OnDrained() {}
};

class Connection {
 public:
  explicit Connection(uv_loop_t* loop);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Called by the Listener after the handle is initialised and accepted.
  uv_tcp_t* handle() { return &tcp_; }
  // Starts reading into the handler. Call once after accept.
  void Start(ConnectionHandler* handler);

  // Append replies here. Never Clear() it while pending_output() > 0: a queued write may
  // still point into its chunks.
  OutBuffer& output() { return out_; }
  // Bytes queued and not yet acknowledged by the kernel.
  size_t pending_output() const { return out_.size(); }
  // Sends what output() holds: try_write first, then one queued write for the rest.
  void Flush();
  void PauseReading();
  void ResumeReading();
  bool reading() const { return reading_; }
  // Closes now, dropping unsent output.
  void Close();
  // Sends what is queued, then closes (QUIT, protocol errors). Stops reading; the sending
  // itself is still started by the owner's next Flush().
  void CloseAfterFlush();
  bool closing() const { return closing_ || close_after_flush_; }

  void SetNoDelay(bool on);
  void SetKeepAlive(int seconds);  // 0 = off

  // "127.0.0.1:53422" style (IPv6 as "::1:53422", no brackets), like Redis's CLIENT LIST
  // addr. Filled by the Listener on accept.
  const std::string& peer_address() const { return peer_; }
  const std::string& local_address() const { return local_; }
  bool peer_is_loopback() const { return peer_loopback_; }
  int fd() const;

  // Bytes read for one connection in one loop iteration. libuv would read a readable socket
  // up to 32 times 64 KB per event, so one client streaming a pipeline could run tens of
  // thousands of commands while everyone else waits. Past the budget, OnAlloc hands libuv
  // an empty buffer: uv__read then stops with UV_ENOBUFS, keeps the read watcher armed, and
  // (epoll being level-triggered) the socket is read again on the next iteration, after
  // the other ready connections had their turn. 16 KB is what Redis reads per event;
  // measured with tools/probe-fairness.py, it keeps a bystander's p99 under Redis's while
  // two clients flood pipelines, with no loss of pipelined throughput (larger budgets only
  // lengthen the bystander's wait).
  static constexpr size_t kReadBudgetPerTurn = 16 * 1024;
  // A connection that carries bulk data the server itself asked for (a replica's link to
  // its primary) may read more per turn.
  void set_read_budget(size_t bytes) { read_budget_ = bytes; }

 private:
  static void OnAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void OnReadCb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  static void OnWriteCb(uv_write_t* req, int status);
  static void OnCloseCb(uv_handle_t* h);
  // Writes what it can now and queues one uv_write for the rest.
  void WriteSome();
  void StartQueuedWrite();
  // After the write side emptied: close (CloseAfterFlush) or tell the handler.
  void AfterDrain();

  // The Listener fills the addresses and socket options after uv_accept, and hands a
  // connection it could not accept to CloseOrphan().
  friend class Listener;
  // The Connector does the same after an outgoing connect completes.
  friend class Connector;
  // False when the peer is already gone (no address to read).
  [[nodiscard]] bool InitAfterAccept();
  // Closes a connection nobody owns; it frees itself in its close callback.
  static void CloseOrphan(std::unique_ptr<Connection> conn);

  // iovecs handed to uv_try_write per call (the kernel caps writev at IOV_MAX anyway).
  static constexpr size_t kMaxTryIov = 64;
  // iovecs per queued uv_write: libuv copies up to 4 into the request itself and mallocs
  // beyond that, so staying at 4 keeps the write path free of allocations.
  static constexpr size_t kMaxQueuedIov = 4;

  uv_tcp_t tcp_;
  uv_write_t write_req_;
  ConnectionHandler* handler_ = nullptr;
  OutBuffer out_;
  size_t in_flight_ = 0;  // bytes at the front of out_ owned by a pending uv_write
  bool write_pending_ = false;
  bool reading_ = false;
  bool closing_ = false;
  bool closed_ = false;  // the close callback ran: safe to destroy
  bool close_after_flush_ = false;
  // Bytes read since libuv last returned from reading this socket (a short read, EAGAIN,
  // or a yield all end its read loop, which the next loop iteration starts again).
  size_t read_this_turn_ = 0;
  size_t read_budget_ = kReadBudgetPerTurn;
  std::unique_ptr<Connection> self_;  // set only for an orphan being closed
  struct iovec iov_[kMaxTryIov];
  std::string peer_;
  std::string local_;
  bool peer_loopback_ = false;
};

}  // namespace pykv::net
