#include "commands/command.h"

#include "common/numbers.h"

namespace pykv::cmd {

const Command* Command::FindSubcommand(std::string_view sub) const {
  for (const Command& c : subcommands) {
    std::string_view short_name = std::string_view(c.name).substr(c.name.find('|') + 1);
    if (EqualsIgnoreCase(short_name, sub)) return &c;
  }
  return nullptr;
}

std::vector<size_t> Command::KeyPositions(size_t argc) const {
  std::vector<size_t> out;
  if (keys.first <= 0 || static_cast<size_t>(keys.first) >= argc) return out;
  int64_t last = keys.last;
  if (last < 0) last = static_cast<int64_t>(argc) + last;
  if (last >= static_cast<int64_t>(argc)) last = static_cast<int64_t>(argc) - 1;
  int step = keys.step > 0 ? keys.step : 1;
  for (int64_t i = keys.first; i <= last; i += step) out.push_back(static_cast<size_t>(i));
  return out;
}

void CommandTable::Register(Command cmd) {
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
