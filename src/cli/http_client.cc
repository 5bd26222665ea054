#include "cli/http_client.h"

#include <curl/curl.h>

#include <cstring>
#include <mutex>

namespace pykv::cli {
namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistFree>;

// curl_slist_append returns a new head (or null on allocation failure, leaving the old
// list intact), so the owner is updated only on success.
bool AddHeader(Slist* list, const std::string& header) {
  curl_slist* head = curl_slist_append(list->get(), header.c_str());
  if (head == nullptr) return false;
  (void)list->release();
  list->reset(head);
  return true;
}

}  // namespace

struct HttpClient::Handle {
  struct EasyFree {
    void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
  };
  std::unique_ptr<CURL, EasyFree> curl;
  char error[CURL_ERROR_SIZE] = {};
};

HttpClient::HttpClient(uint64_t timeout_ms, std::string token)
    : handle_(std::make_unique<Handle>()), timeout_ms_(timeout_ms), token_(std::move(token)) {
  GlobalInitOnce();
  handle_->curl.reset(curl_easy_init());
}

HttpClient::~HttpClient() = default;

bool HttpClient::Request(std::string_view method, const std::string& url, std::string_view body,
                         HttpResponse* response, HttpFailure* failure) {
  CURL* curl = handle_->curl.get();
  if (curl == nullptr) {
    failure->message = "cannot initialise libcurl";
    failure->not_sent = true;
    return false;
  }
  response->status = 0;
  response->body.clear();
  handle_->error[0] = '\0';

  Slist headers;
  bool headers_ok = AddHeader(&headers, "Accept: application/json");
  // libcurl would wait for "100 Continue" before sending a large body; the server answers
  // without it, so that would only add a round trip.
  headers_ok = headers_ok && AddHeader(&headers, "Expect:");
  if (!body.empty() || method == "POST" || method == "PUT") {
    headers_ok = headers_ok && AddHeader(&headers, "Content-Type: application/json");
  }
  if (!token_.empty())
    headers_ok = headers_ok && AddHeader(&headers, "Authorization: Bearer " + token_);
  if (!headers_ok) {
    failure->message = "out of memory";
    failure->not_sent = true;
    return false;
  }

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROXY, "");  // "" disables proxies, even from the environment
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, handle_->error);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms_));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_ms_));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response->body);
  const std::string method_text(method);
  if (method == "POST" || method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method == "PUT" ? method_text.c_str() : nullptr);
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method == "GET" ? nullptr : method_text.c_str());
  }

  const CURLcode code = curl_easy_perform(curl);
  // The header list and method text die with this call: the handle must not keep them.
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, nullptr);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, nullptr);
  if (code != CURLE_OK) {
    long os_errno = 0;
    curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
    if (code == CURLE_COULDNT_CONNECT && os_errno != 0) {
      failure->message = std::strerror(static_cast<int>(os_errno));
    } else if (handle_->error[0] != '\0') {
      failure->message = handle_->error;
    } else {
      failure->message = curl_easy_strerror(code);
    }
    failure->not_sent = code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST;
    return false;
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response->status);
  return true;
}

std::string HttpClient::Escape(std::string_view bytes) {
  GlobalInitOnce();
  std::string out;
  // The handle argument is unused by curl_easy_escape (kept for the API's sake).
  char* escaped = curl_easy_escape(nullptr, bytes.data(), static_cast<int>(bytes.size()));
  if (escaped != nullptr) {
    out = escaped;
    curl_free(escaped);
  }
  return out;
}

}  // namespace pykv::cli
