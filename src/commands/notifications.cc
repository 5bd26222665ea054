#include "commands/notifications.h"

#include "commands/pubsub_host.h"
#include "commands/server_context.h"

namespace pykv::cmd {

namespace {

struct Letter {
  char letter;
  uint32_t flags;
};

// The class letters in the order CONFIG GET prints them.
constexpr Letter kClassLetters[] = {
    {'g', kNotifyGeneric}, {'$', kNotifyString}, {'l', kNotifyList},    {'s', kNotifySet},
    {'h', kNotifyHash},    {'z', kNotifyZset},   {'x', kNotifyExpired}, {'e', kNotifyEvicted},
    {'t', kNotifyStream},  {'d', kNotifyModule}, {'n', kNotifyNew},
};
// Printed after the classes.
constexpr Letter kTargetLetters[] = {
    {'K', kNotifyKeyspace},
    {'E', kNotifyKeyevent},
    {'m', kNotifyKeyMiss},
};

}  // namespace

std::optional<uint32_t> ParseNotifyFlags(std::string_view letters) {
  uint32_t flags = 0;
  for (char c : letters) {
    if (c == 'A') {
      flags |= kNotifyAll;
      continue;
    }
    bool known = false;
    for (const Letter& l : kClassLetters) {
      if (l.letter == c) {
        flags |= l.flags;
        known = true;
      }
    }
    for (const Letter& l : kTargetLetters) {
      if (l.letter == c) {
        flags |= l.flags;
        known = true;
      }
    }
    if (!known) return std::nullopt;
  }
  return flags;
}

std::string FormatNotifyFlags(uint32_t flags) {
  std::string out;
  if ((flags & kNotifyAll) == kNotifyAll) {
    // As Redis: with every class on, "A" stands alone, and an 'n' set next to it is kept
    // in force but not printed.
    out += 'A';
  } else {
    for (const Letter& l : kClassLetters) {
      if (flags & l.flags) out += l.letter;
    }
  }
  for (const Letter& l : kTargetLetters) {
    if (flags & l.flags) out += l.letter;
  }
  return out;
}

void KeyspaceNotifier::Publish(std::string_view event, std::string_view key) {
  // One database: the channels always name db 0.
  PubSubHost& pubsub = server_->pubsub();
  if (flags_ & kNotifyKeyspace) {
    std::string channel;
    channel.reserve(15 + key.size());
    channel += "__keyspace@0__:";
    channel += key;
    pubsub.Publish(PubSubKind::kChannel, channel, event);
  }
  if (flags_ & kNotifyKeyevent) {
    std::string channel;
    channel.reserve(15 + event.size());
    channel += "__keyevent@0__:";
    channel += event;
    pubsub.Publish(PubSubKind::kChannel, channel, key);
  }
}

}  // namespace pykv::cmd
