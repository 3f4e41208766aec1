#include <doctest/doctest.h>

#include <signal.h>

#include <fstream>
#include <sstream>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/temp_store.h"
#include "support/test_helpers.h"

using namespace evlite;
using namespace evlite::testing;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// A fresh directory with a store path for the CLI, and a way to run it.
struct Cli {
  TempDir dir;
  std::filesystem::path db = dir.path() / "cli.db";

  ProgramResult run(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {EVLITE_CLI, "--db", db.string()});
    return run_program(args, dir.path(), input);
  }
  // Runs and requires exit status 0, returning stdout.
  std::string ok(std::vector<std::string> args, const std::string& input = "") {
    ProgramResult r = run(args, input);
    INFO("stderr: " << r.err);
    REQUIRE(r.status == 0);
    return r.out;
  }
};

std::vector<json> json_lines(const std::string& out) {
  std::vector<json> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

std::vector<std::string> keys_of(const json& object) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// One line on stderr, starting "evlite: ".
void check_one_line_error(const ProgramResult& r, const std::string& fragment) {
  CHECK(r.err.starts_with("evlite: "));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.err.find(fragment) != std::string::npos);
}

const std::string kPlaced =
    R"({"order_id":"42","customer":"c-7","lines":[{"product":"sku-1","quantity":2,"unit_price":250}],)"
    R"("shipping_address":{"street":"1 Quay","city":"Leith","postcode":"EH6","country":"GB"},"currency":"EUR"})";

}  // namespace

TEST_CASE("init creates a store and migrate reports the versions before and after") {
  Cli cli;
  auto migrated = json_lines(cli.ok({"--json", "migrate"}));
  CHECK(migrated[0]["from"] == 0);
  CHECK(migrated[0]["to"] == EventStore::latest_schema_version());
  CHECK(json_lines(cli.ok({"--json", "migrate"}))[0]["from"] == EventStore::latest_schema_version());
  CHECK(cli.ok({"init"}).find("schema version") != std::string::npos);
}

TEST_CASE("append and read print events with exactly the documented JSON keys") {
  Cli cli;
  auto appended = json_lines(cli.ok({"--json", "append", "order-42", "OrderPlaced", kPlaced, "--schema-version", "3",
                                     "--expected-version", "no-stream", "--metadata", R"({"user":"u-1"})"}));
  CHECK(appended[0]["version"] == 1);
  CHECK(appended[0]["last_position"] == 1);
  cli.ok({"append", "order-42", "StockReserved", R"({"reservation_id":"r-1"})", "--expected-version", "1"});
  auto events = json_lines(cli.ok({"read", "order-42", "--json"}));
  REQUIRE(events.size() == 2);
  CHECK(keys_of(events[0]) == sorted({"position", "stream", "version", "id", "type", "schema_version", "data",
                                      "metadata", "recorded_at"}));
  CHECK(events[0]["stream"] == "order-42");
  CHECK(events[0]["schema_version"] == 3);
  CHECK(events[0]["data"] == json::parse(kPlaced));
  CHECK(events[0]["metadata"]["user"] == "u-1");
  CHECK(events[0]["metadata"]["correlation_id"] == events[0]["id"]);
  std::string at = events[1]["recorded_at"];
  CHECK(at.size() == 27);
  CHECK(at.back() == 'Z');
  // Backward, bounded, and from a version.
  auto backward = json_lines(cli.ok({"--json", "read", "order-42", "--backward", "--count", "1"}));
  REQUIRE(backward.size() == 1);
  CHECK(backward[0]["version"] == 2);
  CHECK(json_lines(cli.ok({"--json", "read", "order-42", "--from", "2"})).size() == 1);
  // The table has a header and one row per event.
  std::string table = cli.ok({"read", "order-42"});
  CHECK(table.starts_with(" POSITION"));
  CHECK(std::count(table.begin(), table.end(), '\n') == 3);
}

