// The aggregate example of README.md, kept compiling and true here.
#include <doctest/doctest.h>

#include <evlite/aggregates/repository.h>

#include "support/temp_store.h"

namespace readme {

struct Deposited {  // a typed event: its stored type, its schema version, its JSON
  static constexpr std::string_view kType = "Deposited";
  static constexpr std::int32_t kSchemaVersion = 1;
  std::int64_t amount = 0;  // minor units, never floating point
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Deposited, amount)

struct Account {
  using Event = std::variant<Deposited>;
  static constexpr std::string_view kCategory = "account";    // streams "account-<id>"
  static constexpr std::int32_t kSnapshotSchemaVersion = 1;   // bump when the state's JSON changes
  static const evlite::aggregates::EventRegistry<Event>& registry() {
    static const evlite::aggregates::EventRegistry<Event> r;
    return r;
  }
  std::int64_t balance = 0;
  std::vector<Event> deposit(std::int64_t amount) const {
    if (amount <= 0) throw evlite::aggregates::CommandRejected("deposit: amount must be positive");
    return {Deposited{amount}};
  }
  void apply(const Event& e) { balance += std::get<Deposited>(e).amount; }
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Account, balance)  // the snapshot's shape

}  // namespace readme

TEST_CASE_FIXTURE(evlite::testing::TempStore, "the README's aggregate example runs as it says") {
  evlite::aggregates::Repository<readme::Account> accounts(store);
  accounts.execute("7", [](const readme::Account& a) { return a.deposit(500); });
  CHECK(accounts.load("7").state.balance == 500);
  CHECK_THROWS_AS(accounts.execute("7", [](const readme::Account& a) { return a.deposit(0); }),
                  evlite::aggregates::CommandRejected);
  CHECK(store.stream_version("account-7") == evlite::StreamVersion{1});
}
