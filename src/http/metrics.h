// Prometheus text exposition (format 0.0.4) of the server's figures for GET /metrics: the
// counters INFO shows (read from INFO's own text, so the two never disagree), requests by
// HTTP route and status, and the command latency histogram. Also the INFO reader that
// /stats and /health use. Pure functions; loop thread (the stats are the loop's).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "commands/dispatcher.h"
#include "http/kv_api.h"

namespace pykv::http {

// "field:value" lines of INFO text; section headers and blank lines are skipped.
std::unordered_map<std::string, std::string> ParseInfo(std::string_view info);

std::string RenderMetrics(std::string_view info, const cmd::DispatcherStats& commands,
                          const HttpStats& http);

}  // namespace pykv::http