TEST_CASE("append errors exit 2 for a conflict and 1 for bad input, on one stderr line, writing nothing") {
  Cli cli;
  cli.ok({"append", "order-1", "A", "{}"});
  ProgramResult conflict = cli.run({"append", "order-1", "B", "{}", "--expected-version", "5"});
  CHECK(conflict.status == 2);
  check_one_line_error(conflict, "stream \"order-1\": expected 5, actual 1");
  std::string id = "00000000-0000-4000-8000-000000000001";
  cli.ok({"append", "order-1", "C", "{}", "--id", id});
  ProgramResult duplicate = cli.run({"append", "order-2", "C", "{}", "--id", id});
  CHECK(duplicate.status == 2);
  check_one_line_error(duplicate, "duplicate event id");
  ProgramResult malformed = cli.run({"append", "order-1", "D", "{nope"});
  CHECK(malformed.status == 1);
  check_one_line_error(malformed, "data is not valid JSON");
  ProgramResult bad_expectation = cli.run({"append", "order-1", "D", "{}", "--expected-version", "soon"});
  CHECK(bad_expectation.status == 1);
  check_one_line_error(bad_expectation, "\"soon\"");
  ProgramResult bad_stream = cli.run({"append", "$all", "D", "{}"});
  CHECK(bad_stream.status == 1);
  ProgramResult usage = cli.run({"append"});
  CHECK(usage.status == 1);
  CHECK(usage.err.starts_with("evlite: "));
  ProgramResult unknown = cli.run({"frobnicate"});
  CHECK(unknown.status == 1);
  CHECK(json_lines(cli.ok({"--json", "all"})).size() == 2);
}

TEST_CASE("append --file writes every line atomically, and a bad line writes nothing") {
  Cli cli;
  cli.ok({"init"});
  std::ofstream(cli.dir.path() / "good.ndjson")
      << R"({"type":"A","data":{"x":1.50}})" << "\n"
      << R"({"type":"B","metadata":{"k":"v"},"id":"00000000-0000-4000-8000-00000000000a"})" << "\n";
  std::ofstream(cli.dir.path() / "bad.ndjson") << R"({"type":"A"})" << "\n" << R"({"data":{}})" << "\n";
  ProgramResult bad = cli.run({"append", "thing-1", "--file", (cli.dir.path() / "bad.ndjson").string()});
  CHECK(bad.status == 1);
  check_one_line_error(bad, "line 2: key \"type\" is missing");
  CHECK(cli.ok({"--json", "all"}).empty());
  cli.ok({"append", "thing-1", "--file", (cli.dir.path() / "good.ndjson").string(), "--expected-version", "no-stream"});
  auto events = json_lines(cli.ok({"--json", "read", "thing-1"}));
  REQUIRE(events.size() == 2);
  CHECK(events[0]["data"].dump() == R"({"x":1.5})");  // nlohmann's reading; the stored text keeps 1.50:
  CHECK(cli.ok({"--json", "read", "thing-1", "--count", "1"}).find(R"("data":{"x":1.50})") != std::string::npos);
  CHECK(events[1]["id"] == "00000000-0000-4000-8000-00000000000a");
}

TEST_CASE("all filters by category, type and prefix, and streams lists streams of a category") {
  Cli cli;
  cli.ok({"append", "order-1", "OrderPlaced", "{}"});
  cli.ok({"append", "order-2", "OrderShipped", "{}"});
  cli.ok({"append", "inventory-a", "StockReceived", "{}"});
  CHECK(json_lines(cli.ok({"--json", "all", "--category", "order"})).size() == 2);
  CHECK(json_lines(cli.ok({"--json", "all", "--type", "OrderShipped", "--type", "StockReceived"})).size() == 2);
  CHECK(json_lines(cli.ok({"--json", "all", "--prefix", "order-1"})).size() == 1);
  auto from = json_lines(cli.ok({"--json", "all", "--from", "2", "--count", "1"}));
  REQUIRE(from.size() == 1);
  CHECK(from[0]["position"] == 2);
  auto chain = json_lines(cli.ok({"--json", "all", "--correlation", "flow-1"}));
  CHECK(chain.empty());
  cli.ok({"append", "order-9", "Linked", "{}", "--metadata", R"({"correlation_id":"flow-1"})"});
  chain = json_lines(cli.ok({"--json", "all", "--correlation", "flow-1"}));
  REQUIRE(chain.size() == 1);
  CHECK(chain[0]["stream"] == "order-9");
  auto streams = json_lines(cli.ok({"--json", "streams", "--category", "order"}));
  REQUIRE(streams.size() == 3);
  CHECK(streams[0]["stream"] == "order-1");
  CHECK(streams[0]["version"] == 1);
}

