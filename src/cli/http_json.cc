#include "cli/http_json.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/base64.h"

namespace pykv::cli {
namespace {

// Refuses strings that are not valid UTF-8 instead of writing them through.
using ValidatingWriter =
    rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                      rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>;

bool WriteString(ValidatingWriter& w, std::string_view s) {
  return w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

bool ParseObject(std::string_view body, rapidjson::Document* doc) {
  doc->Parse(body.data(), body.size());
  return !doc->HasParseError() && doc->IsObject();
}

const rapidjson::Value* Member(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string Text(const rapidjson::Value& v) {
  return std::string(v.GetString(), v.GetStringLength());
}

}  // namespace

std::optional<std::string> BuildKvBody(std::optional<std::string_view> key, std::string_view value,
                                       std::optional<int64_t> ttl_ms) {
  rapidjson::StringBuffer sb;
  ValidatingWriter w(sb);
  w.StartObject();
  if (key) {
    w.Key("key");
    if (!WriteString(w, *key)) return std::nullopt;
  }
  w.Key("value");
  if (!WriteString(w, value)) return std::nullopt;
  if (ttl_ms) {
    w.Key("ttl_ms");
    w.Int64(*ttl_ms);
  }
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

std::optional<KvItem> ParseKvItem(std::string_view body) {
  rapidjson::Document doc;
  if (!ParseObject(body, &doc)) return std::nullopt;
  const rapidjson::Value* value = Member(doc, "value");
  if (value == nullptr || !value->IsString()) return std::nullopt;
  KvItem item;
  item.value = Text(*value);
  if (const rapidjson::Value* encoding = Member(doc, "encoding");
      encoding != nullptr && encoding->IsString() && Text(*encoding) == "base64") {
    std::optional<std::string> bytes = Base64Decode(item.value);
    if (!bytes) return std::nullopt;
    item.value = std::move(*bytes);
  }
  if (const rapidjson::Value* ttl = Member(doc, "ttl_ms"); ttl != nullptr && ttl->IsInt64()) {
    item.ttl_ms = ttl->GetInt64();
  }
  return item;
}

std::optional<KeyPage> ParseKeyPage(std::string_view body) {
  rapidjson::Document doc;
  if (!ParseObject(body, &doc)) return std::nullopt;
  const rapidjson::Value* keys = Member(doc, "keys");
  if (keys == nullptr || !keys->IsArray()) return std::nullopt;
  KeyPage page;
  for (const rapidjson::Value& k : keys->GetArray()) {
    if (!k.IsString()) return std::nullopt;
    page.keys.push_back(Text(k));
  }
  if (const rapidjson::Value* binary = Member(doc, "binary_keys"); binary != nullptr) {
    if (!binary->IsArray()) return std::nullopt;
    for (const rapidjson::Value& k : binary->GetArray()) {
      if (!k.IsString()) return std::nullopt;
      std::optional<std::string> bytes = Base64Decode(Text(k));
      if (!bytes) return std::nullopt;
      page.keys.push_back(std::move(*bytes));
    }
  }
  if (const rapidjson::Value* cursor = Member(doc, "next_cursor");
      cursor != nullptr && !cursor->IsNull()) {
    if (!cursor->IsString()) return std::nullopt;
    page.next_cursor = Text(*cursor);
  }
  return page;
}

std::string ErrorDetail(std::string_view body) {
  rapidjson::Document doc;
  if (!ParseObject(body, &doc)) return "";
  const rapidjson::Value* detail = Member(doc, "detail");
  if (detail == nullptr) return "";
  if (detail->IsString()) return Text(*detail);
  if (!detail->IsArray()) return "";
  std::string out;
  for (const rapidjson::Value& e : detail->GetArray()) {
    if (!e.IsObject()) continue;
    std::string where;
    if (const rapidjson::Value* loc = Member(e, "loc"); loc != nullptr && loc->IsArray()) {
      for (const rapidjson::Value& part : loc->GetArray()) {
        if (!where.empty()) where += '.';
        if (part.IsString()) {
          where += Text(part);
        } else if (part.IsInt64()) {
          where += std::to_string(part.GetInt64());
        }
      }
    }
    const rapidjson::Value* msg = Member(e, "msg");
    if (!out.empty()) out += "; ";
    if (!where.empty()) out += where + ": ";
    out += msg != nullptr && msg->IsString() ? Text(*msg) : std::string("invalid");
  }
  return out;
}

std::string HealthRole(std::string_view body) {
  rapidjson::Document doc;
  if (!ParseObject(body, &doc)) return "";
  const rapidjson::Value* role = Member(doc, "role");
  return role != nullptr && role->IsString() ? Text(*role) : "";
}

}  // namespace pykv::cli
