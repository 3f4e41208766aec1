#include "connection.h"

#include <algorithm>
#include <limits>
#include <thread>

#include <fmt/format.h>
#include <sqlite3.h>

#include "errors_internal.h"
#include "wal_vfs.h"

namespace evlite::detail {
namespace {

constexpr std::size_t kMaxIdleReaders = 16;

bool is_busy(const SQLite::Exception& e) {
  return e.getErrorCode() == SQLITE_BUSY || e.getErrorCode() == SQLITE_LOCKED;
}

}  // namespace

Connection::Connection(const std::filesystem::path& path, const Options& options, Role role)
    : db(open_database(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_NOMUTEX)) {
  configure(db, options, role);
}

SQLite::Database open_database(const std::string& path, int flags) {
  return SQLite::Database(path, flags, 0, wal_vfs());
}

void configure(SQLite::Database& db, const Options& options, Role role) {
  set_busy_timeout(db, options.busy_timeout);
  db.exec(options.synchronous == Synchronous::Full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA foreign_keys = ON");
  std::int64_t cache = role == Role::Writer ? options.write_cache_bytes : options.read_cache_bytes;
  db.exec(fmt::format("PRAGMA cache_size = {}", -(cache / 1024)));  // negative: KiB, not pages
  if (role == Role::Writer) {
    if (options.max_file_bytes > 0) {
      std::int64_t page = db.execAndGet("PRAGMA page_size").getInt64();
      db.exec(fmt::format("PRAGMA max_page_count = {}", std::max<std::int64_t>(1, options.max_file_bytes / page)));
    }
  } else {
    db.exec("PRAGMA query_only = ON");
  }
}

std::chrono::steady_clock::time_point deadline_after(std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  auto now = Clock::now();
  if (timeout <= std::chrono::milliseconds::zero()) return now;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::time_point::max() - now);
  return timeout >= left ? Clock::time_point::max() : now + timeout;
}

void set_busy_timeout(SQLite::Database& db, std::chrono::milliseconds wait) {
  // SQLite takes an int of milliseconds; 0 or less: no waiting.
  sqlite3_busy_timeout(db.getHandle(),
                       static_cast<int>(std::clamp<std::int64_t>(wait.count(), 0, std::numeric_limits<int>::max())));
}

namespace {

// While a write transaction runs, SQLite's busy handler gets only what is left of the write's deadline;
// after it, the connection's own timeout again, for its reads.
class BusyTimeoutScope {
 public:
  BusyTimeoutScope(SQLite::Database& db, std::chrono::milliseconds normal) : db_(db), normal_(normal) {}
  ~BusyTimeoutScope() { set_busy_timeout(db_, normal_); }
  BusyTimeoutScope(const BusyTimeoutScope&) = delete;
  BusyTimeoutScope& operator=(const BusyTimeoutScope&) = delete;
  void wait_until(std::chrono::steady_clock::time_point deadline) {
    set_busy_timeout(db_, std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
  }

 private:
  SQLite::Database& db_;
  std::chrono::milliseconds normal_;
};

}  // namespace

TransactionStatements::~TransactionStatements() {
  for (sqlite3_stmt* statement : {begin_, commit_, rollback_}) sqlite3_finalize(statement);
}

void TransactionStatements::run(sqlite3_stmt*& statement, const char* sql) {
  sqlite3* db = db_.getHandle();
  if (statement == nullptr) {
    int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
    if (rc != SQLITE_OK) throw SQLite::Exception(db, rc);
  }
  int rc = sqlite3_step(statement);
  if (rc == SQLITE_DONE) {
    sqlite3_reset(statement);
    return;
  }
  SQLite::Exception error(db, rc);  // before the reset, which sets the connection's error again
  sqlite3_reset(statement);
  throw error;
}

void TransactionStatements::rollback() noexcept {
  if (sqlite3_get_autocommit(db_.getHandle()) != 0) return;  // no transaction open
  try {
    run(rollback_, "ROLLBACK");
  } catch (const SQLite::Exception&) {  // SQLite rolls back what it can; the next BEGIN reports what is left
  }
}

namespace {

// Rolls back a transaction that was begun and not committed, on any exit.
class RollbackUnlessCommitted {
 public:
  explicit RollbackUnlessCommitted(TransactionStatements& statements) : statements_(statements) {}
  ~RollbackUnlessCommitted() {
    if (!committed_) statements_.rollback();
  }
  RollbackUnlessCommitted(const RollbackUnlessCommitted&) = delete;
  RollbackUnlessCommitted& operator=(const RollbackUnlessCommitted&) = delete;
  void commit() {
    statements_.commit();
    committed_ = true;
  }

 private:
  TransactionStatements& statements_;
  bool committed_ = false;
};

// Throws when a statement of the body that writes was stepped and not run to its end or reset: COMMIT would
// refuse with SQLITE_BUSY ("SQL statements in progress"), which reads as another process's lock and would be
// waited on in vain, to end as "locked by another process".
void check_no_write_running(SQLite::Database& db, const std::string& context) {
  sqlite3* handle = db.getHandle();
  for (sqlite3_stmt* s = sqlite3_next_stmt(handle, nullptr); s != nullptr; s = sqlite3_next_stmt(handle, s)) {
    if (sqlite3_stmt_busy(s) != 0 && sqlite3_stmt_readonly(s) == 0) {
      throw StorageError(SQLITE_MISUSE, fmt::format("{}: a statement that writes is still running when the transaction "
                                                    "ends (step it to its end or reset it): {}",
                                                    context, sqlite3_sql(s)));
    }
  }
}

}  // namespace

void write_transaction(TransactionStatements& statements, std::chrono::steady_clock::time_point deadline,
                       std::chrono::milliseconds busy_timeout, const std::string& context,
                       const std::function<void()>& body) {
  BusyTimeoutScope busy(statements.db(), busy_timeout);
  for (;;) {
    try {
      busy.wait_until(deadline);
      // IMMEDIATE takes the write lock up front: a DEFERRED transaction that upgrades to a write can hit
      // SQLITE_BUSY that no busy timeout resolves.
      statements.begin_immediate();
      RollbackUnlessCommitted transaction(statements);
      body();
      check_no_write_running(statements.db(), context);
      transaction.commit();
      return;
    } catch (const SQLite::Exception& e) {
      if (!is_busy(e)) throw;
      if (std::chrono::steady_clock::now() >= deadline) {
        throw StorageError(e.getExtendedErrorCode(),
                           fmt::format("{}: the store is locked by another process; gave up after waiting {} ms",
                                       context, busy_timeout.count()));
      }
      // SQLite's busy handler already waited; a busy result that got past it (for instance during WAL
      // recovery by another process) is retried after yielding.
      std::this_thread::yield();
    }
  }
}

ConnectionPool::ConnectionPool(std::filesystem::path path, Options options)
    : path_(std::move(path)), options_(std::move(options)) {}

ConnectionPool::Lease::Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection)
    : pool_(&pool), connection_(std::move(connection)) {}

ConnectionPool::Lease::~Lease() {
  if (!connection_) return;
  std::lock_guard lock(pool_->mutex_);
  if (pool_->idle_.size() < kMaxIdleReaders) pool_->idle_.push_back(std::move(connection_));
}

ConnectionPool::Lease ConnectionPool::borrow() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(connection));
    }
  }
  return Lease(*this, std::make_unique<Connection>(path_, options_, Role::Reader));
}

}  // namespace evlite::detail