TEST_CASE("export, import into an empty store, export again: byte-identical, and a non-empty store needs --append") {
  Cli source;
  source.ok({"append", "order-1", "A", R"({"n": 1.50, "s":"\u00e9"})", "--metadata", R"({"user":"u"})"});
  source.ok({"append", "order-2", "B", R"([1, 2])"});
  source.ok({"append", "order-1", "C", R"("text")", "--schema-version", "4"});
  std::string exported = source.ok({"export"});
  std::ofstream(source.dir.path() / "export.ndjson") << exported;

  Cli copy;
  auto imported = json_lines(copy.ok({"--json", "import", (source.dir.path() / "export.ndjson").string()}));
  CHECK(imported[0]["written"] == 3);
  CHECK(copy.ok({"export"}) == exported);
  CHECK(copy.ok({"--json", "all"}) == source.ok({"--json", "all"}));

  ProgramResult refused = copy.run({"import", (source.dir.path() / "export.ndjson").string()});
  CHECK(refused.status == 1);
  check_one_line_error(refused, "not empty");
  auto again = json_lines(copy.ok({"--json", "import", "--append", (source.dir.path() / "export.ndjson").string()}));
  CHECK(again[0]["written"] == 0);  // every event already stored: the idempotent append skips them
  CHECK(copy.ok({"export"}) == exported);
  // Export by category and from a position.
  CHECK(json_lines(source.ok({"export", "--category", "order", "--from", "2"})).size() == 2);
}

TEST_CASE("import --append writes only what is missing, and refuses an id stored in another stream naming the line") {
  Cli source;
  source.ok({"append", "order-1", "A", R"({"n":1})"});
  source.ok({"append", "order-2", "B", R"({"n":2})"});
  source.ok({"append", "order-1", "C", R"({"n":3})"});
  std::string exported = source.ok({"export"});
  std::string first_line = exported.substr(0, exported.find('\n') + 1);

  Cli copy;
  copy.ok({"import", "-"}, first_line);
  copy.ok({"append", "order-2", "Local", "{}"});
  auto mixed = json_lines(copy.ok({"--json", "import", "--append", "-"}, exported));
  CHECK(mixed[0]["written"] == 2);  // the first event was stored already
  auto events = json_lines(copy.ok({"--json", "all"}));
  REQUIRE(events.size() == 4);
  CHECK(events[3]["type"] == "C");

  json moved = json::parse(first_line);
  moved["stream"] = "order-9";  // the same id, in another stream
  ProgramResult refused = copy.run({"import", "--append", "-"}, exported + moved.dump() + "\n");
  CHECK(refused.status == 2);
  check_one_line_error(refused, R"(line 4: it is stored in stream "order-1")");
  CHECK(json_lines(copy.ok({"--json", "all"})).size() == 4);  // nothing of that import was written
}

TEST_CASE("import refuses malformed lines naming the line, and writes nothing") {
  Cli cli;
  ProgramResult r = cli.run({"import", "-"}, "{\"position\":1}\n");
  CHECK(r.status == 1);
  check_one_line_error(r, "line 1");
  ProgramResult garbage = cli.run({"import", "-"}, "not json\n");
  CHECK(garbage.status == 1);
  CHECK(cli.ok({"export"}).empty());
}

