#include "commands/session.h"

#include <algorithm>
#include <string_view>

#include "commands/command.h"

namespace pykv::cmd {

std::string DescribeClient(const ClientState& c, const ConnectionFigures& f, int64_t now_ms) {
  std::string flags;
  if (c.is_replica) flags += 'S';
  if (c.monitor) flags += 'O';
  if (c.in_pubsub()) flags += 'P';
  if (c.in_multi) flags += 'x';
  if (c.watch_dirty) flags += 'd';
  if (c.close_after_reply) flags += 'c';
  if (c.no_evict) flags += 'e';
  if (flags.empty()) flags = "N";
  std::string line;
  line.reserve(256);
  line += "id=" + std::to_string(c.id);
  line += " addr=" + c.addr;
  line += " laddr=" + c.laddr;
  line += " fd=" + std::to_string(f.fd);
  line += " name=" + c.name;
  line += " age=" + std::to_string((now_ms - c.created_ms) / 1000);
  line += " idle=" + std::to_string((now_ms - c.last_interaction_ms) / 1000);
  line += " flags=" + flags;
  line += " db=0 sub=" + std::to_string(c.subscriptions.channels);
  line += " psub=" + std::to_string(c.subscriptions.patterns);
  line += " ssub=" + std::to_string(c.subscriptions.shard_channels);
  line += " multi=" + std::to_string(c.in_multi ? static_cast<int64_t>(c.queued.size()) : -1);
  line += " qbuf=" + std::to_string(f.query_buffered);
  line += " qbuf-free=" +
          std::to_string(f.query_capacity - std::min(f.query_capacity, f.query_buffered));
  line += " argv-mem=0 multi-mem=0";
  line += " rbs=" + std::to_string(f.query_capacity);
  line += " rbp=" + std::to_string(f.query_capacity);
  line += " obl=" + std::to_string(f.output_buffered);
  line += " oll=0";
  line += " omem=" + std::to_string(f.output_memory);
  line += " tot-mem=" + std::to_string(f.total_memory);
  line += std::string(" events=") + (f.reading ? "r" : "") + (f.output_buffered ? "w" : "");
  line += " cmd=";
  line += c.last_command != nullptr ? std::string_view(c.last_command->name) : "NULL";
  line += " user=default redir=-1";
  line += " resp=" + std::to_string(c.resp);
  if (!c.lib_name.empty()) line += " lib-name=" + c.lib_name;
  if (!c.lib_ver.empty()) line += " lib-ver=" + c.lib_ver;
  return line;
}

}  // namespace pykv::cmd
