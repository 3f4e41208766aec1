#include "command.h"
#include "progress.h"

namespace evlite::cli {

Command verify_command() {
  return {"verify",
          "check the store: contiguous versions, ordered positions, streams table, triggers, integrity_check; "
          "exit 0 only if all hold",
          "evlite --db shop.db verify", [](CLI::App&) -> Runner {
            return [](const Invocation& in) {
              EventStore::VerifyReport report;
              {
                Progress progress;
                report = in.open_to_read().verify([&](std::string_view check) { progress.update(fmt::format("verify: {}", check)); });
              }
              for (const std::string& finding : report.findings) {
                in.out.message(fmt::format("problem: {}", finding), {{"problem", finding}});
              }
              in.out.message(report.ok() ? fmt::format("ok: {} events in {} streams, every check holds", report.events,
                                                       report.streams)
                                         : fmt::format("{} problem{} found in {} events", report.findings.size(),
                                                       report.findings.size() == 1 ? "" : "s", report.events),
                             {{"ok", report.ok()}, {"events", report.events}, {"streams", report.streams},
                              {"problems", report.findings.size()}});
              return report.ok() ? 0 : 3;
            };
          }};
}

}  // namespace evlite::cli
