// The keyspace events Redis 7.0.15 sends for each string and key command, recorded from
// redis-server one step after the other on one data set (notify-keyspace-events KEAn):
// the unit test of the notifier and the integration test against a live server both
// replay it. Header-only data for any test binary.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace pykv::testing {

struct KeyspaceEventStep {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> events;  // event, key
};

inline const std::vector<KeyspaceEventStep>& KeyspaceEventSteps() {
  static const std::vector<KeyspaceEventStep> steps = {
      {{"SET", "k", "v"}, {{"new", "k"}, {"set", "k"}}},
      {{"SET", "k", "v2", "EX", "100"}, {{"set", "k"}, {"expire", "k"}}},
      {{"SETNX", "k2", "v"}, {{"new", "k2"}, {"set", "k2"}}},
      {{"SETEX", "k3", "100", "v"}, {{"new", "k3"}, {"set", "k3"}, {"expire", "k3"}}},
      {{"PSETEX", "k4", "100000", "v"}, {{"new", "k4"}, {"set", "k4"}, {"expire", "k4"}}},
      {{"GETSET", "k", "v3"}, {{"set", "k"}}},
      {{"MSET", "a", "1", "b", "2"}, {{"new", "a"}, {"set", "a"}, {"new", "b"}, {"set", "b"}}},
      {{"MSETNX", "c", "1", "d", "2"}, {{"new", "c"}, {"set", "c"}, {"new", "d"}, {"set", "d"}}},
      {{"INCR", "n"}, {{"new", "n"}, {"incrby", "n"}}},
      {{"DECR", "n"}, {{"incrby", "n"}}},
      {{"INCRBY", "n", "5"}, {{"incrby", "n"}}},
      {{"DECRBY", "n", "2"}, {{"incrby", "n"}}},
      {{"INCRBYFLOAT", "n", "1.5"}, {{"incrbyfloat", "n"}}},
      {{"APPEND", "k", "x"}, {{"append", "k"}}},
      {{"SETRANGE", "k", "0", "zz"}, {{"setrange", "k"}}},
      {{"SETRANGE", "nope", "0", ""}, {}},
      {{"GETDEL", "k"}, {{"del", "k"}}},
      {{"GETEX", "a", "EX", "100"}, {{"expire", "a"}}},
      {{"GETEX", "a", "PERSIST"}, {{"persist", "a"}}},
      {{"GETEX", "b", "PXAT", "1"}, {{"del", "b"}}},
      {{"DEL", "c", "d", "nokey"}, {{"del", "c"}, {"del", "d"}}},
      {{"RENAME", "k2", "k5"}, {{"new", "k5"}, {"rename_from", "k2"}, {"rename_to", "k5"}}},
      {{"COPY", "k5", "k6"}, {{"new", "k6"}, {"copy_to", "k6"}}},
      {{"EXPIRE", "k5", "100"}, {{"expire", "k5"}}},
      {{"PERSIST", "k5"}, {{"persist", "k5"}}},
      {{"EXPIRE", "k5", "-1"}, {{"del", "k5"}}},
      {{"UNLINK", "k6"}, {{"del", "k6"}}},
      {{"RENAME", "k3", "k3"}, {}},
      {{"SET", "k7", "v", "GET"}, {{"new", "k7"}, {"set", "k7"}}},
      {{"SET", "k7", "v", "NX"}, {}},
      {{"SET", "k7", "v", "XX", "KEEPTTL"}, {{"set", "k7"}}},
      {{"EXPIRE", "k4", "200", "GT"}, {{"expire", "k4"}}},
      {{"PEXPIREAT", "k4", "1"}, {{"del", "k4"}}},
      {{"SET", "h2", "v"}, {{"new", "h2"}, {"set", "h2"}}},
      {{"COPY", "k7", "h2", "REPLACE"}, {{"new", "h2"}, {"copy_to", "h2"}}},
  };
  return steps;
}

}  // namespace pykv::testing
