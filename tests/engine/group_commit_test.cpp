#include <doctest/doctest.h>

#include <atomic>
#include <functional>
#include <thread>

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include "support/process.h"
#include "support/temp_store.h"
#include "support/test_helpers.h"
#include "support/writer_access.h"
#include "store_impl.h"

using namespace evlite;
using namespace evlite::testing;

namespace {

// Holds the store's write lock from another connection, as another process would, until released.
struct ForeignWriter {
  explicit ForeignWriter(const std::filesystem::path& db) : connection(db.string(), SQLite::OPEN_READWRITE) {
    connection.exec("BEGIN IMMEDIATE");
  }
  void release() { connection.exec("COMMIT"); }
  SQLite::Database connection;
};

// Waits (yielding, with a deadline) until `queued` appends are in flight: committing or waiting.
bool wait_for_queue(const EventStore& store, std::int64_t queued) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (store.write_stats().queued < queued) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

// Runs `append` in a thread of its own, returned once `queued` appends are in flight: appends started so,
// one after another, queue in that order.
std::thread queue_append(const EventStore& store, std::int64_t queued, std::function<void()> append) {
  std::thread thread(std::move(append));
  REQUIRE(wait_for_queue(store, queued));
  return thread;
}

// `threads` threads each append `per_thread` single events, in order, to a stream of their own ("t-N").
void append_from_threads(EventStore& store, int threads, int per_thread) {
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&store, t, per_thread] {
      for (int i = 0; i < per_thread; ++i) {
        store.append("t-" + std::to_string(t), ExpectedVersion::exact(i), {make_event()});
      }
    });
  }
  for (auto& w : workers) w.join();
}

// The group commit's own counters, which say who led.
detail::GroupCommit::Stats group_stats(const EventStore& store) {
  return detail::ImplAccess::of(store).appends.stats();
}

// Commits one group of `size` appends, each to a new stream `prefix`N: another process's lock holds the
// group back until all of them are queued.
void append_crowd(EventStore& store, const std::filesystem::path& db_path, int size, const std::string& prefix) {
  ForeignWriter foreign(db_path);
  std::vector<std::thread> crowd;
  for (int i = 0; i < size; ++i) {
    crowd.emplace_back(
        [&, i] { store.append(prefix + std::to_string(i), ExpectedVersion::no_stream(), {make_event()}); });
  }
  REQUIRE(wait_for_queue(store, size));
  foreign.release();
  for (auto& t : crowd) t.join();
}

// Makes the next group the committer thread's to lead (a crowd came before it), or leaves it to the
// appender at the queue's front; returns how many groups the committer thread is expected to lead.
std::int64_t choose_leader(EventStore& store, const std::filesystem::path& db_path) {
  std::int64_t by_committer = 0;
  SUBCASE("led by the appender at the front of the queue") {}
  SUBCASE("led by the committer thread, after a crowd") {
    append_crowd(store, db_path, 4, "crowd-");
    by_committer = 1;
  }
  return by_committer;
}

}  // namespace

