// verify(): the integrity checks of `evlite verify`, each a query over the whole store.
#include "store_impl.h"

namespace evlite {

EventStore::VerifyReport EventStore::verify(const std::function<void(std::string_view check)>& progress) const {
  constexpr std::int64_t kPerCheck = 20;  // enough to see the pattern without flooding the terminal
  return detail::with_reader(*impl_, "verify", [&](detail::EventTables& tables) {
    VerifyReport report;
    auto run = [&](std::string_view name, auto check) {
      if (progress) progress(name);
      std::vector<std::string> findings = check();
      report.findings.insert(report.findings.end(), findings.begin(), findings.end());
    };
    run("counting events", [&] {
      Stats stats = tables.stats();
      report.events = stats.events;
      report.streams = stats.streams;
      return std::vector<std::string>{};
    });
    run("append-only triggers", [&] { return tables.missing_triggers(); });
    run("contiguous stream versions", [&] { return tables.version_gaps(kPerCheck); });
    run("versions in position order", [&] { return tables.versions_out_of_position_order(kPerCheck); });
    run("streams table", [&] { return tables.stream_head_mismatches(kPerCheck); });
    run("hash chain", [&] { return tables.chain_breaks(kPerCheck); });
    run("PRAGMA integrity_check", [&] { return tables.integrity_findings(kPerCheck); });
    return report;
  });
}

}  // namespace evlite
