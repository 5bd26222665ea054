#include "http/response.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace pykv::http {

HttpResponse HttpResponse::Detail(int status, std::string_view message) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("detail");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.EndObject();
  HttpResponse r;
  r.status = status;
  r.body.assign(sb.GetString(), sb.GetSize());
  return r;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 507:
      return "Insufficient Storage";
    default:
      return "Unknown";
  }
}

void EncodeResponse(const HttpResponse& r, bool keep_alive, bool head, OutBuffer* out) {
  std::string h;
  h.reserve(160 + r.body.size() * (head ? 0 : 1));
  h += "HTTP/1.1 ";
  h += std::to_string(r.status);
  h += ' ';
  h += ReasonPhrase(r.status);
  h += "\r\nServer: pykv\r\nContent-Type: ";
  h += r.content_type;
  h += "\r\nContent-Length: ";
  h += std::to_string(r.body.size());
  h += "\r\n";
  for (const auto& [name, value] : r.headers) {
    h += name;
    h += ": ";
    h += value;
    h += "\r\n";
  }
  if (!keep_alive) h += "Connection: close\r\n";
  h += "\r\n";
  if (!head) h += r.body;
  out->Append(h);
}

}  // namespace pykv::http
