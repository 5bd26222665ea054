// SplitArgs: Redis's sdssplitargs, the one tokenizer for lines a person types with
// redis-cli's quoting rules: inline commands (RequestParser) and redis.conf lines and
// `--name value` command-line directives (server/config). One implementation, so a
// quoted value means the same thing on the wire and in a config file.
// A pure function: any module that may use resp/, from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pykv::resp {

// Appends the arguments of `line` to *args. Blanks separate arguments; "double quotes" take
// \n \r \t \b \a, \xHH and backslash + any other byte (that byte); 'single quotes' take only
// \'; quotes may start inside an argument, and a closing quote must be followed by a blank
// or the end. \v and \f are skipped between arguments but do not end an unquoted one
// (Redis's own asymmetry). Returns false on unbalanced quotes (a quote glued to more text
// counts too); *args then holds whatever was split before the error.
//
// The C original walks a NUL-terminated string, so it never sees a NUL byte. Here the whole
// view is read and an embedded NUL looks like the end of the string to every check but the
// loop: it ends an unquoted argument, makes an open quote unbalanced, and where an argument
// would start it makes an empty one; the bytes after it are split too. A caller that wants
// Redis's exact view of network input cuts the line at its first NUL before calling.
bool SplitArgs(std::string_view line, std::vector<std::string>* args);

// The way back (Redis's sdscatrepr): appends s double-quoted, with C escapes for \\ " \n \r
// \t \a \b and \xHH for every other byte outside printable ASCII, so SplitArgs reads it
// back to the same bytes. Config files, the AOF manifest and MONITOR lines all use it.
void AppendRepr(std::string* out, std::string_view s);
// Redis's sdsneedsrepr: true when s would not split back to itself as a plain token.
bool NeedsRepr(std::string_view s);

}  // namespace pykv::resp