TEST_CASE_FIXTURE(TempStore, "appends that arrive together share one transaction, and each conflict fails alone") {
  store.append("shared", ExpectedVersion::any(), {make_event()});  // version 1
  std::int64_t by_committer = choose_leader(store, db_path);
  auto led = group_stats(store).committer_groups;
  auto before = store.write_stats();
  ForeignWriter foreign(db_path);
  // The first appender leads and waits for the lock; seven more queue behind it meanwhile.
  std::thread leader([&] { store.append("lead", ExpectedVersion::no_stream(), {make_event()}); });
  REQUIRE(wait_for_queue(store, 1));  // the leader is in its transaction, waiting for the lock
  struct Request {
    std::string stream;
    ExpectedVersion expected;
    bool should_succeed;
    std::optional<AppendResult> result{};
    std::string error{};
  };
  std::vector<Request> requests = {
      {"a", ExpectedVersion::no_stream(), true},   {"shared", ExpectedVersion::exact(5), false},
      {"b", ExpectedVersion::no_stream(), true},   {"shared", ExpectedVersion::stream_exists(), true},
      {"c", ExpectedVersion::exact(3), false},     {"d", ExpectedVersion::any(), true},
      {"e", ExpectedVersion::no_stream(), true}};
  std::vector<std::thread> threads;
  for (auto& r : requests) {
    threads.emplace_back([&] {
      try {
        r.result = store.append(r.stream, r.expected, {make_event("Grouped")});
      } catch (const WrongExpectedVersion& e) {
        r.error = e.what();
      }
    });
  }
  REQUIRE(wait_for_queue(store, 1 + static_cast<std::int64_t>(requests.size())));
  foreign.release();
  leader.join();
  for (auto& t : threads) t.join();

  auto after = store.write_stats();
  // The leader's transaction was held up by the foreign lock; once it began, it took the seven queued
  // meanwhile: one transaction for all eight.
  CHECK(after.transactions - before.transactions == 1);
  CHECK(after.appends - before.appends == 6);            // the leader and the five that held
  CHECK(group_stats(store).committer_groups - led == by_committer);
  for (auto& r : requests) {
    CAPTURE(r.stream);
    CHECK(r.result.has_value() == r.should_succeed);
    CHECK(r.error.empty() == r.should_succeed);
  }
  CHECK(store.stream_version("shared") == StreamVersion{2});
  CHECK(store.stream_version("c") == StreamVersion{0});  // the failed request left nothing behind
  for (const char* s : {"a", "b", "d", "e", "lead"}) CHECK(store.stream_version(s) == StreamVersion{1});
  CHECK(store.verify().ok());
}

TEST_CASE_FIXTURE(TempStore, "a group whose first request fails commits the requests queued behind it") {
  store.append("taken", ExpectedVersion::any(), {make_event()});
  std::int64_t by_committer = choose_leader(store, db_path);
  auto led = group_stats(store).committer_groups;
  auto head = store.head_position().value;
  ForeignWriter foreign(db_path);
  bool leader_refused = false;
  // The leader is written without a savepoint of its own: its failure must take nothing else with it.
  std::thread leader([&] {
    try {
      store.append("taken", ExpectedVersion::no_stream(), {make_event()});
    } catch (const WrongExpectedVersion&) {
      leader_refused = true;
    }
  });
  REQUIRE(wait_for_queue(store, 1));
  std::vector<std::optional<AppendResult>> results(3);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = store.append("s-" + std::to_string(i), ExpectedVersion::no_stream(), {make_event()}); });
  }
  REQUIRE(wait_for_queue(store, 4));
  foreign.release();
  leader.join();
  for (auto& t : threads) t.join();
  CHECK(leader_refused);
  for (auto& r : results) CHECK(r.has_value());
  CHECK(store.stream_version("taken") == StreamVersion{1});
  CHECK(store.head_position() == Position{head + 3});
  // The failed first request was a group of its own; the three behind it, the next group, have the
  // company of four and so the committer thread either way.
  CHECK(group_stats(store).committer_groups - led == by_committer + 1);
  CHECK(store.verify().ok());
}

