#include "replication/primary_link.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "common/numbers.h"
#include "resp/command_encoder.h"

namespace pykv::replication {

namespace {
// Reconnection back-off: the first retry comes at once (a primary restarting is back in
// moments), later ones spaced out up to this.
constexpr int64_t kMaxBackoffMs = 2000;
constexpr int64_t kAckEveryMs = 1000;
constexpr size_t kLinkReadBudget = 1024 * 1024;

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}
}  // namespace

PrimaryLink::PrimaryLink(uv_loop_t* loop, journal::Journal* journal, ReplicationIds* ids,
                         const Clock* clock, PrimaryLinkHooks* hooks, PrimaryLinkOptions opts)
    : loop_(loop),
      journal_(journal),
      ids_(ids),
      clock_(clock),
      hooks_(hooks),
      opts_(std::move(opts)),
      connector_(loop) {
  down_since_ms_ = clock_->NowMs();
}

PrimaryLink::~PrimaryLink() {
  Disconnect();
}

bool PrimaryLink::idle() const {
  return conn_ == nullptr;
}

void PrimaryLink::Stop() {
  stopped_ = true;
  connector_.Cancel();
  Disconnect();
}

const char* PrimaryLink::state_name() const {
  switch (state_) {
    case State::kConnect:
      return "connect";
    case State::kConnecting:
      return "connecting";
    case State::kHandshake:
      return "handshake";
    case State::kTransfer:
      return "sync";
    case State::kConnected:
      return "connected";
  }
  return "connect";
}

void PrimaryLink::Start() {
  if (stopped_ || conn_ != nullptr || connector_.busy()) return;
  spdlog::info("Connecting to MASTER {}:{}", opts_.host, opts_.port);
  spdlog::info("MASTER <-> REPLICA sync started");
  state_ = State::kConnecting;
  connector_.Start(opts_.host, opts_.port, static_cast<uint64_t>(opts_.timeout_s) * 1000,
                   [this](StatusOr<std::unique_ptr<net::Connection>> r) {
                     if (!r.ok()) {
                       spdlog::warn("Error condition on socket for SYNC: {}", r.status().message());
                       Retry();
                       return;
                     }
                     Connected(std::move(*r));
                   });
}

void PrimaryLink::Connected(std::unique_ptr<net::Connection> conn) {
  spdlog::info("Non blocking connect for SYNC fired the event.");
  conn_ = std::move(conn);
  closing_ = false;
  // The snapshot and the stream are this server's own business: read them in large
  // pieces (clients still get their turn between them).
  conn_->set_read_budget(kLinkReadBudget);
  conn_->Start(this);
  state_ = State::kHandshake;
  last_io_ms_ = clock_->NowMs();
  in_.clear();
  step_ = Step::kPong;
  std::string_view ping[] = {"PING"};
  Send(ping);
}

void PrimaryLink::Send(std::span<const std::string_view> argv) {
  if (conn_ == nullptr || conn_->closing()) return;
  conn_->output().Append(resp::EncodeCommand(argv));
  conn_->Flush();
}

void PrimaryLink::SendHandshake() {
  // Pipelined, as Redis's replicas send them; the replies come back in this order.
  if (!opts_.auth_pass.empty()) {
    if (opts_.auth_user.empty()) {
      std::string_view auth[] = {"AUTH", opts_.auth_pass};
      Send(auth);
    } else {
      std::string_view auth[] = {"AUTH", opts_.auth_user, opts_.auth_pass};
      Send(auth);
    }
  }
  const std::string port = std::to_string(opts_.announce_port);
  std::string_view listening[] = {"REPLCONF", "listening-port", port};
  Send(listening);
  if (!opts_.announce_ip.empty()) {
    std::string_view ip[] = {"REPLCONF", "ip-address", opts_.announce_ip};
    Send(ip);
  }
  std::string_view capa[] = {"REPLCONF", "capa", "eof", "capa", "psync2"};
  Send(capa);
  step_ = opts_.auth_pass.empty() ? Step::kPort : Step::kAuth;
}

