// The web console, API docs and OpenAPI document, embedded in the binary at build time from
// src/http/static/ by cmake/EmbedAssets.cmake, which generates the definition of FindAsset.
// The table is immutable static data: any thread may call FindAsset at any time, and the
// returned pointer and views stay valid for the life of the process.
#pragma once

#include <string_view>

namespace pykv::http {

struct Asset {
  std::string_view path;          // URL path it is served at, e.g. "/ui/app.js"
  std::string_view content_type;  // value for the Content-Type header
  std::string_view body;          // the file's exact bytes
};

// Looks up an embedded file by URL path ("/", "/ui/app.js", "/openapi.json", "/docs");
// nullptr when there is none. The path is compared as is: no query string, no decoding.
const Asset* FindAsset(std::string_view url_path);

}  // namespace pykv::http
