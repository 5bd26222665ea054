#include "http/request_reader.h"

#include <strings.h>

#include <utility>

namespace pykv::http {

namespace {
RequestReader* Self(http_parser* p) {
  return static_cast<RequestReader*>(p->data);
}
bool Is(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}
}  // namespace

RequestReader::RequestReader(const ReaderLimits* limits) : limits_(limits) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  http_parser_settings_init(&settings_);
  settings_.on_message_begin = &RequestReader::OnMessageBegin;
  settings_.on_url = &RequestReader::OnUrl;
  settings_.on_header_field = &RequestReader::OnHeaderField;
  settings_.on_header_value = &RequestReader::OnHeaderValue;
  settings_.on_headers_complete = &RequestReader::OnHeadersComplete;
  settings_.on_body = &RequestReader::OnBody;
  settings_.on_message_complete = &RequestReader::OnMessageComplete;
}

void RequestReader::Feed(std::string_view bytes) {
  if (error_status_ != 0 || bytes.empty()) return;
  const size_t used = http_parser_execute(&parser_, &settings_, bytes.data(), bytes.size());
  if (error_status_ != 0) return;
  const http_errno err = HTTP_PARSER_ERRNO(&parser_);
  if (err != HPE_OK) {
    error_status_ = err == HPE_HEADER_OVERFLOW ? 431 : 400;
    error_ = http_errno_description(err);
    return;
  }
  if (parser_.upgrade || used != bytes.size()) {
    error_status_ = 400;
    error_ = "protocol upgrades are not supported";
  }
}

int RequestReader::Fail(int status, std::string message) {
  error_status_ = status;
  error_ = std::move(message);
  return -1;  // stops http_parser_execute
}

bool RequestReader::CountHeaderBytes(size_t n) {
  header_bytes_ += n;
  return header_bytes_ <= limits_->max_header_bytes;
}

int RequestReader::OnMessageBegin(http_parser* p) {
  RequestReader* r = Self(p);
  r->current_ = HttpRequest();
  r->field_.clear();
  r->value_.clear();
  r->in_value_ = false;
  r->in_message_ = true;
  r->header_bytes_ = 0;
  r->expect_continue_ = false;
  r->continue_wanted_ = false;
  ++r->requests_begun_;
  return 0;
}

int RequestReader::OnUrl(http_parser* p, const char* at, size_t n) {
  RequestReader* r = Self(p);
  if (!r->CountHeaderBytes(n)) return r->Fail(414, "request target too long");
  r->current_.target.append(at, n);
  return 0;
}

int RequestReader::OnHeaderField(http_parser* p, const char* at, size_t n) {
  RequestReader* r = Self(p);
  if (r->in_value_) {
    r->TakeHeader();
    r->in_value_ = false;
  }
  // A new header line also carries ": " and CRLF, which no callback shows: without them
  // many short headers would add up to far more than the limit on the wire.
  const size_t line_overhead = r->field_.empty() ? 4 : 0;
  if (!r->CountHeaderBytes(n + line_overhead)) {
    return r->Fail(431, "request header fields too large");
  }
  r->field_.append(at, n);
  return 0;
}

int RequestReader::OnHeaderValue(http_parser* p, const char* at, size_t n) {
  RequestReader* r = Self(p);
  if (!r->CountHeaderBytes(n)) return r->Fail(431, "request header fields too large");
  r->in_value_ = true;
  r->value_.append(at, n);
  return 0;
}

void RequestReader::TakeHeader() {
  if (Is(field_, "authorization")) {
    current_.authorization = value_;
  } else if (Is(field_, "content-type")) {
    current_.content_type = value_;
  } else if (Is(field_, "expect")) {
    expect_continue_ = Is(value_, "100-continue");
  }
  field_.clear();
  value_.clear();
}

int RequestReader::OnHeadersComplete(http_parser* p) {
  RequestReader* r = Self(p);
  if (r->in_value_) r->TakeHeader();
  r->in_value_ = false;
  r->current_.method = http_method_str(static_cast<http_method>(p->method));
  r->current_.head = p->method == HTTP_HEAD;
  r->current_.keep_alive = http_should_keep_alive(p) != 0;
  if ((p->flags & F_CONTENTLENGTH) != 0 && p->content_length > r->limits_->max_body_bytes) {
    return r->Fail(413, "request body too large");
  }
  // An HTTP/1.0 request's expectation is ignored, as RFC 9110 requires.
  const bool has_body =
      (p->flags & F_CHUNKED) != 0 || ((p->flags & F_CONTENTLENGTH) != 0 && p->content_length > 0);
  r->continue_wanted_ = r->expect_continue_ && has_body && p->http_major == 1 && p->http_minor >= 1;
  return 0;
}

int RequestReader::OnBody(http_parser* p, const char* at, size_t n) {
  RequestReader* r = Self(p);
  // Chunked bodies have no length up front: the limit is checked as they arrive.
  if (r->current_.body.size() + n > r->limits_->max_body_bytes) {
    return r->Fail(413, "request body too large");
  }
  r->current_.body.append(at, n);
  return 0;
}

int RequestReader::OnMessageComplete(http_parser* p) {
  RequestReader* r = Self(p);
  r->current_.keep_alive = http_should_keep_alive(p) != 0;
  r->done_.push_back(std::move(r->current_));
  r->current_ = HttpRequest();
  r->in_message_ = false;
  r->header_bytes_ = 0;
  r->continue_wanted_ = false;
  return 0;
}

bool RequestReader::TakeContinue() {
  const bool wanted = continue_wanted_ && in_message_ && error_status_ == 0;
  continue_wanted_ = false;
  return wanted;
}

}  // namespace pykv::http
