#include "command.h"

namespace evlite::cli {

Command streams_command() {
  return {"streams", "list streams with their version and times, optionally of one category",
          "evlite streams --category order", [](CLI::App& app) -> Runner {
            auto category = std::make_shared<std::string>();
            app.add_option("--category", *category, "only streams of this category");
            return [category](const Invocation& in) {
              EventStore store = in.open_to_read();
              StreamList page{.category = *category, .max_count = 1000};
              for (;;) {
                auto streams = store.list_streams(page);
                for (const StreamInfo& s : streams) {
                  in.out.record({{"stream", s.stream_id},
                                 {"category", s.category},
                                 {"version", s.version.value},
                                 {"created_at", to_iso8601(s.created_at)},
                                 {"updated_at", to_iso8601(s.updated_at)}});
                }
                in.out.flush();  // a page at a time: bounded memory however many streams
                if (static_cast<std::int64_t>(streams.size()) < page.max_count) return 0;
                page.after = streams.back().stream_id;
              }
            };
          }};
}

}  // namespace evlite::cli
