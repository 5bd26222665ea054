// Keyspace notifications (Redis's notify-keyspace-events): the event classes and their
// flag letters, and KeyspaceNotifier, which commands and the keyspace's expiry/eviction
// callbacks tell about each event. When the class is enabled it publishes
// "__keyspace@0__:<key>" -> event and/or "__keyevent@0__:<event>" -> key through the
// server's PubSubHost. With notifications off (the default) a call costs one branch.
// Owned by the Dispatcher; loop thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pykv::cmd {

class ServerContext;

// Redis 7.0's classes (and its bit values, so the two read alike).
enum NotifyClass : uint32_t {
  kNotifyKeyspace = 1u << 0,  // K: __keyspace@<db>__:<key> channels
  kNotifyKeyevent = 1u << 1,  // E: __keyevent@<db>__:<event> channels
  kNotifyGeneric = 1u << 2,   // g: DEL, EXPIRE, RENAME, ...
  kNotifyString = 1u << 3,    // $
  kNotifyList = 1u << 4,      // l
  kNotifySet = 1u << 5,       // s
  kNotifyHash = 1u << 6,      // h
  kNotifyZset = 1u << 7,      // z
  kNotifyExpired = 1u << 8,   // x
  kNotifyEvicted = 1u << 9,   // e
  kNotifyStream = 1u << 10,   // t
  kNotifyKeyMiss = 1u << 11,  // m (not part of A)
  kNotifyModule = 1u << 13,   // d
  kNotifyNew = 1u << 14,      // n (not part of A)
  kNotifyAll = kNotifyGeneric | kNotifyString | kNotifyList | kNotifySet | kNotifyHash |
               kNotifyZset | kNotifyExpired | kNotifyEvicted | kNotifyStream | kNotifyModule,
};

// The config value's letters as flags; nullopt for a letter Redis does not know.
std::optional<uint32_t> ParseNotifyFlags(std::string_view letters);
// The flags as CONFIG GET shows them (Redis's canonical order, "A" for all classes).
std::string FormatNotifyFlags(uint32_t flags);
// CONFIG SET's reason for a bad value.
inline constexpr std::string_view kBadNotifyFlags =
    "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

class KeyspaceNotifier {
 public:
  explicit KeyspaceNotifier(ServerContext* server) : server_(server) {}

  void set_flags(uint32_t flags) { flags_ = flags; }
  uint32_t flags() const { return flags_; }
  // Whether a "new" event would go anywhere (the keyspace reports new keys only then).
  bool wants_new_keys() const {
    return (flags_ & kNotifyNew) != 0 && (flags_ & (kNotifyKeyspace | kNotifyKeyevent)) != 0;
  }

  // An event of class `type` happened to key.
  void Notify(uint32_t type, std::string_view event, std::string_view key) {
    if ((flags_ & type) == 0) [[likely]]
      return;
    Publish(event, key);
  }

 private:
  void Publish(std::string_view event, std::string_view key);

  ServerContext* server_;
  uint32_t flags_ = 0;
};

}  // namespace pykv::cmd
