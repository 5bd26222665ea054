#include "replication/replication_ids.h"

#include <random>

namespace pykv::replication {

std::string NewReplicationId() {
  // Ids only need to differ between histories; std::random_device reads the kernel's
  // entropy, so two servers started in the same second differ too.
  static std::mt19937_64 rng{(static_cast<uint64_t>(std::random_device{}()) << 32) ^
                             std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(40, '0');
  for (size_t i = 0; i < id.size(); i += 16) {
    uint64_t r = rng();
    for (size_t j = i; j < id.size() && j < i + 16; ++j, r >>= 4) id[j] = kHex[r & 15];
  }
  return id;
}

}  // namespace pykv::replication