TEST_CASE("verify passes on a sound store and exits 3 naming what a tampered one breaks") {
  Cli cli;
  cli.ok({"append", "order-1", "A", "{}"});
  cli.ok({"append", "order-1", "B", "{}"});
  cli.ok({"append", "order-1", "C", "{}"});
  CHECK(cli.ok({"verify"}).find("ok: 3 events") != std::string::npos);
  {
    SQLite::Database raw(cli.db.string(), SQLite::OPEN_READWRITE);
    raw.exec("DROP TRIGGER events_are_append_only_delete");
    raw.exec("DELETE FROM events WHERE position = 2");
  }
  ProgramResult r = cli.run({"--json", "verify"});
  CHECK(r.status == 3);
  auto lines = json_lines(r.out);
  CHECK(lines.back()["ok"] == false);
  std::string all = r.out;
  CHECK(all.find("events_are_append_only_delete is missing") != std::string::npos);
  CHECK(all.find("versions are not contiguous") != std::string::npos);
}

TEST_CASE("a file that is not a store exits 3 with a schema error naming it") {
  Cli cli;
  std::ofstream(cli.db) << std::string(4096, 'x');
  ProgramResult r = cli.run({"all"});
  CHECK(r.status == 3);
  check_one_line_error(r, cli.db.string());
}

TEST_CASE("replay rebuilds an order and prints its state, also as of a version") {
  Cli cli;
  cli.ok({"append", "order-42", "OrderPlaced", kPlaced, "--schema-version", "3"});
  cli.ok({"append", "order-42", "StockReserved", R"({"reservation_id":"r"})"});
  auto now = json_lines(cli.ok({"--json", "replay", "order-42"}));
  REQUIRE(now.size() == 1);
  CHECK(now[0]["order"] == "42");
  CHECK(now[0]["state"] == "stock_reserved");
  CHECK(now[0]["version"] == 2);
  CHECK(now[0]["total"] == 500);
  CHECK(now[0]["lines"][0]["product"] == "sku-1");
  auto then = json_lines(cli.ok({"--json", "replay", "order-42", "--to-version", "1"}));
  CHECK(then[0]["state"] == "placed");
  CHECK(then[0]["version"] == 1);
  CHECK(cli.run({"replay", "order-9"}).status == 1);
  CHECK(cli.run({"replay", "invoice-1"}).status == 1);
  cli.ok({"append", "order-7", "OrderPlaced", R"({"order_id":"7"})", "--schema-version", "3"});
  ProgramResult broken = cli.run({"replay", "order-7"});
  CHECK(broken.status == 1);
  check_one_line_error(broken, "stream order-7 version 1");
}

TEST_CASE("projections run, status and view show the read models with the documented keys") {
  Cli cli;
  cli.ok({"append", "inventory-sku-1", "StockReceived", R"({"product":"sku-1","quantity":10})"});
  cli.ok({"append", "order-42", "OrderPlaced", kPlaced, "--schema-version", "3"});
  cli.ok({"append", "inventory-sku-1", "StockAllocated", R"({"product":"sku-1","order_id":"42","quantity":2})"});
  auto before = json_lines(cli.ok({"--json", "projections", "status"}));
  REQUIRE(before.size() == 3);
  CHECK(keys_of(before[0]) == sorted({"name", "version", "checkpoint", "lag", "state", "error"}));
  CHECK(before[0]["lag"] == 3);
  cli.ok({"projections", "run", "--until-caught-up"});
  for (const auto& s : json_lines(cli.ok({"--json", "projections", "status"}))) CHECK(s["lag"] == 0);

  auto inventory = json_lines(cli.ok({"--json", "view", "inventory"}));
  REQUIRE(inventory.size() == 1);
  CHECK(inventory[0]["product"] == "sku-1");
  CHECK(inventory[0]["on_hand"] == 10);
  CHECK(inventory[0]["reserved"] == 2);
  CHECK(inventory[0]["available"] == 8);
  auto shipping = json_lines(cli.ok({"view", "shipping", "--json"}));
  REQUIRE(shipping.size() == 1);
  for (const char* key : {"shipment", "order", "state", "carrier", "tracking"}) CHECK(shipping[0].contains(key));
  auto orders = json_lines(cli.ok({"--json", "view", "orders"}));
  REQUIRE(orders.size() == 1);
  for (const char* key : {"order", "customer", "state", "items", "total"}) CHECK(orders[0].contains(key));
  CHECK(orders[0]["total"] == 500);
  CHECK(json_lines(cli.ok({"--json", "view", "orders", "--state", "paid"})).empty());
  CHECK(cli.run({"view", "nothing"}).status == 1);

  auto rebuilt = json_lines(cli.ok({"--json", "projections", "rebuild", "inventory"}));
  CHECK(rebuilt[0]["lag"] == 0);
  CHECK(json_lines(cli.ok({"--json", "view", "inventory"})) == inventory);
  cli.ok({"projections", "reset", "shipping"});
  CHECK(json_lines(cli.ok({"--json", "view", "shipping"})).empty());
  CHECK(cli.run({"projections", "rebuild", "nope"}).status == 1);
  auto list = json_lines(cli.ok({"--json", "projections", "list"}));
  CHECK(list.size() == 3);
}

