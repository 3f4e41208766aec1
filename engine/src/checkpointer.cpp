#include "checkpointer.h"

#include <sqlite3.h>

#include "connection.h"

namespace evlite::detail {

Checkpointer::Checkpointer(std::filesystem::path path, Options options)
    : path_(std::move(path)), options_(std::move(options)) {}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Checkpointer::attach(SQLite::Database& db) {
  // Replaces SQLite's own automatic checkpoint, which is a WAL hook too.
  sqlite3_wal_hook(
      db.getHandle(),
      [](void* self, sqlite3* committing, const char*, int frames) {
        try {
          static_cast<Checkpointer*>(self)->committed(committing, frames);
        } catch (...) {  // called from SQLite's C code: a failure here only postpones a checkpoint
        }
        return SQLITE_OK;
      },
      this);
}

Checkpointer::Attached::~Attached() {
  // Outside the store's writes the connection checkpoints itself again, as any SQLite connection does.
  sqlite3_wal_autocheckpoint(db_.getHandle(), pages_);
}

void Checkpointer::committed(sqlite3* committing, int frames) {
  std::int64_t threshold = options_.wal_autocheckpoint_pages;
  if (threshold <= 0 || frames < threshold) return;  // 0 or less: no automatic checkpoints, as in SQLite
  // Under synchronous=FULL every commit waits for its flush, and a copy running beside it slows each of
  // those flushes: 0.70 of raw SQLite's one-event appends, against 0.90 with the copy done in line. So
  // there the committing writer copies, as SQLite's own automatic checkpoint would.
  // Otherwise it copies only when writers outpace the thread (a checkpoint resets the WAL only when no
  // commit came while it copied), so that the WAL stays bounded; after the thread's checkpoint, if one is
  // running, which would make this one give up as busy.
  if (options_.synchronous == Synchronous::Full || frames >= kBehindFactor * threshold) {
    std::lock_guard copying(copying_);
    sqlite3_wal_checkpoint_v2(committing, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    // Every commit past the threshold asks; asks during a checkpoint fold into the next one. So the thread
    // copies without pause while the WAL is past the threshold, and a writer that must copy in line finds
    // less left.
    requested_ = true;
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  }
  wake_.notify_one();
}

void Checkpointer::run() {
  std::unique_ptr<SQLite::Database> db;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return requested_ || stopping_; });
      if (stopping_) return;
      requested_ = false;  // commits during this checkpoint ask for the next one
    }
    try {
      if (!db) {
        db = std::make_unique<SQLite::Database>(open_database(path_.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_NOMUTEX));
        configure(*db, options_, Role::Reader);  // its synchronous setting decides how the copy is flushed
      }
      // SQLITE_BUSY means another process is checkpointing; a later commit asks again. A checkpoint held
      // back by readers copies what it can.
      std::lock_guard copying(copying_);
      sqlite3_wal_checkpoint_v2(db->getHandle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } catch (const std::exception&) {
      db.reset();  // the file could not be opened now; the WAL just grows until a later attempt works
    }
  }
}

}  // namespace evlite::detail
