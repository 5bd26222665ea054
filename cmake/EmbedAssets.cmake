# Embeds the files of a folder into a C++ library as the table declared in src/http/assets.h.
#
#   include(cmake/EmbedAssets.cmake)
#   pykv_embed_assets(TARGET <library> DIR <folder> OUTPUT <generated .cc>)
#
# At build time (again whenever a file of the folder changes, or one is added or removed)
# this same file, run with `cmake -P`, writes a C++ source holding every file's bytes as
# hex escapes, so the bytes are exact whatever they are, and only CMake is needed to build.
# URL paths: index.html -> "/", docs.html -> "/docs", openapi.json -> "/openapi.json",
# any other file -> "/ui/<name>". Subfolders and hidden files are not embedded.

set(_PYKV_EMBED_SCRIPT "${CMAKE_CURRENT_LIST_FILE}")

function(pykv_embed_assets)
  cmake_parse_arguments(E "" "TARGET;DIR;OUTPUT" "" ${ARGN})
  if(NOT E_TARGET OR NOT E_DIR OR NOT E_OUTPUT)
    message(FATAL_ERROR "pykv_embed_assets: TARGET, DIR and OUTPUT are required")
  endif()
  get_filename_component(dir "${E_DIR}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  get_filename_component(out "${E_OUTPUT}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  # CONFIGURE_DEPENDS re-runs the glob at build time, so an added or removed file re-generates.
  file(GLOB files CONFIGURE_DEPENDS LIST_DIRECTORIES false "${dir}/*")
  # The list of names is a dependency too, so removing a file re-generates; file(CONFIGURE)
  # rewrites it only when the list changed.
  string(REPLACE ";" "\n" names "${files}")
  set(list_file "${out}.files")
  file(CONFIGURE OUTPUT "${list_file}" CONTENT "${names}\n" @ONLY)
  add_custom_command(
    OUTPUT "${out}"
    COMMAND "${CMAKE_COMMAND}" "-DPYKV_EMBED_DIR=${dir}" "-DPYKV_EMBED_OUTPUT=${out}"
            -P "${_PYKV_EMBED_SCRIPT}"
    DEPENDS ${files} "${list_file}" "${_PYKV_EMBED_SCRIPT}"
    COMMENT "Embedding the files of ${dir}"
    VERBATIM)
  target_sources(${E_TARGET} PRIVATE "${out}")
endfunction()

function(_pykv_embed_content_type name out_var)
  string(TOLOWER "${name}" lower)
  if(lower MATCHES "\\.html?$")
    set(type "text/html; charset=utf-8")
  elseif(lower MATCHES "\\.m?js$")
    set(type "text/javascript; charset=utf-8")
  elseif(lower MATCHES "\\.css$")
    set(type "text/css; charset=utf-8")
  elseif(lower MATCHES "\\.json$")
    set(type "application/json")
  elseif(lower MATCHES "\\.svg$")
    set(type "image/svg+xml")
  elseif(lower MATCHES "\\.png$")
    set(type "image/png")
  elseif(lower MATCHES "\\.ico$")
    set(type "image/x-icon")
  elseif(lower MATCHES "\\.txt$")
    set(type "text/plain; charset=utf-8")
  else()
    set(type "application/octet-stream")
  endif()
  set(${out_var} "${type}" PARENT_SCOPE)
endfunction()

function(_pykv_embed_generate dir out)
  file(GLOB files LIST_DIRECTORIES false "${dir}/*")
  list(SORT files)
  set(arrays "")
  set(entries "")
  set(count 0)
  foreach(file IN LISTS files)
    get_filename_component(name "${file}" NAME)
    if(name MATCHES "^\\." OR name MATCHES "~$")
      continue()
    endif()
    # The name goes into a URL and a C++ string literal unescaped.
    if(NOT name MATCHES "^[A-Za-z0-9_.-]+$")
      message(FATAL_ERROR "EmbedAssets: unsupported file name '${name}' (use letters, digits, _ . -)")
    endif()
    if(name STREQUAL "index.html")
      set(url "/")
    elseif(name STREQUAL "docs.html")
      set(url "/docs")
    elseif(name STREQUAL "openapi.json")
      set(url "/openapi.json")
    else()
      set(url "/ui/${name}")
    endif()
    _pykv_embed_content_type("${name}" type)

    file(READ "${file}" hex HEX)
    string(LENGTH "${hex}" hex_len)
    math(EXPR size "${hex_len} / 2")
    # Every byte as \xNN, 32 to a line; a \x escape always ends at the next backslash or quote.
    string(REPEAT "[0-9a-f]" 64 line_of_hex)
    string(REGEX REPLACE "(${line_of_hex})" "\\1|" escaped "${hex}")
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" escaped "${escaped}")
    string(REPLACE "|" "\"\n    \"" escaped "${escaped}")
    string(APPEND arrays "// ${name}, ${size} bytes\nconstexpr char kData${count}[] =\n    \"${escaped}\";\n\n")
    string(APPEND entries "    Asset{\"${url}\", \"${type}\", std::string_view(kData${count}, ${size})},\n")
    math(EXPR count "${count} + 1")
  endforeach()

  set(text "// Generated at build time by cmake/EmbedAssets.cmake from ${dir}. Do not edit.\n")
  string(APPEND text "#include <array>\n#include <string_view>\n\n#include \"http/assets.h\"\n\n")
  string(APPEND text "namespace pykv::http {\nnamespace {\n\n${arrays}")
  string(APPEND text "constexpr std::array<Asset, ${count}> kAssets = {\n${entries}};\n\n")
  string(APPEND text "}  // namespace\n\n")
  string(APPEND text "const Asset* FindAsset(std::string_view url_path) {\n")
  string(APPEND text "  for (const Asset& asset : kAssets) {\n")
  string(APPEND text "    if (asset.path == url_path) return &asset;\n  }\n  return nullptr;\n}\n\n")
  string(APPEND text "}  // namespace pykv::http\n")
  file(WRITE "${out}" "${text}")
endfunction()

if(CMAKE_SCRIPT_MODE_FILE AND DEFINED PYKV_EMBED_DIR)
  _pykv_embed_generate("${PYKV_EMBED_DIR}" "${PYKV_EMBED_OUTPUT}")
endif()