TEST_CASE_FIXTURE(TempStore, "an idempotent retry and a duplicate id inside a group each get their own answer") {
  NewEvent original = event_with_id(test_uuid(1), "Once", R"({"n":1})");
  auto first = store.append("once", ExpectedVersion::no_stream(), {original});
  ForeignWriter foreign(db_path);
  std::thread leader([&] { store.append("lead", ExpectedVersion::any(), {make_event()}); });
  REQUIRE(wait_for_queue(store, 1));
  std::optional<AppendResult> retry;
  bool duplicate_refused = false;
  std::optional<AppendResult> fresh;
  std::thread a([&] { retry = store.append("once", ExpectedVersion::no_stream(), {original}); });
  std::thread b([&] {
    try {
      store.append("elsewhere", ExpectedVersion::any(), {original});
    } catch (const DuplicateEventId&) {
      duplicate_refused = true;
    }
  });
  std::thread c([&] { fresh = store.append("fresh", ExpectedVersion::any(), {make_event()}); });
  REQUIRE(wait_for_queue(store, 4));
  foreign.release();
  for (auto* t : {&leader, &a, &b, &c}) t->join();
  REQUIRE(retry.has_value());
  CHECK(*retry == first);
  CHECK(duplicate_refused);
  CHECK(fresh.has_value());
  CHECK(store.stream_version("elsewhere") == StreamVersion{0});
  CHECK(store.stream_version("once") == StreamVersion{1});
}

TEST_CASE_FIXTURE(TempStore, "appends to one stream inside one group see each other, and a twice-sent append is stored once") {
  ForeignWriter foreign(db_path);
  std::thread leader([&] { store.append("lead", ExpectedVersion::any(), {make_event()}); });
  REQUIRE(wait_for_queue(store, 1));
  // Two creators of "x" race; an Any append joins them; the same new event is sent twice to "y".
  NewEvent twice = event_with_id(test_uuid(7), "Twice", R"({"n":7})");
  std::vector<std::optional<AppendResult>> creators(2), twice_results(2);
  std::optional<AppendResult> joiner;
  std::atomic<int> creators_refused = 0;
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      try {
        creators[i] = store.append("x", ExpectedVersion::no_stream(), {make_event("Created")});
      } catch (const WrongExpectedVersion&) {
        ++creators_refused;
      }
    });
    threads.emplace_back([&, i] { twice_results[i] = store.append("y", ExpectedVersion::any(), {twice}); });
  }
  // The joiner queues after both creators (queue order is arrival order), so one of them comes first.
  REQUIRE(wait_for_queue(store, 5));
  threads.emplace_back([&] { joiner = store.append("x", ExpectedVersion::any(), {make_event("Joined")}); });
  REQUIRE(wait_for_queue(store, 6));
  auto before = store.write_stats();
  foreign.release();
  leader.join();
  for (auto& t : threads) t.join();
  CHECK(store.write_stats().transactions - before.transactions == 1);

  CHECK(creators_refused == 1);  // exactly one created "x"
  REQUIRE(joiner.has_value());
  CHECK(store.stream_version("x") == StreamVersion{2});
  auto x = store.read_stream("x").drain();
  REQUIRE(x.size() == 2);
  CHECK(x[0].version == StreamVersion{1});
  CHECK(x[1].version == StreamVersion{2});
  // The twice-sent append: both callers succeed with the one stored event.
  REQUIRE(twice_results[0].has_value());
  REQUIRE(twice_results[1].has_value());
  CHECK(*twice_results[0] == *twice_results[1]);
  CHECK(store.stream_version("y") == StreamVersion{1});
  CHECK(store.head_position() == Position{4});
  CHECK(store.verify().ok());
}