std::span<char> PrimaryLink::OnReadBuffer(size_t suggested) {
  if (parser_ != nullptr) return parser_->PrepareWrite(suggested);
  return std::span<char>(scratch_, sizeof(scratch_));
}

void PrimaryLink::OnRead(size_t n) {
  last_io_ms_ = clock_->NowMs();
  if (parser_ != nullptr) {
    parser_->CommitWrite(n);
    ProcessStream();
    return;
  }
  if (step_ == Step::kBulk) {
    WriteBulk(std::string_view(scratch_, n));
    return;
  }
  in_.append(scratch_, n);
  HandleLines();
}

bool PrimaryLink::HandleLines() {
  while (conn_ != nullptr && !closing_ && parser_ == nullptr) {
    if (step_ == Step::kBulk) {
      std::string rest = std::move(in_);
      in_.clear();
      return WriteBulk(rest);
    }
    const size_t nl = in_.find('\n');
    if (nl == std::string::npos) return true;
    std::string line = in_.substr(0, nl);
    in_.erase(0, nl + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (step_ == Step::kBulkHeader) {
      // Newlines are the primary's keepalive while it writes the snapshot.
      if (line.empty()) continue;
      if (!BeginBulk(line)) return false;
      continue;
    }
    if (!HandleReply(line)) return false;
  }
  return true;
}

bool PrimaryLink::HandleReply(std::string_view line) {
  const bool error = StartsWith(line, "-");
  switch (step_) {
    case Step::kPong:
      // A primary that wants AUTH answers PING with an error; that is still an answer.
      if (error && !StartsWith(line, "-NOAUTH") && !StartsWith(line, "-NOPERM") &&
          !StartsWith(line, "-ERR operation not permitted")) {
        Fail("Error reply to PING from master: '" + std::string(line) + "'");
        return false;
      }
      spdlog::info("Master replied to PING, replication can continue...");
      SendHandshake();
      return true;
    case Step::kAuth:
      if (error) {
        Fail("Unable to AUTH to MASTER: " + std::string(line));
        return false;
      }
      step_ = Step::kPort;
      return true;
    case Step::kPort:
      if (error) {
        spdlog::info("(Non critical) Master does not understand REPLCONF listening-port: {}", line);
      }
      step_ = opts_.announce_ip.empty() ? Step::kCapa : Step::kIp;
      return true;
    case Step::kIp:
      if (error) {
        spdlog::info("(Non critical) Master does not understand REPLCONF ip-address: {}", line);
      }
      step_ = Step::kCapa;
      return true;
    case Step::kCapa: {
      if (error) spdlog::info("(Non critical) Master does not understand REPLCONF capa: {}", line);
      // Our own history and offset: the primary continues from there if it can.
      const std::string offset = std::to_string(journal_->offset() + 1);
      spdlog::info("Trying a partial resynchronization (request {}:{}).", ids_->replid, offset);
      std::string_view psync[] = {"PSYNC", ids_->replid, offset};
      Send(psync);
      step_ = Step::kPsync;
      return true;
    }
    case Step::kPsync:
      if (StartsWith(line, "+FULLRESYNC")) {
        std::vector<std::string_view> parts;
        size_t pos = 0;
        while (pos <= line.size()) {
          size_t sp = line.find(' ', pos);
          if (sp == std::string_view::npos) sp = line.size();
          parts.push_back(line.substr(pos, sp - pos));
          pos = sp + 1;
        }
        int64_t offset = 0;
        if (parts.size() != 3 || parts[1].size() != 40 || !ParseInt64(parts[2], &offset) ||
            offset < 0) {
          Fail("Master replied with wrong +FULLRESYNC syntax.");
          return false;
        }
        full_replid_ = std::string(parts[1]);
        full_offset_ = static_cast<uint64_t>(offset);
        spdlog::info("Full resync from master: {}:{}", full_replid_, full_offset_);
        state_ = State::kTransfer;
        step_ = Step::kBulkHeader;
        return true;
      }
      if (StartsWith(line, "+CONTINUE")) {
        std::string_view id = line.size() > 10 ? line.substr(10) : std::string_view();
        if (id.size() == 40 && id != ids_->replid) {
          // The primary was promoted since: our history goes on under its new name, and
          // our own replicas may still continue from the old one.
          ids_->replid2 = ids_->replid;
          ids_->second_offset = static_cast<int64_t>(journal_->offset()) + 1;
          ids_->replid = std::string(id);
          spdlog::info("Master replication ID changed to {}", ids_->replid);
        }
        spdlog::info("Successful partial resynchronization with master.");
        spdlog::info("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
        std::string rest = std::move(in_);
        in_.clear();
        StartStream(rest);
        return false;  // the rest was the stream's
      }
      if (StartsWith(line, "-NOMASTERLINK") || StartsWith(line, "-LOADING")) {
        Fail("Master is currently unable to PSYNC but should be in the future: " +
             std::string(line));
        return false;
      }
      Fail("Unexpected reply to PSYNC from master: " + std::string(line));
      return false;
    case Step::kBulkHeader:
    case Step::kBulk:
      break;
  }
  return true;
}

bool PrimaryLink::BeginBulk(std::string_view header) {
  int64_t size = -1;
  if (header.size() < 2 || header[0] != '$' || StartsWith(header, "$EOF:") ||
      !ParseInt64(header.substr(1), &size) || size < 0) {
    Fail("Bad protocol from MASTER, the first byte is not '$' (we received '" +
         std::string(header) + "'), are you sure the host and port are right?");
    return false;
  }
  bulk_path_ = opts_.temp_dir + "/temp-sync-" + std::to_string(getpid()) + ".pkv";
  bulk_fd_ = ::open(bulk_path_.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (bulk_fd_ < 0) {
    Fail("Opening the temp file needed for MASTER <-> REPLICA synchronization: " +
         std::string(std::strerror(errno)));
    return false;
  }
  bulk_size_ = static_cast<uint64_t>(size);
  bulk_read_ = 0;
  step_ = Step::kBulk;
  spdlog::info("MASTER <-> REPLICA sync: receiving {} bytes from master to disk", bulk_size_);
  if (bulk_size_ == 0) return WriteBulk({});
  return true;
}

bool PrimaryLink::WriteBulk(std::string_view bytes) {
  const size_t take =
      static_cast<size_t>(std::min<uint64_t>(bytes.size(), bulk_size_ - bulk_read_));
  size_t done = 0;
  while (done < take) {
    const ssize_t w = ::write(bulk_fd_, bytes.data() + done, take - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      Fail(
          "Write error or short write writing to the DB dump file needed for MASTER <-> "
          "REPLICA synchronization: " +
          std::string(std::strerror(errno)));
      return false;
    }
    done += static_cast<size_t>(w);
  }
  bulk_read_ += take;
  if (bulk_read_ < bulk_size_) return true;
  ::close(bulk_fd_);
  bulk_fd_ = -1;
  spdlog::info("MASTER <-> REPLICA sync: Flushing old data");
  spdlog::info("MASTER <-> REPLICA sync: Loading DB in memory");
  Status st = hooks_->LoadSnapshot(bulk_path_);
  ::unlink(bulk_path_.c_str());
  bulk_path_.clear();
  if (!st.ok()) {
    Fail("Failed trying to load the MASTER synchronization DB from disk: " + st.message());
    return false;
  }
  ids_->Adopt(full_replid_);
  hooks_->AdoptOffset(full_offset_);
  spdlog::info("MASTER <-> REPLICA sync: Finished with success");
  StartStream(bytes.substr(take));
  return false;
}

void PrimaryLink::StartStream(std::string_view leftover) {
  state_ = State::kConnected;
  down_since_ms_ = 0;
  failures_ = 0;
  parser_ = std::make_unique<resp::RequestParser>(opts_.limits);
  held_.clear();
  hooks_->OnStreamStart();
  parser_->Append(leftover);
  SendAck();
  ProcessStream();
}

void PrimaryLink::ProcessStream() {
  while (parser_ != nullptr && !closing_) {
    const resp::RequestParser::Result r = parser_->Next();
    if (r == resp::RequestParser::Result::kNeedMore) break;
    if (r == resp::RequestParser::Result::kError) {
      Fail("Protocol error in the stream from MASTER: " + parser_->error());
      return;
    }
    const std::string_view bytes = parser_->last_bytes();
    const bool settled = hooks_->Apply(*parser_);
    if (parser_ == nullptr) return;  // the command ended the link
    if (!settled) {
      held_.append(bytes);
    } else if (held_.empty()) {
      journal_->AppendEncoded(bytes);
    } else {
      held_.append(bytes);
      journal_->AppendEncoded(held_);
      held_.clear();
    }
  }
  if (parser_ != nullptr) parser_->Compact();
}

void PrimaryLink::SendAck() {
  if (state_ != State::kConnected) return;
  last_ack_ms_ = clock_->NowMs();
  const std::string offset = std::to_string(journal_->offset());
  std::string_view ack[] = {"REPLCONF", "ACK", offset};
  Send(ack);
}

void PrimaryLink::Cron() {
  if (stopped_) return;
  const int64_t now = clock_->NowMs();
  if (state_ == State::kConnect && conn_ == nullptr && now >= next_attempt_ms_) Start();
  if (state_ == State::kConnected && now - last_ack_ms_ >= kAckEveryMs) SendAck();
  const int64_t timeout_ms = static_cast<int64_t>(opts_.timeout_s) * 1000;
  if (conn_ != nullptr && !closing_ && now - last_io_ms_ > timeout_ms) {
    if (state_ == State::kConnected) {
      Fail("MASTER timeout: no data nor PING received...");
    } else if (state_ == State::kTransfer) {
      Fail(
          "Timeout receiving bulk data from MASTER... If the problem persists try to set the "
          "'repl-timeout' parameter in pykv.conf to a larger value.");
    } else {
      Fail("Timeout connecting to the MASTER...");
    }
  }
}

void PrimaryLink::Retry() {
  state_ = State::kConnect;
  ++failures_;
  const int64_t delay =
      failures_ <= 1 ? 0 : std::min<int64_t>(kMaxBackoffMs, int64_t{100} << std::min(failures_, 8));
  next_attempt_ms_ = clock_->NowMs() + delay;
  if (down_since_ms_ == 0) down_since_ms_ = clock_->NowMs();
}

void PrimaryLink::Fail(const std::string& why) {
  spdlog::warn("{}", why);
  Disconnect();
  Retry();
}

void PrimaryLink::Disconnect() {
  if (bulk_fd_ >= 0) {
    ::close(bulk_fd_);
    bulk_fd_ = -1;
  }
  if (!bulk_path_.empty()) {
    ::unlink(bulk_path_.c_str());
    bulk_path_.clear();
  }
  parser_.reset();
  held_.clear();
  in_.clear();
  if (conn_ != nullptr && !closing_) {
    closing_ = true;
    conn_->Close();
  }
  if (state_ == State::kConnected || state_ == State::kTransfer || state_ == State::kHandshake) {
    state_ = State::kConnect;
  }
}

void PrimaryLink::OnClose() {
  const bool expected = closing_;
  closing_ = false;
  conn_.reset();  // inside its close callback: allowed by net::Connection's contract
  if (expected || stopped_) return;
  spdlog::warn("Connection with master lost.");
  spdlog::info("Caching the disconnected master state.");
  Disconnect();
  Retry();
  if (next_attempt_ms_ <= clock_->NowMs()) {
    spdlog::info("Reconnecting to MASTER {}:{}", opts_.host, opts_.port);
  }
}

int64_t PrimaryLink::last_io_seconds_ago() const {
  if (state_ != State::kConnected) return -1;
  return (clock_->NowMs() - last_io_ms_) / 1000;
}

int64_t PrimaryLink::down_since_seconds() const {
  if (state_ == State::kConnected || down_since_ms_ == 0) return -1;
  return (clock_->NowMs() - down_since_ms_) / 1000;
}

uint64_t PrimaryLink::read_offset() const {
  return journal_->offset() + held_.size() + (parser_ != nullptr ? parser_->buffered() : 0);
}

}  // namespace pykv::replication
