#include "command.h"
#include "evlite/projections/runner.h"
#include "evlite/projections/shop/read_models.h"
#include "interrupt.h"
#include "progress.h"

namespace evlite::cli {
namespace {

using projections::ProjectionRunner;

std::shared_ptr<projections::Projection> find(const std::string& name) {
  for (auto& p : shop::shop_projections()) {
    if (p->name() == name) return p;
  }
  throw InvalidArgument(fmt::format("no projection named \"{}\" (see: evlite projections list)", name));
}

void print_status(const Invocation& in, const std::vector<projections::ProjectionStatus>& all) {
  for (const auto& s : all) {
    std::string error = s.error.empty() ? "" : fmt::format("at position {}: {}", s.error_position.value, s.error);
    in.out.record({{"name", s.name},
                   {"version", s.version},
                   {"checkpoint", s.checkpoint.value},
                   {"lag", s.lag},
                   {"state", projections::to_string(s.state)},
                   {"error", error}});
  }
}

// Shows rebuild progress on a terminal.
projections::RunnerOptions with_progress(Progress& progress, const EventStore& store) {
  return {.on_progress = [&progress, &store](const projections::ProjectionStatus& s) {
    progress.update(fmt::format("rebuilding {}: position {} of {}", s.name, s.rebuild_checkpoint.value,
                                store.head_position().value));
  }};
}

}  // namespace

Command projections_command() {
  return {"projections", "list, inspect, rebuild, reset or run the shop's projections",
          "evlite projections status --json\n  evlite projections rebuild inventory\n"
          "  evlite projections run --until-caught-up",
          [](CLI::App& app) -> Runner {
            app.require_subcommand(1, 1);
            auto* list = app.add_subcommand("list", "the projections this tool knows, with their code version");
            auto* status = app.add_subcommand("status", "version, checkpoint, lag, state and last error of each");
            auto* rebuild = app.add_subcommand("rebuild", "rebuild a read model in shadow tables and swap it in");
            auto* reset = app.add_subcommand("reset", "drop a read model; the next run builds it from position 0");
            auto* run = app.add_subcommand("run", "run every projection until interrupted (Ctrl-C exits 0)");
            auto name = std::make_shared<std::string>();
            auto until_caught_up = std::make_shared<bool>(false);
            rebuild->add_option("NAME", *name, "the projection, e.g. inventory")->required();
            reset->add_option("NAME", *name, "the projection, e.g. inventory")->required();
            run->add_flag("--until-caught-up", *until_caught_up, "stop once every projection reached the head");
            return [=](const Invocation& in) {
              if (list->parsed()) {
                for (auto& p : shop::shop_projections()) {
                  std::string tables;
                  for (auto& t : p->tables()) tables += (tables.empty() ? "" : ",") + t;
                  in.out.record({{"name", p->name()}, {"version", p->version()}, {"tables", tables}});
                }
                return 0;
              }
              if (status->parsed()) {
                print_status(in, projections::stored_status(in.open_to_read(), shop::shop_projections()));
                return 0;
              }
              if (reset->parsed()) {
                projections::reset(in.open(), *find(*name));
                in.out.message(fmt::format("reset {}: the next run rebuilds it from position 0", *name),
                               {{"name", *name}, {"reset", true}});
                return 0;
              }
              if (rebuild->parsed()) {
                EventStore store = in.open();
                Progress progress;
                ProjectionRunner runner(store, with_progress(progress, store));
                runner.add(find(*name));
                runner.rebuild(*name);
                print_status(in, {runner.status(*name)});
                return 0;
              }
              if (!*until_caught_up) block_interrupts();  // before the runner's threads exist
              EventStore store = in.open();
              Progress progress;
              ProjectionRunner runner(store, with_progress(progress, store));
              for (auto& p : shop::shop_projections()) runner.add(p);
              if (*until_caught_up) {
                runner.run_until_caught_up();
              } else {
                runner.start();
                wait_for_interrupt([] { return true; });
                runner.stop();
              }
              auto statuses = runner.status();
              print_status(in, statuses);
              // The others ran on until the interrupt; a fault still makes the run a failure, as with
              // --until-caught-up.
              for (const auto& s : statuses) {
                if (s.state != projections::ProjectionState::Faulted) continue;
                in.out.flush();
                throw ProjectionFaulted(s.name, s.error_position, s.error);
              }
              return 0;
            };
          }};
}

}  // namespace evlite::cli
