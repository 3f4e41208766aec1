// The event filter options shared by `all` and `tail`.
#pragma once

#include <CLI/CLI.hpp>

#include "evlite/engine/filter.h"

namespace evlite::cli {

inline void add_filter_options(CLI::App& app, Filter& filter) {
  app.add_option("--category", filter.categories, "only streams of this category (repeatable)");
  app.add_option("--type", filter.types, "only events of this type (repeatable)");
  app.add_option("--prefix", filter.stream_prefixes, "only streams whose id starts with this (repeatable)");
}

}  // namespace evlite::cli
