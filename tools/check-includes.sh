#!/usr/bin/env bash
# Fails when a file under src/<module>/ includes a header of another src/ module that the
# module table in docs/architecture.md ("## Modules", column "may use") does not allow.
#
#   tools/check-includes.sh [ROOT]     check the tree at ROOT (default: this repository)
#   tools/check-includes.sh --self-test
#
# Only backticked or plain names in "may use" that are src/ modules count; the rest (std,
# spdlog, libuv, ...) are ignored. "everything" allows every module. A module may always
# include itself. A src/ folder missing from the table, or a table that cannot be found,
# is a failure too, so the check cannot pass by not checking. Uses bash, find and awk only.
set -euo pipefail

self_test() {
  local tmp script rc out
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  script=$(readlink -f "${BASH_SOURCE[0]}")
  mkdir -p "$tmp/docs" "$tmp/src/low" "$tmp/src/high"
  cat >"$tmp/docs/architecture.md" <<'EOF'
# Test

## Modules

| module | holds | may use |
| --- | --- | --- |
| `low/` | the bottom | std, spdlog |
| `high/` | the top | `low`, libuv |

## Next
EOF
  printf '#include <vector>\n#include "low/a.h"\n' >"$tmp/src/low/a.h"
  printf '#include "low/a.h"\n#include "high/b.h"\n#include <spdlog/spdlog.h>\n' \
    >"$tmp/src/high/b.cc"
  if ! out=$("$script" "$tmp" 2>&1); then
    echo "self-test: a clean tree failed:"$'\n'"$out" >&2
    return 1
  fi
  # A forbidden include, one in angle brackets, and one that climbs out of its folder.
  printf '#include "low/a.h"\n  #  include "high/b.h"\n' >"$tmp/src/low/bad.cc"
  printf '#include <high/b.h>\n#include "../high/b.h"\n' >"$tmp/src/low/bad2.h"
  rc=0
  out=$("$script" "$tmp" 2>&1) || rc=$?
  local want
  for want in 'src/low/bad.cc:2: ' 'src/low/bad2.h:1: ' 'src/low/bad2.h:2: '; do
    if [[ $rc -eq 0 || $out != *"$want"* ]]; then
      echo "self-test: expected a failure naming $want, got rc=$rc:"$'\n'"$out" >&2
      return 1
    fi
  done
  if [[ $out == *src/high/* ]]; then
    echo "self-test: an allowed include was reported:"$'\n'"$out" >&2
    return 1
  fi
  # A src/ folder the table does not name.
  rm "$tmp/src/low/bad.cc" "$tmp/src/low/bad2.h"
  mkdir -p "$tmp/src/extra" && : >"$tmp/src/extra/x.h"
  rc=0
  out=$("$script" "$tmp" 2>&1) || rc=$?
  if [[ $rc -eq 0 || $out != *extra* ]]; then
    echo "self-test: expected a failure for a module missing from the table, rc=$rc" >&2
    return 1
  fi
  echo "check-includes self-test: ok"
}

if [[ ${1:-} == --self-test ]]; then
  self_test
  exit
fi

root=${1:-$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/..}
root=$(cd "$root" && pwd)
doc="$root/docs/architecture.md"
[[ -f $doc ]] || { echo "check-includes: $doc not found" >&2; exit 2; }
[[ -d $root/src ]] || { echo "check-includes: $root/src not found" >&2; exit 2; }

modules=$(cd "$root/src" && find . -mindepth 1 -maxdepth 1 -type d | sed 's|^\./||' | sort)

# "module allowed..." lines from the first table under "## Modules".
rules=$(awk -v mods="$modules" '
  function trim(s) { gsub(/^[ \t`]+|[ \t`]+$/, "", s); return s }
  function name(s) { s = trim(s); sub(/\/+$/, "", s); return trim(s) }
  BEGIN { n = split(mods, m, "\n"); for (i = 1; i <= n; i++) is_mod[m[i]] = 1 }
  /^##[ \t]/ { in_sec = ($0 ~ /^##[ \t]+Modules[ \t]*$/); if (!in_sec && seen) exit; next }
  !in_sec { next }
  /^[ \t]*\|/ {
    seen = 1
    line = $0; sub(/^[ \t]*\|/, "", line); sub(/\|[ \t]*$/, "", line)
    nc = split(line, cell, "|")
    if (!header) {
      for (i = 1; i <= nc; i++) {
        h = tolower(trim(cell[i]))
        if (h == "module") mc = i
        if (h == "may use") uc = i
      }
      if (!mc || !uc) { print "ERROR no \"module\" and \"may use\" columns"; exit }
      header = 1; next
    }
    if (trim(cell[1]) ~ /^:?-+:?$/) next
    mod = name(cell[mc])
    out = mod
    k = split(cell[uc], use, /[,; \t]+/)
    for (i = 1; i <= k; i++) {
      u = name(use[i])
      if (u == "everything") { for (j = 1; j <= n; j++) out = out " " m[j] }
      else if (u in is_mod) out = out " " u
    }
    print out
    next
  }
  seen { exit }
' "$doc")

if [[ -z $rules ]]; then
  echo "check-includes: no module table under \"## Modules\" in $doc" >&2
  exit 2
fi
if [[ $rules == ERROR* ]]; then
  echo "check-includes: $doc: ${rules#ERROR }" >&2
  exit 2
fi

status=0
for mod in $modules; do
  if ! grep -q "^$mod\( \|$\)" <<<"$rules"; then
    echo "check-includes: src/$mod/ has no row in the module table of docs/architecture.md" >&2
    status=1
  fi
done

# Every include whose first path component is a src/ module, resolved relative to the
# including file when it starts with "../"; reported when its row does not allow it.
cd "$root"
files=$(find src -mindepth 2 -type f \( -name '*.h' -o -name '*.cc' -o -name '*.hpp' \
  -o -name '*.cpp' -o -name '*.inc' \) | sort)
if [[ -n $files ]]; then
  # shellcheck disable=SC2086
  if ! awk -v rules="$rules" -v mods="$modules" '
    BEGIN {
      n = split(mods, m, "\n"); for (i = 1; i <= n; i++) is_mod[m[i]] = 1
      r = split(rules, row, "\n")
      for (i = 1; i <= r; i++) {
        k = split(row[i], w, " ")
        for (j = 2; j <= k; j++) allowed[w[1], w[j]] = 1
      }
    }
    FNR == 1 {
      split(FILENAME, p, "/"); self = p[2]
      dir = FILENAME; sub(/\/[^\/]*$/, "", dir); sub(/^src\/?/, "", dir)
    }
    /^[ \t]*#[ \t]*include[ \t]*["<]/ {
      s = $0; sub(/^[ \t]*#[ \t]*include[ \t]*/, "", s)
      q = substr(s, 1, 1); close_ch = (q == "<") ? ">" : "\""
      s = substr(s, 2); e = index(s, close_ch); if (e == 0) next
      path = substr(s, 1, e - 1)
      if (path ~ /^\.\.\//) {
        # Resolve against the folder of the including file, relative to src/.
        cur = dir; rest = path
        while (rest ~ /^\.\.\//) {
          rest = substr(rest, 4)
          if (cur == "") { cur = "<outside src>"; break }
          if (index(cur, "/")) sub(/\/[^\/]*$/, "", cur); else cur = ""
        }
        path = (cur == "") ? rest : cur "/" rest
      } else if (q == "\"" && index(path, "/") == 0) {
        next  # a header beside the including file
      }
      if (index(path, "/") == 0) next
      other = substr(path, 1, index(path, "/") - 1)
      if (!(other in is_mod) || other == self || ((self, other) in allowed)) next
      printf "%s:%d: %s  (%s/ may not use %s/)\n", FILENAME, FNR, $0, self, other
      bad = 1
    }
    END { exit bad }
  ' $files; then
    status=1
  fi
fi

if [[ $status -ne 0 ]]; then
  echo "check-includes: FAILED (allowed uses are the \"may use\" column of docs/architecture.md)" >&2
fi
exit $status