TEST_CASE("a faulted projection shows its error in status and run exits 3") {
  Cli cli;
  cli.ok({"append", "order-5", "OrderPlaced", R"({"order_id":"5"})", "--schema-version", "3"});
  ProgramResult run = cli.run({"projections", "run", "--until-caught-up"});
  CHECK(run.status == 3);
  check_one_line_error(run, "faulted at position 1");
  auto status = json_lines(cli.ok({"--json", "projections", "status"}));
  CHECK(status[2]["state"] == "faulted");
  CHECK(status[2]["error"].get<std::string>().find("at position 1") != std::string::npos);
  CHECK(status[0]["state"] != "faulted");  // inventory has nothing to do with it
}

TEST_CASE("stats counts events, streams, categories and types") {
  Cli cli;
  cli.ok({"append", "order-1", "A", "{}"});
  cli.ok({"append", "order-2", "A", "{}"});
  cli.ok({"append", "inventory-x", "B", "{}"});
  auto stats = json_lines(cli.ok({"--json", "stats"}));
  REQUIRE(stats.size() == 1);
  CHECK(stats[0]["events"] == 3);
  CHECK(stats[0]["streams"] == 3);
  CHECK(stats[0]["head"] == 3);
  CHECK(stats[0]["events_per_category"]["order"] == 2);
  CHECK(stats[0]["events_per_type"]["A"] == 2);
  CHECK(stats[0]["file_bytes"].get<std::int64_t>() > 0);
  CHECK(stats[0]["projection_lag"]["inventory"] == 3);
  CHECK(cli.ok({"stats"}).find("events per type") != std::string::npos);
}

TEST_CASE("tail follows appends from another process and exits 0 on Ctrl-C") {
  Cli cli;
  cli.ok({"append", "order-1", "Old", "{}"});
  RunningProgram tail({EVLITE_CLI, "--db", cli.db.string(), "--json", "tail", "--category", "order"});
  // Wait until tail is following (its first append shows up), then more.
  std::optional<std::string> first;
  for (int i = 0; i < 50 && !first; ++i) {
    cli.ok({"append", "order-2", "Live", "{}"});
    first = tail.read_line(200ms);
  }
  REQUIRE(first.has_value());
  CHECK(json::parse(*first)["type"] == "Live");
  cli.ok({"append", "inventory-1", "Skipped", "{}"});
  cli.ok({"append", "order-3", "Later", "{}"});
  std::optional<std::string> later;
  while ((later = tail.read_line(10s)) && json::parse(*later)["type"] == "Live") {
  }
  REQUIRE(later.has_value());
  CHECK(json::parse(*later)["stream"] == "order-3");
  tail.send(SIGINT);
  CHECK(tail.wait() == 0);
}

