// Prometheus text exposition (format 0.0.4) of the server's figures for GET /metrics: the
// counters INFO shows (read from INFO's own text, so the two never disagree), requests by
// HTTP route and status, and the command latency histogram. Also the INFO reader that
// /stats and /health use. Pure functions; loop thread (the stats are the loop's).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "commands/dispatcher.h"
#include "http/kv_api.h"

namespace pykv::http {

using InfoMap = std::unordered_map<std::string, std::string>;
// "field:value" lines of INFO text; section headers and blank lines are skipped.
InfoMap ParseInfo(std::string_view info);
// One field, or fallback when INFO has none.
std::string_view InfoField(const InfoMap& info, const std::string& name,
                           std::string_view fallback = "0");
// A numeric field (0 when absent).
int64_t InfoNumber(const InfoMap& info, const std::string& name);
// One sub-field of a "k=v,k=v" value, e.g. keys of "keys=3,expires=1,avg_ttl=0" ("0" if none).
std::string_view InfoSubField(std::string_view list, std::string_view name);

std::string RenderMetrics(std::string_view info, const cmd::DispatcherStats& commands,
                          const HttpStats& http);

}  // namespace pykv::http
