#include "command.h"

namespace evlite::cli {

Command read_command() {
  return {"read", "print the events of one stream, forwards or backwards",
          "evlite read order-42 --from 2 --count 10 --backward", [](CLI::App& app) -> Runner {
            auto stream = std::make_shared<std::string>();
            auto from = std::make_shared<std::int64_t>(0);
            auto count = std::make_shared<std::int64_t>(kNoLimit);
            auto backward = std::make_shared<bool>(false);
            app.add_option("STREAM", *stream, "the stream, e.g. order-42")->required();
            app.add_option("--from", *from, "first version to print, inclusive (default: the first, or the last with --backward)")
                ->transform(non_negative_decimal());
            app.add_option("--count", *count, "print at most this many events")->transform(non_negative_decimal());
            app.add_flag("--backward", *backward, "newest first");
            return [=](const Invocation& in) {
              StreamRead read{.direction = *backward ? Direction::Backward : Direction::Forward, .max_count = *count};
              if (*from != 0) read.from = StreamVersion{*from};
              auto cursor = in.open_to_read().read_stream(*stream, read);
              while (cursor.next()) in.out.event(cursor.event());
              return 0;
            };
          }};
}

}  // namespace evlite::cli