TEST_CASE("--help lists every command and each command's help shows its options and an example") {
  Cli cli;
  std::string help = cli.ok({"--help"});
  for (const char* command : {"init", "migrate", "append", "read", "all", "streams", "tail", "replay", "projections",
                              "view", "stats", "export", "import", "verify"}) {
    CHECK(help.find(command) != std::string::npos);
    std::string own = cli.ok({command, "--help"});
    CAPTURE(command);
    CHECK(own.find("Example:") != std::string::npos);
  }
  CHECK(help.find("Exit status") != std::string::npos);
  std::string append = cli.ok({"append", "--help"});
  for (const char* option : {"--metadata", "--id", "--expected-version", "--file", "--schema-version"}) {
    CHECK(append.find(option) != std::string::npos);
  }
}

TEST_CASE("the store defaults to $EVLITE_DB") {
  Cli cli;
  setenv("EVLITE_DB", cli.db.c_str(), 1);
  ProgramResult r = run_program({EVLITE_CLI, "append", "order-1", "A", "{}"}, cli.dir.path());
  unsetenv("EVLITE_DB");
  CHECK(r.status == 0);
  CHECK(json_lines(cli.ok({"--json", "all"})).size() == 1);
}

// Every command that only reads: it opens the store read-only.
const std::vector<std::vector<std::string>> kReadCommands = {
    {"read", "order-1"}, {"all"},    {"streams"},           {"stats"},   {"verify"},
    {"export"},          {"view", "inventory"}, {"projections", "status"}, {"replay", "order-1"}};

TEST_CASE("read commands on a missing store fail naming it and create nothing") {
  Cli cli;
  for (const std::vector<std::string>& args : kReadCommands) {
    CAPTURE(args.front());
    ProgramResult r = cli.run(args);
    CHECK(r.status == 3);
    check_one_line_error(r, "no store here");
    CHECK_FALSE(std::filesystem::exists(cli.db));
  }
}

TEST_CASE("read commands read an existing store without writing to it, and refuse one newer than the code") {
  Cli cli;
  cli.ok({"append", "order-1", "OrderNoted", R"({"note":"x"})"});
  const std::string before = file_bytes(cli.db);
  for (const std::vector<std::string>& args : {kReadCommands[0], kReadCommands[1], kReadCommands[2],
                                               kReadCommands[3], kReadCommands[4], kReadCommands[5]}) {
    CAPTURE(args.front());
    cli.ok(args);
  }
  CHECK(file_bytes(cli.db) == before);

  {
    SQLite::Database raw(cli.db.string(), SQLite::OPEN_READWRITE);
    raw.exec(fmt::format("PRAGMA user_version = {}", EventStore::latest_schema_version() + 1));
  }
  const std::string newer = file_bytes(cli.db);
  for (const std::vector<std::string>& args : kReadCommands) {
    CAPTURE(args.front());
    ProgramResult r = cli.run(args);
    CHECK(r.status == 3);
    check_one_line_error(r, "newer than this evlite supports");
  }
  CHECK(file_bytes(cli.db) == newer);
}

TEST_CASE("numbers are plain decimal: a leading zero is not octal, and hex, negative and out-of-range values are refused") {
  Cli cli;
  cli.ok({"append", "order-1", "A", "{}"});
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"all", "--from", "0x10"}, {"all", "--from", "-1"}, {"all", "--count", "-1"},
           {"all", "--from", "99999999999999999999"}, {"read", "order-1", "--from", "-3"},
           {"export", "--from", "-5"}, {"append", "order-1", "B", "{}", "--schema-version", "0x10"}}) {
    CAPTURE(fmt::format("{}", fmt::join(args, " ")));
    ProgramResult r = cli.run(args);
    CHECK(r.status == 1);
    check_one_line_error(r, "non-negative decimal");
  }
  CHECK(json_lines(cli.ok({"--json", "read", "order-1"})).size() == 1);  // the refused append wrote nothing
  // 010 is ten, as a person means it (CLI11 alone read it as octal 8).
  cli.ok({"append", "order-1", "B", "{}", "--schema-version", "010"});
  auto events = json_lines(cli.ok({"--json", "read", "order-1"}));
  REQUIRE(events.size() == 2);
  CHECK(events[1]["schema_version"] == 10);
  for (int i = 0; i < 9; ++i) cli.ok({"append", "order-1", "C", "{}"});
  CHECK(json_lines(cli.ok({"--json", "all", "--from", "010"})).front()["position"] == 10);
}

