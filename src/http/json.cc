#include "http/json.h"

#include <rapidjson/document.h>
#include <rapidjson/encodings.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>

#include <cmath>

namespace pykv::http {

namespace {

// Discards what the validator copies out.
struct NullOutput {
  using Ch = char;
  void Put(char) {}
};

std::string StringTooMsg(bool too_short, uint64_t n) {
  const std::string unit = n == 1 ? " character" : " characters";
  return std::string(too_short ? "String should have at least " : "String should have at most ") +
         std::to_string(n) + unit;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  rapidjson::MemoryStream in(s.data(), s.size());
  NullOutput out;
  while (in.Tell() < s.size()) {
    if (!rapidjson::UTF8<>::Validate(in, out)) return false;
  }
  return true;
}

std::string ValidationBody(const std::vector<ValidationError>& errors) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("detail");
  w.StartArray();
  for (const ValidationError& e : errors) {
    w.StartObject();
    w.Key("type");
    WriteString(w, e.type);
    w.Key("loc");
    w.StartArray();
    for (const std::string& l : e.loc) WriteString(w, l);
    w.EndArray();
    w.Key("msg");
    WriteString(w, e.msg);
    if (e.ctx_gt || e.ctx_le || e.ctx_len) {
      w.Key("ctx");
      w.StartObject();
      if (e.ctx_gt) {
        w.Key("gt");
        w.Int64(*e.ctx_gt);
      } else if (e.ctx_le) {
        w.Key("le");
        w.Int64(*e.ctx_le);
      } else {
        WriteString(w, e.ctx_len_name);
        w.Int64(*e.ctx_len);
      }
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

std::optional<KvBody> ParseKvBody(std::string_view body, const BodyRules& rules,
                                  std::vector<ValidationError>* errors) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
  if (doc.HasParseError()) {
    const bool encoding = doc.GetParseError() == rapidjson::kParseErrorStringInvalidEncoding;
    ValidationError e;
    e.loc = {"body", std::to_string(doc.GetErrorOffset())};
    e.type = encoding ? "utf8_invalid" : "json_invalid";
    e.msg =
        encoding
            ? "Input should be a valid string, unable to parse raw data as a unicode string"
            : std::string("JSON decode error: ") + rapidjson::GetParseError_En(doc.GetParseError());
    errors->push_back(std::move(e));
    return std::nullopt;
  }
  if (!doc.IsObject()) {
    errors->push_back({{"body"},
                       "Input should be a valid dictionary or object to extract fields from",
                       "model_attributes_type"});
    return std::nullopt;
  }
  KvBody out;
  auto take_string = [&](const rapidjson::Value& v, const char* name, uint64_t min_len,
                         uint64_t max_len) -> std::optional<std::string> {
    if (!v.IsString()) {
      errors->push_back({{"body", name}, "Input should be a valid string", "string_type"});
      return std::nullopt;
    }
    const uint64_t n = v.GetStringLength();
    if (n < min_len) {
      ValidationError e{{"body", name}, StringTooMsg(true, min_len), "string_too_short"};
      e.ctx_len = static_cast<int64_t>(min_len);
      e.ctx_len_name = "min_length";
      errors->push_back(std::move(e));
      return std::nullopt;
    }
    if (max_len != 0 && n > max_len) {
      ValidationError e{{"body", name}, StringTooMsg(false, max_len), "string_too_long"};
      e.ctx_len = static_cast<int64_t>(max_len);
      e.ctx_len_name = "max_length";
      errors->push_back(std::move(e));
      return std::nullopt;
    }
    return std::string(v.GetString(), n);
  };
  bool saw_key = false, saw_value = false;
  // Through a const reference: clang rejects comparing rapidjson's mutable member
  // iterators under C++20 (-Wambiguous-reversed-operator), the const ones are fine.
  const rapidjson::Value& object = doc;
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    const std::string name(it->name.GetString(), it->name.GetStringLength());
    const rapidjson::Value& v = it->value;
    if (name == "key" && rules.key_allowed) {
      saw_key = true;
      out.key = take_string(v, "key", 1, rules.max_key_bytes);
    } else if (name == "value") {
      saw_value = true;
      out.value = take_string(v, "value", 0, rules.max_value_bytes);
    } else if (name == "ttl_ms") {
      if (v.IsNull()) continue;
      // Integers, and numbers with no fraction (pydantic's lax mode takes 5.0 as 5).
      const bool is_double = v.IsDouble();
      const double d = is_double ? v.GetDouble() : 0;
      if (!v.IsInt64() && !v.IsUint64() && !(is_double && std::isfinite(d) && std::trunc(d) == d)) {
        errors->push_back({{"body", "ttl_ms"}, "Input should be a valid integer", "int_type"});
      } else if (v.IsInt64() ? v.GetInt64() <= 0 : is_double && d <= 0) {
        ValidationError e{{"body", "ttl_ms"}, "Input should be greater than 0", "greater_than"};
        e.ctx_gt = 0;
        errors->push_back(std::move(e));
      } else if (v.IsInt64() ? v.GetInt64() > kMaxTtlMs
                             : !is_double || d > static_cast<double>(kMaxTtlMs)) {
        // Beyond this the expiry time would overflow the clock and SET would refuse it.
        ValidationError e{{"body", "ttl_ms"},
                          "Input should be less than or equal to " + std::to_string(kMaxTtlMs),
                          "less_than_equal"};
        e.ctx_le = kMaxTtlMs;
        errors->push_back(std::move(e));
      } else {
        out.ttl_ms = v.IsInt64() ? v.GetInt64() : static_cast<int64_t>(d);
      }
    } else {
      errors->push_back({{"body", name}, "Extra inputs are not permitted", "extra_forbidden"});
    }
  }
  if (rules.key_allowed && !saw_key) {
    errors->push_back({{"body", "key"}, "Field required", "missing"});
  }
  if (!saw_value) errors->push_back({{"body", "value"}, "Field required", "missing"});
  if (!errors->empty()) return std::nullopt;
  return out;
}

}  // namespace pykv::http
