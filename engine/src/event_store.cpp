// Opening and closing a store; the commit signal shared with subscriptions.
#include "evlite/engine/event_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <sqlite3.h>

#include "errors_internal.h"
#include "migrator.h"
#include "store_impl.h"

namespace evlite {

namespace detail {

void CommitSignal::notify() {
  {
    std::lock_guard lock(mutex_);
    ++count_;
  }
  changed_.notify_all();
}

std::uint64_t CommitSignal::count() {
  std::lock_guard lock(mutex_);
  return count_;
}

bool CommitSignal::wait(std::uint64_t seen, std::chrono::milliseconds timeout, const std::atomic<bool>& stop) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return count_ != seen || stop; });
}

void CommitSignal::wake_all() {
  // Taking the lock orders the caller's stop flag before a waiter's predicate check: no lost wake-up.
  { std::lock_guard lock(mutex_); }
  changed_.notify_all();
}

}  // namespace detail

EventStore::Impl::Impl(std::filesystem::path path_in, Options options_in)
    : path(std::move(path_in)),
      path_text(path.string()),
      options(options_in),
      checkpointer(path, options),
      readers(path, options) {}

namespace {

// Creates an absent store file with the options' permissions before SQLite opens it: SQLite would create it
// 0644, and gives the -wal and -shm files the mode of the main file.
void create_with_mode(const std::filesystem::path& path, int mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) {
    if (errno == EEXIST) return;  // another process created it first
    throw StorageError(SQLITE_CANTOPEN, fmt::format("{}: cannot create the store file: {}", path.string(),
                                                    std::strerror(errno)));
  }
  ::fchmod(fd, static_cast<mode_t>(mode));  // exactly the mode asked for, whatever the umask widened
  ::close(fd);
}

// Settings that would make the store misbehave rather than merely run slowly.
void validate(const Options& options) {
  if (options.group_commit_max_batch < 1 || options.group_commit_max_events < 1) {
    throw InvalidArgument(fmt::format("group_commit_max_batch and group_commit_max_events must be at least 1, got {} and {}",
                                      options.group_commit_max_batch, options.group_commit_max_events));
  }
  if (options.read_page_events < 1) {
    throw InvalidArgument(fmt::format("read_page_events must be at least 1, got {}", options.read_page_events));
  }
}

}  // namespace

EventStore EventStore::open(const std::filesystem::path& path, const Options& options) {
  if (path.empty()) throw InvalidArgument("store path is empty");
  validate(options);
  auto impl = std::make_shared<Impl>(path, options);
  detail::translate_errors(impl->path_text + ": open", [&] {
    if (options.read_only) {
      SQLite::Database db = detail::open_database(impl->path_text, SQLite::OPEN_READONLY | SQLite::OPEN_NOMUTEX);
      detail::set_busy_timeout(db, options.busy_timeout);  // its first read may meet a writer's recovery
      impl->schema_version = detail::current_schema_version(db, path);
      detail::configure(db, options, detail::Role::Reader);
      impl->writer = std::make_unique<detail::Connection>(std::move(db));
      return;
    }
    if (!std::filesystem::exists(path)) create_with_mode(path, options.file_mode);
    // The migrator must look at the file before any setting that could write to it.
    SQLite::Database db =
        detail::open_database(impl->path_text, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX);
    detail::set_busy_timeout(db, options.busy_timeout);
    impl->schema_version = detail::open_schema(db, path, options.busy_timeout);
    detail::configure(db, options, detail::Role::Writer);
    impl->writer = std::make_unique<detail::Connection>(std::move(db));
    impl->checkpointer.attach(impl->writer->db);
  });
  return EventStore(std::move(impl));
}

int EventStore::schema_version_of(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error) || std::filesystem::file_size(path, error) == 0) return 0;
  return detail::translate_errors(path.string() + ": read schema version", [&] {
    SQLite::Database db = detail::open_database(path.string(), SQLite::OPEN_READONLY);
    return detail::stored_schema_version(db, path);
  });
}

int EventStore::latest_schema_version() { return detail::latest_schema_version(); }

EventStore::EventStore(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
EventStore::EventStore(EventStore&&) noexcept = default;
EventStore& EventStore::operator=(EventStore&&) noexcept = default;
EventStore::~EventStore() = default;

const std::filesystem::path& EventStore::path() const { return impl_->path; }
const Options& EventStore::options() const { return impl_->options; }

EventStore::WriteStats EventStore::write_stats() const {
  auto stats = impl_->appends.stats();
  return {stats.transactions, stats.requests, static_cast<std::int64_t>(impl_->appends.in_flight())};
}

bool EventStore::wait_for_commit(Position position, std::chrono::milliseconds timeout) const {
  static const std::atomic<bool> kNeverStop{false};
  auto deadline = detail::deadline_after(timeout);
  for (;;) {
    std::uint64_t seen = impl_->commits.count();  // before looking, so a commit in between is not missed
    if (head_position() > position) return true;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    impl_->commits.wait(seen, std::min(left, impl_->options.poll_interval), kNeverStop);
  }
}
int EventStore::schema_version() const { return impl_->schema_version; }

}  // namespace evlite
