// The projection example of README.md, kept compiling and true here.
#include <doctest/doctest.h>

#include <SQLiteCpp/Statement.h>

#include "evlite/projections/read_models.h"
#include "evlite/projections/runner.h"
#include "support/temp_store.h"

namespace readme {

class Counts : public evlite::projections::Projection {
 public:
  std::string name() const override { return "counts"; }
  std::int32_t version() const override { return 1; }          // bump it to rebuild after a change
  std::vector<std::string> tables() const override { return {"counts"}; }
  evlite::Filter filter() const override { return {.categories = {"order"}}; }
  void create_schema(evlite::projections::WriteContext& c) const override {
    c.exec("CREATE TABLE {counts} (stream TEXT PRIMARY KEY, n INTEGER NOT NULL)");
  }
  void apply(const evlite::RecordedEvent& e, evlite::projections::WriteContext& c) override {
    c.run("INSERT INTO {counts} VALUES (?1, 1) ON CONFLICT (stream) DO UPDATE SET n = n + 1", e.stream_id);
  }
};

}  // namespace readme

TEST_CASE_FIXTURE(evlite::testing::TempStore, "the README's projection example runs as it says") {
  using namespace std::chrono_literals;
  evlite::projections::ProjectionRunner runner(store);
  runner.add(std::make_shared<readme::Counts>());
  runner.start();
  store.append("order-1", evlite::ExpectedVersion::any(), {evlite::testing::make_event()});
  store.append("invoice-1", evlite::ExpectedVersion::any(), {evlite::testing::make_event()});
  auto appended = store.append("order-1", evlite::ExpectedVersion::any(), {evlite::testing::make_event()});
  REQUIRE(runner.wait_for("counts", appended.last_position, 5s));  // read your own writes
  evlite::projections::ReadModels models(store);
  SQLite::Statement s(models.db(), "SELECT stream, n FROM counts");
  REQUIRE(s.executeStep());
  CHECK(s.getColumn(0).getString() == "order-1");
  CHECK(s.getColumn(1).getInt() == 2);
  CHECK_FALSE(s.executeStep());
}
