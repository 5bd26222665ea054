#include "http/assets.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#if __has_include(<nlohmann/json.hpp>)
#include <nlohmann/json.hpp>
#define PYKV_TEST_HAVE_JSON 1
#endif

namespace pykv::http {
namespace {

// The sources the table was generated from, found next to this test in the source tree.
std::filesystem::path StaticDir() {
  return std::filesystem::path(__FILE__).parent_path() / ".." / ".." / ".." / "src" / "http" /
         "static";
}

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string UrlFor(const std::string& name) {
  if (name == "index.html") return "/";
  if (name == "docs.html") return "/docs";
  if (name == "openapi.json") return "/openapi.json";
  return "/ui/" + name;
}

TEST_CASE("the console page is served at /") {
  const Asset* a = FindAsset("/");
  REQUIRE(a != nullptr);
  CHECK(a->body.substr(0, 15) == "<!doctype html>");
  CHECK(a->content_type == "text/html; charset=utf-8");
  CHECK(a->path == "/");
}

TEST_CASE("docs, OpenAPI document and /ui assets have their content types") {
  struct Case {
    std::string_view path;
    std::string_view type;
  };
  for (const Case& c :
       {Case{"/docs", "text/html; charset=utf-8"}, Case{"/openapi.json", "application/json"},
        Case{"/ui/app.js", "text/javascript; charset=utf-8"},
        Case{"/ui/docs.js", "text/javascript; charset=utf-8"},
        Case{"/ui/style.css", "text/css; charset=utf-8"},
        Case{"/ui/favicon.svg", "image/svg+xml"}}) {
    CAPTURE(c.path);
    const Asset* a = FindAsset(c.path);
    REQUIRE(a != nullptr);
    CHECK(a->content_type == c.type);
    CHECK(!a->body.empty());
  }
}

TEST_CASE("unknown paths and near misses find nothing") {
  for (std::string_view p : {"", "/index.html", "/ui/", "/ui/index.html", "/docs.html",
                             "/ui/app.js?x=1", "/UI/app.js", "/openapi.json/", "/ui/nope.js"}) {
    CAPTURE(p);
    CHECK(FindAsset(p) == nullptr);
  }
}

TEST_CASE("every file of src/http/static is embedded with its exact bytes") {
  const std::filesystem::path dir = StaticDir();
  REQUIRE(std::filesystem::is_directory(dir));
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    if (name.starts_with(".")) continue;
    CAPTURE(name);
    const Asset* a = FindAsset(UrlFor(name));
    REQUIRE(a != nullptr);
    CHECK(a->body == ReadFile(entry.path()));
    ++files;
  }
  CHECK(files >= 6);
}

TEST_CASE("the OpenAPI document is JSON describing the API") {
  const Asset* a = FindAsset("/openapi.json");
  REQUIRE(a != nullptr);
#ifdef PYKV_TEST_HAVE_JSON
  nlohmann::json doc = nlohmann::json::parse(a->body, nullptr, /*allow_exceptions=*/false);
  REQUIRE(!doc.is_discarded());
  CHECK(doc["openapi"] == "3.0.3");
  for (const char* p : {"/kv/", "/kv/{key}", "/health", "/stats", "/metrics"}) {
    CAPTURE(p);
    CHECK(doc["paths"].contains(p));
  }
  for (const char* s : {"Item", "Created", "Deleted", "KeyPage", "HTTPValidationError",
                        "ValidationError", "Detail"}) {
    CAPTURE(s);
    CHECK(doc["components"]["schemas"].contains(s));
  }
#else
  // Without a JSON library at hand, at least check it is one object.
  const std::string_view body = a->body;
  CHECK(body.substr(0, 1) == "{");
  CHECK(body.find("\"openapi\": \"3.0.3\"") != std::string_view::npos);
#endif
}

}  // namespace
}  // namespace pykv::http
