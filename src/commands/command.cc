#include "commands/command.h"

#include <algorithm>
#include <climits>

#include "common/numbers.h"

namespace pykv::cmd {

namespace {

bool IsIndexRange(const KeySpec& s) {
  return s.index > 0 && !s.keynum;
}

// The (first, last, step) triple and the movable-keys flag, derived from the key specs as
// Redis 7.0's populateCommandLegacyRangeSpec does: one plain range spec is taken as it is;
// several are merged while they are consecutive step-1 ranges, and anything else makes
// the keys movable.
void DeriveLegacyKeys(Command* c) {
  c->legacy_keys = {};
  c->movable_keys = false;
  if (c->key_specs.empty()) return;
  if (c->key_specs.size() == 1 && IsIndexRange(c->key_specs[0])) {
    const KeySpec& s = c->key_specs[0];
    c->legacy_keys = {s.index, s.lastkey >= 0 ? s.index + s.lastkey : s.lastkey, s.keystep};
    c->movable_keys = (s.flags & kKeyIncomplete) != 0;
    return;
  }
  int first = INT_MAX;
  int last = 0;
  int prev_last = 0;
  for (const KeySpec& s : c->key_specs) {
    if (!IsIndexRange(s) || s.keystep != 1 || (prev_last != 0 && prev_last != s.index - 1)) {
      c->movable_keys = true;
      continue;
    }
    if (s.flags & kKeyIncomplete) c->movable_keys = true;
    first = std::min(first, s.index);
    const int abs_last = s.lastkey >= 0 ? s.index + s.lastkey : s.lastkey;
    // Unsigned, as in Redis: a negative (from the end) last key wins over any position.
    last = static_cast<int>(std::max(static_cast<unsigned>(last), static_cast<unsigned>(abs_last)));
    prev_last = last;
  }
  if (first == INT_MAX) {
    c->movable_keys = true;
    return;
  }
  c->legacy_keys = {first, last, 1};
}

// Where spec s's keys start in argv, or 0 when its keyword is absent.
int FirstKey(const KeySpec& s, Args argv) {
  if (s.index > 0) return s.index;
  const int argc = static_cast<int>(argv.size());
  const int start = s.startfrom > 0 ? s.startfrom : argc + s.startfrom;
  const int end = s.startfrom > 0 ? argc - 1 : 1;
  for (int i = start; i != end; i = start <= end ? i + 1 : i - 1) {
    if (i >= argc || i < 1) break;
    if (EqualsIgnoreCase(argv[static_cast<size_t>(i)], s.keyword)) return i + 1;
  }
  return 0;
}

}  // namespace

const Command* Command::FindSubcommand(std::string_view sub) const {
  for (const Command& c : subcommands) {
    std::string_view short_name = std::string_view(c.name).substr(c.name.find('|') + 1);
    if (EqualsIgnoreCase(short_name, sub)) return &c;
  }
  return nullptr;
}

bool Command::HasKeys() const {
  return std::any_of(key_specs.begin(), key_specs.end(),
                     [](const KeySpec& s) { return (s.flags & kKeyNotKey) == 0; });
}

// Redis 7.0's getKeysUsingKeySpecs: a spec that does not fit argv voids the whole answer.
std::vector<KeyRef> Command::FindKeys(Args argv) const {
  std::vector<KeyRef> out;
  if (key_flags != nullptr) {
    key_flags(argv, &out);
    return out;
  }
  const int argc = static_cast<int>(argv.size());
  for (const KeySpec& s : key_specs) {
    if (s.flags & kKeyNotKey) continue;
    int first = FirstKey(s, argv);
    if (first == 0) continue;
    int last;
    if (!s.keynum) {
      if (s.lastkey >= 0) {
        last = first + s.lastkey;
      } else if (s.limit == 0) {
        last = argc + s.lastkey;
      } else {
        last = first + ((argc - first) / s.limit + s.lastkey);
      }
    } else {
      int64_t numkeys;
      if (s.keynumidx >= argc - first ||
          !ParseInt64(argv[static_cast<size_t>(first + s.keynumidx)], &numkeys) || numkeys < 0 ||
          numkeys > argc) {
        return {};
      }
      first += s.firstkey;
      last = first + static_cast<int>(numkeys) - 1;
    }
    if (last >= argc || last < first || first >= argc) return {};
    for (int i = first; i <= last; i += s.keystep) {
      out.push_back({static_cast<size_t>(i), s.flags});
    }
  }
  return out;
}

std::vector<size_t> Command::KeyPositions(Args argv) const {
  std::vector<size_t> out;
  for (const KeyRef& k : FindKeys(argv)) out.push_back(k.pos);
  return out;
}

void CommandTable::Register(Command cmd) {
  DeriveLegacyKeys(&cmd);
  for (Command& s : cmd.subcommands) DeriveLegacyKeys(&s);
  auto owned = std::make_unique<Command>(std::move(cmd));
  ordered_.push_back(owned.get());
  std::string key = ToLower(owned->name);
  by_name_[key] = std::move(owned);
}

const Command* CommandTable::Find(std::string_view name) const {
  // Longer than any command name: unknown without a lookup.
  constexpr size_t kMaxName = 32;
  if (name.size() > kMaxName) return nullptr;
  char folded[kMaxName] = {};
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    folded[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
  }
  auto it = by_name_.find(std::string_view(folded, name.size()));
  return it == by_name_.end() ? nullptr : it->second.get();
}

void CommandTable::ResetStats() const {
  for (const Command* c : ordered_) {
    c->stats = {};
    for (const Command& s : c->subcommands) s.stats = {};
  }
}

}  // namespace pykv::cmd