TEST_CASE_FIXTURE(TempStore,
                  "inside a group, an append that fails while writing leaves nothing: bad JSON or a text over "
                  "SQLite's length limit in its only event or a later one, or a later stream of append_many") {
  std::int64_t by_committer = choose_leader(store, db_path);
  // Each passes every check before the write lock and fails in the insert. An append of this one event
  // has no savepoint (SQLite undoes the failed insert); one whose second event it is needs one, as does an
  // append_many.
  NewEvent bad = make_event("Bad", R"({"n":01})");  // minified, so nothing vouches for it before the insert
  std::string one_error = R"(event 0 ("Bad") of the append to stream "one": data is not valid JSON)";
  std::string several_error = R"(event 1 ("Bad") of the append to stream "several": data is not valid JSON)";
  SUBCASE("bad JSON") {}
  SUBCASE("a text over SQLite's length limit") {
    // A lower limit on the store's own writer stands in for SQLite's 1 GB one.
    on_writer(store, [](SQLite::Database& db) { sqlite3_limit(db.getHandle(), SQLITE_LIMIT_LENGTH, 10'000); });
    bad = make_event("Bad", R"({"s":")" + std::string(12'000, 'x') + R"("})");
    one_error = R"(append to stream "one": an event's data or metadata is longer than SQLite's length limit)";
    several_error = R"(append to stream "several": an event's data or metadata is longer than SQLite's length limit)";
  }
  auto head = store.head_position().value;
  auto before = store.write_stats();
  auto led = group_stats(store).committer_groups;
  ForeignWriter foreign(db_path);
  std::thread leader =
      queue_append(store, 1, [&] { store.append("lead", ExpectedVersion::no_stream(), {make_event()}); });
  std::optional<InvalidArgument> one_refused, several_refused;
  std::thread one = queue_append(store, 2, [&] {
    one_refused = thrown<InvalidArgument>([&] { store.append("one", ExpectedVersion::no_stream(), {bad}); });
  });
  std::thread several = queue_append(store, 3, [&] {
    several_refused = thrown<InvalidArgument>(
        [&] { store.append("several", ExpectedVersion::no_stream(), {make_event(), bad}); });
  });
  // Its first stream is written before the second's expectation fails.
  std::optional<WrongExpectedVersion> many_refused;
  std::thread many = queue_append(store, 4, [&] {
    many_refused = thrown<WrongExpectedVersion>([&] {
      store.append_many({{"many", ExpectedVersion::no_stream(), {make_event()}},
                         {"lead", ExpectedVersion::exact(7), {make_event()}}});
    });
  });
  std::optional<AppendResult> after;
  std::thread later =
      queue_append(store, 5, [&] { after = store.append("after", ExpectedVersion::no_stream(), {make_event()}); });
  foreign.release();
  for (auto* t : {&leader, &one, &several, &many, &later}) t->join();

  CHECK(store.write_stats().transactions - before.transactions == 1);
  CHECK(group_stats(store).committer_groups - led == by_committer);
  REQUIRE(one_refused.has_value());
  CHECK(std::string(one_refused->what()).find(one_error) != std::string::npos);
  REQUIRE(several_refused.has_value());
  CHECK(std::string(several_refused->what()).find(several_error) != std::string::npos);
  CHECK(many_refused.has_value());
  REQUIRE(after.has_value());
  CHECK(after->first_position == Position{head + 2});  // right after the leader's: nothing of the three was kept
  CHECK(store.stream_version("one") == StreamVersion{0});
  CHECK(store.stream_version("several") == StreamVersion{0});
  CHECK(store.stream_version("many") == StreamVersion{0});
  // The hash chain links "after" to the leader's event, not to a row rolled back.
  CHECK(store.head_position() == Position{head + 2});
  CHECK(store.verify().ok());
}

TEST_CASE_FIXTURE(TempStore, "after a crowd the committer thread leads, until an append comes alone and leads again") {
  store.append("alone", ExpectedVersion::no_stream(), {make_event()});
  CHECK(group_stats(store).committer_groups == 0);  // a lone appender leads its own group
  append_crowd(store, db_path, 4, "crowd-");
  CHECK(group_stats(store).committer_groups == 0);  // led by its first writer: the group before it came alone
  store.append("alone", ExpectedVersion::exact(1), {make_event()});
  CHECK(group_stats(store).committer_groups == 1);  // the company of four last time
  store.append("alone", ExpectedVersion::exact(2), {make_event()});
  CHECK(group_stats(store).committer_groups == 1);  // came alone: its appender led again
  append_crowd(store, db_path, 2, "pair-");
  store.append("alone", ExpectedVersion::exact(3), {make_event()});
  CHECK(group_stats(store).committer_groups == 1);  // a pair is no crowd
  CHECK(store.stream_version("alone") == StreamVersion{4});
  CHECK(store.head_position() == Position{10});
  CHECK(store.verify().ok());
}

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
TEST_CASE("when no thread can be started, the appender at the front leads the group the committer thread would have") {
  TempDir dir;
  auto path = dir.path() / "store.db";
  auto worker = run_program({EVLITE_GROUP_COMMIT_WORKER, path.string()}, dir.path());
  INFO(worker.err);
  REQUIRE(worker.status == 0);
  CHECK(worker.out == "threads refused; appended; committer groups 0\n");
  EventStore store = EventStore::open(path);
  CHECK(store.stream_version("alone") == StreamVersion{1});
  CHECK(store.head_position() == Position{5});
  CHECK(store.verify().ok());
}
#endif

TEST_CASE_FIXTURE(TempStore, "a group that fails as a whole fails the appends it wrote, and the rest commit next") {
  choose_leader(store, db_path);
  on_writer(store, [](SQLite::Database& db) {
    db.exec("CREATE TEMP TRIGGER boom BEFORE INSERT ON main.events WHEN NEW.stream_id = 'boom' "
            "BEGIN SELECT RAISE(ABORT, 'boom refused'); END");
  });
  auto head = store.head_position().value;
  auto before = store.write_stats();
  struct Request {
    std::string stream;
    std::optional<AppendResult> result{};
    std::string error{};
  };
  std::vector<Request> requests = {{"lead"}, {"a"}, {"boom"}, {"b"}, {"c"}};
  ForeignWriter foreign(db_path);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    threads.emplace_back([&, i] {
      try {
        requests[i].result = store.append(requests[i].stream, ExpectedVersion::no_stream(), {make_event()});
      } catch (const Error& e) {
        requests[i].error = e.what();
      }
    });
    REQUIRE(wait_for_queue(store, static_cast<std::int64_t>(i) + 1));  // queued in this order
  }
  foreign.release();
  for (auto& t : threads) t.join();

  // The leader took all five at once and wrote three: the storage error fails those three together. The
  // two it had not reached stayed queued, and the next group committed them.
  for (const auto& r : requests) {
    CAPTURE(r.stream);
    bool reached = r.stream == "lead" || r.stream == "a" || r.stream == "boom";
    CHECK(r.result.has_value() == !reached);
    CHECK((r.error.find("boom refused") != std::string::npos) == reached);
    if (reached) CHECK(r.error.find("append to stream \"" + r.stream + "\"") != std::string::npos);  // its own
    CHECK(store.stream_version(r.stream) == StreamVersion{reached ? 0 : 1});
  }
  CHECK(store.write_stats().transactions - before.transactions == 1);
  CHECK(store.head_position() == Position{head + 2});
  CHECK(store.verify().ok());
}

TEST_CASE_FIXTURE(TempStore, "a group retried after SQLITE_BUSY writes every append once, in order") {
  choose_leader(store, db_path);
  // SQLite reports busy from inside the transaction, once, at the third append's insert: the whole
  // transaction is rolled back and run again, taking the same writers and reading the chain's last link anew.
  int calls = 0;
  on_writer(store, [&](SQLite::Database& db) {
    auto busy_once = [](sqlite3_context* context, int, sqlite3_value**) {
      if ((*static_cast<int*>(sqlite3_user_data(context)))++ == 0) {
        sqlite3_result_error_code(context, SQLITE_BUSY);
      } else {
        sqlite3_result_null(context);
      }
    };
    REQUIRE(sqlite3_create_function_v2(db.getHandle(), "busy_once", 0, SQLITE_UTF8, &calls, busy_once, nullptr,
                                       nullptr, nullptr) == SQLITE_OK);
    db.exec("CREATE TEMP TRIGGER flaky BEFORE INSERT ON main.events WHEN NEW.stream_id = 'flaky' "
            "BEGIN SELECT busy_once(); END");
  });
  auto head = store.head_position().value;
  auto before = store.write_stats();
  std::vector<std::string> streams = {"lead", "a", "flaky", "b"};
  std::vector<std::optional<AppendResult>> results(streams.size());
  ForeignWriter foreign(db_path);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < streams.size(); ++i) {
    threads.emplace_back(
        [&, i] { results[i] = store.append(streams[i], ExpectedVersion::no_stream(), {make_event()}); });
    REQUIRE(wait_for_queue(store, static_cast<std::int64_t>(i) + 1));
  }
  foreign.release();
  for (auto& t : threads) t.join();

  CHECK(calls == 2);  // busy on the first attempt, through on the second
  CHECK(store.write_stats().transactions - before.transactions == 1);
  for (std::size_t i = 0; i < streams.size(); ++i) {
    REQUIRE(results[i].has_value());
    CHECK(results[i]->first_position == Position{head + 1 + static_cast<std::int64_t>(i)});
  }
  CHECK(store.head_position() == Position{head + 4});
  CHECK(store.verify().ok());
}

TEST_CASE("a leader that takes every queued writer at once still keeps the group limits") {
  TempDir dir;
  auto path = dir.path() / "store.db";
  Options options;
  std::size_t events_per_append = 1;
  SUBCASE("group_commit_max_batch 2") { options.group_commit_max_batch = 2; }
  SUBCASE("group_commit_max_events 3, two events per append") {
    options.group_commit_max_events = 3;  // the second append takes a group past 3; no third joins it
    events_per_append = 2;
  }
  EventStore store = EventStore::open(path, options);
  ForeignWriter foreign(path);
  std::vector<std::thread> threads;
  for (int i = 0; i < 5; ++i) {
    threads.emplace_back([&, i] {
      store.append("w-" + std::to_string(i), ExpectedVersion::no_stream(),
                   std::vector<NewEvent>(events_per_append, make_event()));
    });
  }
  REQUIRE(wait_for_queue(store, 5));
  foreign.release();
  for (auto& t : threads) t.join();
  CHECK(store.write_stats().transactions == 3);  // 2 + 2 + 1
  CHECK(store.head_position() == Position{5 * static_cast<std::int64_t>(events_per_append)});
}

TEST_CASE_FIXTURE(TempStore, "sixteen threads appending one event each commit in fewer transactions than appends") {
  EventStore full = EventStore::open(db_path, {.synchronous = Synchronous::Full});
  append_from_threads(full, 16, 50);
  auto stats = full.write_stats();
  CHECK(stats.appends == 800);
  CHECK(stats.transactions < stats.appends);  // some appends shared a transaction
  MESSAGE("800 appends in " << stats.transactions << " transactions");
  CHECK(full.head_position() == Position{800});
}

TEST_CASE("group_commit_max_batch 1 commits every append in its own transaction") {
  TempDir dir;
  EventStore store = EventStore::open(dir.path() / "store.db", {.group_commit_max_batch = 1});
  append_from_threads(store, 4, 20);
  auto stats = store.write_stats();
  CHECK(stats.appends == 80);
  CHECK(stats.transactions == 80);
}

TEST_CASE("group commit limits below 1 are refused when the store opens") {
  TempDir dir;
  auto path = dir.path() / "store.db";
  CHECK_THROWS_WITH_AS(EventStore::open(path, {.group_commit_max_batch = 0}),
                       doctest::Contains("group_commit_max_batch"), InvalidArgument);
  CHECK_THROWS_AS(EventStore::open(path, {.group_commit_max_events = -1}), InvalidArgument);
  CHECK_THROWS_WITH_AS(EventStore::open(path, {.read_page_events = 0}), doctest::Contains("read_page_events"),
                       InvalidArgument);
  CHECK_FALSE(std::filesystem::exists(path));  // refused before anything was created
}
