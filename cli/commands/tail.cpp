#include <cerrno>
#include <cstdio>
#include <system_error>

#include "command.h"
#include "filters.h"
#include "interrupt.h"

namespace evlite::cli {

Command tail_command() {
  return {"tail", "follow new events live, from any process, until interrupted (Ctrl-C exits 0)",
          "evlite tail --category order --from 1", [](CLI::App& app) -> Runner {
            auto filter = std::make_shared<Filter>();
            auto from = std::make_shared<std::int64_t>(0);
            add_filter_options(app, *filter);
            app.add_option("--from", *from, "start at this position, inclusive (default: only events from now on)")
                ->transform(non_negative_decimal());
            return [=](const Invocation& in) {
              block_interrupts();  // before the subscription's thread exists, so it inherits the mask
              EventStore store = in.open_to_read();
              Position after = *from > 0 ? Position{*from - 1} : store.head_position();
              auto subscription = store.subscribe(after, *filter, [&](const RecordedEvent& e) {
                in.out.event(e);
                // A follower reads each event as it comes, also through a pipe; once the reader is gone,
                // this ends the subscription and so the command (with SIGPIPE ignored: else it dies quietly).
                if (std::fflush(stdout) != 0) throw std::system_error(errno, std::generic_category(), "writing the output failed");
              });
              // Until Ctrl-C, or until the subscription dies (its output gone, the store failing): then
              // its error is the command's.
              wait_for_interrupt([&] { return subscription.running(); });
              subscription.stop();
              if (auto error = subscription.error()) std::rethrow_exception(error);
              return 0;
            };
          }};
}

}  // namespace evlite::cli
