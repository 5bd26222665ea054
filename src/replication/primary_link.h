// PrimaryLink: a replica's link to its primary. It connects (net::Connector), does the
// handshake as Redis's replicas do (PING, AUTH, REPLCONF listening-port / ip-address,
// REPLCONF capa eof capa psync2, PSYNC <replid> <offset+1>), then either continues from
// its own offset (+CONTINUE) or receives the primary's snapshot (+FULLRESYNC, one "$<len>"
// bulk written to a temp file and loaded through the hooks), and from then on applies the
// primary's stream command by command. Every command's bytes go into this server's own
// journal unchanged, so its offset stays the primary's (its own replicas and its AOF read
// the same bytes). It acknowledges its offset every second and when asked (REPLCONF
// GETACK), drops a silent link after repl-timeout, reconnects with back-off, and logs each
// step as Redis does.
//
// Owned by the server's Replication while the server is a replica; loop thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "common/clock.h"
#include "common/status.h"
#include "journal/journal.h"
#include "net/connection.h"
#include "net/connector.h"
#include "replication/replication_ids.h"
#include "resp/request_parser.h"

namespace pykv::replication {

struct PrimaryLinkOptions {
  std::string host;
  int port = 0;
  std::string auth_user;  // masteruser ("" = AUTH <password> alone)
  std::string auth_pass;  // masterauth ("" = no AUTH)
  int announce_port = 0;  // REPLCONF listening-port
  std::string announce_ip;
  int timeout_s = 60;                // repl-timeout
  std::string temp_dir = ".";        // where the received snapshot is written
  const resp::ParserLimits* limits;  // for the stream
};

// What the link needs of the server.
class PrimaryLinkHooks {
 public:
  virtual ~PrimaryLinkHooks() = default;
  // Replaces the data set with the snapshot at path (a full synchronisation).
  virtual Status LoadSnapshot(const std::string& path) = 0;
  // Runs one command of the primary's stream, stream.argv(); the parser also shows the
  // commands buffered behind it (PeekSecondArgs), whose keys may be prefetched. False
  // while the command left a transaction open (MULTI and what it queued): the offset
  // moves only once EXEC ran, so a link lost inside a transaction resumes from its MULTI,
  // never from half of it.
  virtual bool Apply(const resp::RequestParser& stream) = 0;
  // A stream begins (after +CONTINUE or a loaded snapshot): anything left of the last one
  // (an open transaction) is dropped.
  virtual void OnStreamStart() = 0;
  // The journal continues at the primary's offset (after a full synchronisation).
  virtual void AdoptOffset(uint64_t offset) = 0;
};

class PrimaryLink final : public net::ConnectionHandler {
 public:
  // Redis's repl_state names as ROLE shows them.
  enum class State { kConnect, kConnecting, kHandshake, kTransfer, kConnected };

  PrimaryLink(uv_loop_t* loop, journal::Journal* journal, ReplicationIds* ids, const Clock* clock,
              PrimaryLinkHooks* hooks, PrimaryLinkOptions opts);
  ~PrimaryLink() override;
  PrimaryLink(const PrimaryLink&) = delete;
  PrimaryLink& operator=(const PrimaryLink&) = delete;

  // Connects now (and again after every loss, with back-off, until stopped).
  void Start();
  // Closes the link for good (REPLICAOF elsewhere, NO ONE, shutdown). The link may be
  // destroyed once idle(): its connection's close callback has run.
  void Stop();
  bool idle() const;
  // Once per cron tick: reconnection, acknowledgements, timeouts.
  void Cron();
  // REPLCONF GETACK: acknowledge at once.
  void SendAck();

  // The options changed (CONFIG SET): repl-timeout counts from now on, AUTH and the
  // announced address are sent at the next handshake. Same primary (host and port).
  void set_options(PrimaryLinkOptions o) { opts_ = std::move(o); }

  State state() const { return state_; }
  const char* state_name() const;  // ROLE: connect, connecting, handshake, sync, connected
  bool up() const { return state_ == State::kConnected; }
  const PrimaryLinkOptions& options() const { return opts_; }
  // INFO replication figures.
  int64_t last_io_seconds_ago() const;
  int64_t down_since_seconds() const;  // -1 while up
  bool sync_in_progress() const { return state_ == State::kTransfer; }
  uint64_t transfer_size() const { return bulk_size_; }
  uint64_t transfer_read() const { return bulk_read_; }
  // Bytes received from the primary's stream, processed or not (slave_read_repl_offset).
  uint64_t read_offset() const;

  // net::ConnectionHandler
  std::span<char> OnReadBuffer(size_t suggested) override;
  void OnRead(size_t n) override;
  void OnClose() override;

 private:
  enum class Step { kPong, kAuth, kPort, kIp, kCapa, kPsync, kBulkHeader, kBulk };
  void Connected(std::unique_ptr<net::Connection> conn);
  void Send(std::span<const std::string_view> argv);
  void SendHandshake();
  // Consumes handshake lines from in_; false when it stopped early (a failure, or the
  // rest of the bytes belonged to the snapshot or the stream and went there).
  bool HandleLines();
  bool HandleReply(std::string_view line);
  bool BeginBulk(std::string_view header);
  // Snapshot bytes; at the end loads the snapshot and starts the stream with the rest.
  bool WriteBulk(std::string_view bytes);
  void StartStream(std::string_view leftover);
  void ProcessStream();
  // Drops the connection and schedules a reconnection.
  void Fail(const std::string& why);
  void Retry();
  void Disconnect();

  uv_loop_t* loop_;
  journal::Journal* journal_;
  ReplicationIds* ids_;
  const Clock* clock_;
  PrimaryLinkHooks* hooks_;
  PrimaryLinkOptions opts_;
  State state_ = State::kConnect;
  Step step_ = Step::kPong;
  net::Connector connector_;
  std::unique_ptr<net::Connection> conn_;
  // Handshake and snapshot bytes; the stream goes into parser_ instead.
  std::string in_;
  char scratch_[64 * 1024];
  std::unique_ptr<resp::RequestParser> parser_;
  // Bytes of a transaction applied but not yet counted (see PrimaryLinkHooks::Apply).
  std::string held_;
  std::string bulk_path_;
  int bulk_fd_ = -1;
  uint64_t bulk_size_ = 0;
  uint64_t bulk_read_ = 0;
  std::string full_replid_;
  uint64_t full_offset_ = 0;
  int64_t last_io_ms_ = 0;
  int64_t down_since_ms_ = 0;
  int64_t next_attempt_ms_ = 0;
  int64_t last_ack_ms_ = 0;
  int failures_ = 0;
  bool closing_ = false;  // conn_ is closing: its OnClose is expected
  bool stopped_ = false;
};

}  // namespace pykv::replication