TEST_CASE("output that cannot be written fails the command with one line on stderr, not exit 0 or an abort") {
  Cli cli;
  cli.ok({"append", "order-1", "A", "{}"});
  const std::string command = fmt::format("'{}' --db '{}'", EVLITE_CLI, cli.db.string());
  for (std::string args : {"export", "streams", "read order-1"}) {
    CAPTURE(args);
    ProgramResult r = run_program({"/bin/sh", "-c", command + " " + args + " > /dev/full"}, cli.dir.path());
    CHECK(r.status == 3);
    check_one_line_error(r, "writing the output failed");
  }
  // And with stderr gone too, the status still tells: a conflict is 2, not an abort.
  ProgramResult conflict = run_program(
      {"/bin/sh", "-c", command + " append order-1 B '{}' --expected-version 5 2>/dev/full"}, cli.dir.path());
  CHECK(conflict.status == 2);
}

TEST_CASE("streams printed a page at a time have one header") {
  Cli cli;
  {
    EventStore store = EventStore::open(cli.db);
    std::vector<StreamAppend> appends;
    for (int i = 0; i < 1005; ++i) appends.push_back({fmt::format("order-{}", i), ExpectedVersion::any(), {{.type = "A"}}});
    store.append_many(appends);
  }
  std::string out = cli.ok({"streams"});
  std::size_t headers = 0;
  for (std::size_t at = out.find("STREAM"); at != std::string::npos; at = out.find("STREAM", at + 1)) ++headers;
  CHECK(headers == 1);
}

TEST_CASE("metadata without a correlation id is refused by import, and skipped by all --correlation") {
  Cli source, copy;
  source.ok({"append", "order-1", "A", "{}"});
  json line = json_lines(source.ok({"export"})).front();
  line["metadata"] = json::object();
  ProgramResult refused = copy.run({"import", "-"}, line.dump() + "\n");
  CHECK(refused.status == 1);
  check_one_line_error(refused, "metadata needs a string \"correlation_id\"");
  // Only a hand-edited file holds such an event; `all --correlation` passes over it.
  SQLite::Database raw(source.db.string(), SQLite::OPEN_READWRITE);
  raw.exec("DROP TRIGGER events_are_append_only_update");  // as a hand edit would
  raw.exec("UPDATE events SET metadata = '{}'");
  ProgramResult r = source.run({"all", "--correlation", "x"});
  CHECK(r.status == 0);
  CHECK(r.out.empty());
}

TEST_CASE("tail ends with an error when its output goes away, instead of waiting for Ctrl-C") {
  Cli cli;
  EventStore store = EventStore::open(cli.db);
  auto rc = cli.dir.path() / "rc.txt";
  // SIGPIPE ignored, so that writing to the pipe `head` closed fails with EPIPE in the subscription's
  // handler; `timeout` bounds the test should tail wait on regardless.
  RunningProgram tail({"/bin/sh", "-c",
                       fmt::format("trap '' PIPE; {{ timeout 30 '{}' --db '{}' tail --from 1; echo $? > '{}'; }} | head -c 1 > /dev/null",
                                   EVLITE_CLI, cli.db.string(), rc.string())});
  // Events keep coming, so that one is written after `head` has gone.
  REQUIRE(eventually([&] {
    store.append("order-1", ExpectedVersion::any(), {{.type = "A"}});
    return std::filesystem::exists(rc) && std::filesystem::file_size(rc) > 0;
  }, 40s));
  tail.wait();
  std::string status;
  std::ifstream(rc) >> status;
  CHECK(status == "3");  // the write error, not 124 from timeout
}

TEST_CASE("--json output of text that is not UTF-8 (here a file name) is printed with replacement characters") {
  Cli cli;
  cli.db = cli.dir.path() / "\xff.db";
  auto lines = json_lines(cli.ok({"--json", "init"}));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["db"].get<std::string>().find("\xEF\xBF\xBD.db") != std::string::npos);  // U+FFFD
}
