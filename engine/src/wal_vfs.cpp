#include "wal_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <utility>
#include <vector>

#include "evlite/engine/errors.h"

namespace evlite::detail {
namespace {

// A WAL frame: this header, then one page. Bytes 4–7 of the header are the database size in pages after a commit in a
// transaction's last frame, and zero in every other frame (sqlite.org/fileformat2.html#walformat).
constexpr int kFrameHeaderBytes = 24;
// The default VFS writes at most this much per call (unix: seekAndWriteFd keeps 17 bits of the length), so a
// transaction's frames go out in pieces of up to ~31 4-KiB frames: a 16-append group in 2, not 70.
constexpr std::size_t kMaxBufferBytes = (1 << 17) - 1;

std::atomic<std::int64_t> file_writes{0};
std::atomic<std::int64_t> sqlite_writes{0};
std::atomic<std::int64_t> overwrites{0};
std::atomic<std::int64_t> barrier_flushes{0};

struct DatabaseFile;

struct WalFile {
  sqlite3_file* real;
  DatabaseFile* database = nullptr;  // the same connection's database file; none: every write goes through
  std::vector<unsigned char> frames;
  sqlite3_int64 start = 0;  // file offset of frames[0]
  // Since the write lock was taken: the end of the furthest write (-1: none yet), and whether the WAL was synced.
  sqlite3_int64 end = -1;
  bool synced = false;
  bool after_commit_header = false;

  void begin_transaction() {
    end = -1;
    synced = false;
  }
  // Frames still here when the write lock goes belong to no commit (a commit's were written before it was
  // published): a transaction that spilled pages and rolled back. Written later, they would land on frames another
  // writer has committed since.
  void drop_uncommitted() {
    frames.clear();
    after_commit_header = false;
  }
};

struct DatabaseFile {
  sqlite3_file* real;
  const char* name;  // SQLite's pointer, which its WAL's name leads back to (sqlite3_filename_database)
  WalFile* wal = nullptr;
  bool write_locked = false;  // this connection holds the WAL's write lock, as this VFS saw it taken
};

// What SQLite allocates for each file this VFS opens (szOsFile bytes): the header SQLite calls through, then the
// default VFS's own file, which the header's methods forward to.
struct Shim {
  sqlite3_file base;
  void* file;
};
constexpr std::size_t kRealOffset = (sizeof(Shim) + 15) / 16 * 16;

sqlite3_file* real_of(sqlite3_file* shim) {
  return reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(shim) + kRealOffset);
}
WalFile& wal_of(sqlite3_file* shim) { return *static_cast<WalFile*>(reinterpret_cast<Shim*>(shim)->file); }
DatabaseFile& database_of(sqlite3_file* shim) {
  return *static_cast<DatabaseFile*>(reinterpret_cast<Shim*>(shim)->file);
}

// Database files open through this VFS, by SQLite's name pointer: how a WAL finds its connection's database.
std::mutex databases_mutex;
std::unordered_map<const char*, DatabaseFile*>& open_databases() {
  static auto* databases = new std::unordered_map<const char*, DatabaseFile*>();  // outlives static destructors
  return *databases;
}

// Frames that fail to reach the file go too: the operation that needed them fails with the error, and so does their
// transaction, which a later retry of the write must not bring back as a complete commit.
int flush(WalFile& wal) {
  if (wal.frames.empty()) return SQLITE_OK;
  file_writes.fetch_add(1, std::memory_order_relaxed);
  int rc = wal.real->pMethods->xWrite(wal.real, wal.frames.data(), static_cast<int>(wal.frames.size()), wal.start);
  wal.frames.clear();
  return rc;
}

bool is_commit_frame_header(const void* data, int amount) {
  if (amount != kFrameHeaderBytes) return false;
  const auto* bytes = static_cast<const unsigned char*>(data);
  return (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
}

// ---- The WAL file ----

// Nothing is left to write: frames wait only under the write lock, whose release drops them (SQLite rolls back an open
// transaction before it closes the WAL).
int wal_close(sqlite3_file* shim) {
  WalFile* wal = &wal_of(shim);
  if (wal->database != nullptr) wal->database->wal = nullptr;
  int rc = wal->real->pMethods->xClose(wal->real);
  delete wal;
  return rc;
}

int wal_read(sqlite3_file* shim, void* out, int amount, sqlite3_int64 offset) {
  WalFile& wal = wal_of(shim);
  if (int rc = flush(wal); rc != SQLITE_OK) return rc;
  return wal.real->pMethods->xRead(wal.real, out, amount, offset);
}

int wal_write(sqlite3_file* shim, const void* data, int amount, sqlite3_int64 offset) {
  WalFile& wal = wal_of(shim);
  sqlite_writes.fetch_add(1, std::memory_order_relaxed);
  // The page after a commit frame's header ends the transaction's frames: they go out with it, so that a failure fails
  // this write and so the commit, before SQLite syncs or publishes anything.
  bool ends_transaction = std::exchange(wal.after_commit_header, is_commit_frame_header(data, amount));
  // Only the appends of a transaction holding the write lock wait. A write below the furthest one (a page SQLite
  // overwrites in place after a spill, a checksum it rewrites before the commit), one after a sync (padding past a
  // sector boundary), and every write outside the lock (locking_mode EXCLUSIVE takes none) go to the file as SQLite
  // makes them, so that no commit has frames left here when it is published.
  bool appends = wal.end < 0 || offset >= wal.end;
  wal.end = std::max(wal.end, offset + amount);
  bool buffered = wal.database != nullptr && wal.database->write_locked && !wal.synced && appends &&
                  static_cast<std::size_t>(amount) <= kMaxBufferBytes;
  if (!wal.frames.empty()) {
    bool contiguous = offset == wal.start + static_cast<sqlite3_int64>(wal.frames.size());
    if (!buffered || !contiguous || wal.frames.size() + amount > kMaxBufferBytes) {
      if (int rc = flush(wal); rc != SQLITE_OK) return rc;
    }
  }
  if (!buffered) {
    if (!appends) overwrites.fetch_add(1, std::memory_order_relaxed);
    file_writes.fetch_add(1, std::memory_order_relaxed);
    return wal.real->pMethods->xWrite(wal.real, data, amount, offset);
  }
  try {
    if (wal.frames.empty()) wal.start = offset;
    const auto* bytes = static_cast<const unsigned char*>(data);
    wal.frames.insert(wal.frames.end(), bytes, bytes + amount);
  } catch (const std::bad_alloc&) {
    return SQLITE_IOERR_NOMEM;
  }
  return ends_transaction ? flush(wal) : SQLITE_OK;
}

int wal_truncate(sqlite3_file* shim, sqlite3_int64 size) {
  WalFile& wal = wal_of(shim);
  if (int rc = flush(wal); rc != SQLITE_OK) return rc;
  return wal.real->pMethods->xTruncate(wal.real, size);
}

int wal_sync(sqlite3_file* shim, int flags) {
  WalFile& wal = wal_of(shim);
  if (int rc = flush(wal); rc != SQLITE_OK) return rc;
  if (wal.database != nullptr && wal.database->write_locked) wal.synced = true;
  return wal.real->pMethods->xSync(wal.real, flags);
}

int wal_file_size(sqlite3_file* shim, sqlite3_int64* size) {
  WalFile& wal = wal_of(shim);
  if (int rc = flush(wal); rc != SQLITE_OK) return rc;
  return wal.real->pMethods->xFileSize(wal.real, size);
}

int wal_lock(sqlite3_file* shim, int lock) {
  sqlite3_file* real = wal_of(shim).real;
  return real->pMethods->xLock(real, lock);
}

int wal_unlock(sqlite3_file* shim, int lock) {
  sqlite3_file* real = wal_of(shim).real;
  return real->pMethods->xUnlock(real, lock);
}

int wal_check_reserved_lock(sqlite3_file* shim, int* out) {
  sqlite3_file* real = wal_of(shim).real;
  return real->pMethods->xCheckReservedLock(real, out);
}

int wal_file_control(sqlite3_file* shim, int op, void* arg) {
  WalFile& wal = wal_of(shim);
  // A size hint may write past the file's end on disk, where buffered frames are bound: they go first.
  if (int rc = flush(wal); rc != SQLITE_OK) return rc;
  return wal.real->pMethods->xFileControl(wal.real, op, arg);
}

int wal_sector_size(sqlite3_file* shim) {
  sqlite3_file* real = wal_of(shim).real;
  return real->pMethods->xSectorSize(real);
}

int wal_device_characteristics(sqlite3_file* shim) {
  sqlite3_file* real = wal_of(shim).real;
  return real->pMethods->xDeviceCharacteristics(real);
}

// Version 1: SQLite maps neither shared memory nor pages of a WAL file.
const sqlite3_io_methods kWalMethods = {
    .iVersion = 1,
    .xClose = wal_close,
    .xRead = wal_read,
    .xWrite = wal_write,
    .xTruncate = wal_truncate,
    .xSync = wal_sync,
    .xFileSize = wal_file_size,
    .xLock = wal_lock,
    .xUnlock = wal_unlock,
    .xCheckReservedLock = wal_check_reserved_lock,
    .xFileControl = wal_file_control,
    .xSectorSize = wal_sector_size,
    .xDeviceCharacteristics = wal_device_characteristics,
    .xShmMap = nullptr,
    .xShmLock = nullptr,
    .xShmBarrier = nullptr,
    .xShmUnmap = nullptr,
    .xFetch = nullptr,
    .xUnfetch = nullptr,
};

// ---- The database file: the default VFS's, but for the lock and the barrier of a commit ----

int database_close(sqlite3_file* shim) {
  DatabaseFile* database = &database_of(shim);
  {
    std::lock_guard lock(databases_mutex);
    open_databases().erase(database->name);
  }
  if (database->wal != nullptr) database->wal->database = nullptr;
  int rc = database->real->pMethods->xClose(database->real);
  delete database;
  return rc;
}

void database_shm_barrier(sqlite3_file* shim) {
  DatabaseFile& database = database_of(shim);
  // SQLite writes the wal-index header's second copy, calls this, then writes the first copy; readers take the header
  // only when both agree. A commit has no frames left here (its commit frame wrote them out, and what SQLite writes
  // after that goes straight to the file), but should a SQLite that writes differently leave some, they must reach
  // the file before readers can read them. If they cannot, stopping the process before the header is complete is the
  // safe way out: SQLite then recovers the WAL from the file, without this unacknowledged commit (PostgreSQL panics
  // alike on a failed log write).
  if (database.wal != nullptr && !database.wal->frames.empty()) {
    barrier_flushes.fetch_add(1, std::memory_order_relaxed);
    if (flush(*database.wal) != SQLITE_OK) {
      std::fputs(
          "evlite: fatal: the WAL frames of a commit being published could not be written; stopping the process, "
          "so that SQLite recovers the WAL without them\n",
          stderr);
      std::abort();
    }
  }
  database.real->pMethods->xShmBarrier(database.real);
}

// Lock 0 of the wal-index is WAL_WRITE_LOCK, held from a transaction's first write until it ends.
int database_shm_lock(sqlite3_file* shim, int offset, int n, int flags) {
  DatabaseFile& database = database_of(shim);
  bool write_lock = offset == 0 && n > 0;
  if (write_lock && (flags & SQLITE_SHM_UNLOCK) != 0) {
    database.write_locked = false;
    if (database.wal != nullptr) database.wal->drop_uncommitted();
  }
  int rc = database.real->pMethods->xShmLock(database.real, offset, n, flags);
  if (write_lock && rc == SQLITE_OK && (flags & SQLITE_SHM_LOCK) != 0 && (flags & SQLITE_SHM_EXCLUSIVE) != 0) {
    database.write_locked = true;
    if (database.wal != nullptr) database.wal->begin_transaction();
  }
  return rc;
}

sqlite3_file* database_real(sqlite3_file* shim) { return database_of(shim).real; }

const sqlite3_io_methods kDatabaseMethods = {
    3,
    database_close,
    [](sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
      return database_real(f)->pMethods->xRead(database_real(f), out, amount, offset);
    },
    [](sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
      return database_real(f)->pMethods->xWrite(database_real(f), data, amount, offset);
    },
    [](sqlite3_file* f, sqlite3_int64 size) { return database_real(f)->pMethods->xTruncate(database_real(f), size); },
    [](sqlite3_file* f, int flags) { return database_real(f)->pMethods->xSync(database_real(f), flags); },
    [](sqlite3_file* f, sqlite3_int64* size) { return database_real(f)->pMethods->xFileSize(database_real(f), size); },
    [](sqlite3_file* f, int lock) { return database_real(f)->pMethods->xLock(database_real(f), lock); },
    [](sqlite3_file* f, int lock) { return database_real(f)->pMethods->xUnlock(database_real(f), lock); },
    [](sqlite3_file* f, int* out) { return database_real(f)->pMethods->xCheckReservedLock(database_real(f), out); },
    [](sqlite3_file* f, int op, void* arg) {
      return database_real(f)->pMethods->xFileControl(database_real(f), op, arg);
    },
    [](sqlite3_file* f) { return database_real(f)->pMethods->xSectorSize(database_real(f)); },
    [](sqlite3_file* f) { return database_real(f)->pMethods->xDeviceCharacteristics(database_real(f)); },
    [](sqlite3_file* f, int region, int size, int extend, void volatile** out) {
      return database_real(f)->pMethods->xShmMap(database_real(f), region, size, extend, out);
    },
    database_shm_lock,
    database_shm_barrier,
    [](sqlite3_file* f, int remove) { return database_real(f)->pMethods->xShmUnmap(database_real(f), remove); },
    [](sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
      return database_real(f)->pMethods->xFetch(database_real(f), offset, amount, out);
    },
    [](sqlite3_file* f, sqlite3_int64 offset, void* page) {
      return database_real(f)->pMethods->xUnfetch(database_real(f), offset, page);
    },
};

// ---- The VFS ----

int open_file(sqlite3_vfs* self, sqlite3_filename name, sqlite3_file* shim, int flags, int* out_flags) {
  auto* base = static_cast<sqlite3_vfs*>(self->pAppData);
  bool wal = (flags & SQLITE_OPEN_WAL) != 0;
  bool database = (flags & SQLITE_OPEN_MAIN_DB) != 0 && name != nullptr;
  // Everything else (journals, temporary files) is the default VFS's file, in place.
  if (!wal && !database) return base->xOpen(base, name, shim, flags, out_flags);

  shim->pMethods = nullptr;  // SQLite closes only a file whose methods are set
  sqlite3_file* real = real_of(shim);
  int rc = base->xOpen(base, name, real, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (real->pMethods != nullptr) real->pMethods->xClose(real);
    return rc;
  }
  if (database && real->pMethods->iVersion < 3) {  // no shared memory to publish through: no buffering
    real->pMethods->xClose(real);
    return base->xOpen(base, name, shim, flags, out_flags);
  }
  auto* header = reinterpret_cast<Shim*>(shim);
  if (database) {
    auto* file = new (std::nothrow) DatabaseFile{.real = real, .name = name, .wal = nullptr};
    try {
      if (file == nullptr) throw std::bad_alloc();
      std::lock_guard lock(databases_mutex);
      open_databases()[name] = file;
    } catch (const std::exception&) {  // no exception may unwind through SQLite
      delete file;
      real->pMethods->xClose(real);
      return SQLITE_NOMEM;
    }
    header->file = file;
    shim->pMethods = &kDatabaseMethods;
    return SQLITE_OK;
  }
  auto* file = new (std::nothrow) WalFile{.real = real, .database = nullptr, .frames = {}};
  if (file == nullptr) {
    real->pMethods->xClose(real);
    return SQLITE_NOMEM;
  }
  try {
    std::lock_guard lock(databases_mutex);
    auto found = open_databases().find(sqlite3_filename_database(name));
    if (found != open_databases().end() && found->second->wal == nullptr) {
      file->database = found->second;
      found->second->wal = file;
    }
  } catch (const std::exception&) {  // unlinked, it writes through
  }
  header->file = file;
  shim->pMethods = &kWalMethods;
  return SQLITE_OK;
}

sqlite3_vfs make_vfs(sqlite3_vfs* base) {
  sqlite3_vfs vfs = *base;  // the default VFS's own methods, which take nothing from their VFS argument…
  vfs.szOsFile = static_cast<int>(kRealOffset) + base->szOsFile;
  vfs.pNext = nullptr;
  vfs.zName = "evlite";
  vfs.pAppData = base;
  vfs.xOpen = open_file;
  // …but for these, which could: they get the default VFS itself.
  vfs.xFullPathname = [](sqlite3_vfs* self, const char* name, int size, char* out) {
    auto* base = static_cast<sqlite3_vfs*>(self->pAppData);
    return base->xFullPathname(base, name, size, out);
  };
  vfs.xDelete = [](sqlite3_vfs* self, const char* name, int sync) {
    auto* base = static_cast<sqlite3_vfs*>(self->pAppData);
    return base->xDelete(base, name, sync);
  };
  vfs.xAccess = [](sqlite3_vfs* self, const char* name, int flags, int* out) {
    auto* base = static_cast<sqlite3_vfs*>(self->pAppData);
    return base->xAccess(base, name, flags, out);
  };
  return vfs;
}

}  // namespace

const char* wal_vfs() {
  static const char* name = [] {
    sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
    if (base == nullptr) throw StorageError(SQLITE_ERROR, "SQLite has no default VFS to open files with");
    static sqlite3_vfs vfs = make_vfs(base);
    if (int rc = sqlite3_vfs_register(&vfs, 0); rc != SQLITE_OK) {
      throw StorageError(rc, "could not register evlite's VFS with SQLite");
    }
    return vfs.zName;
  }();
  return name;
}

WalWriteCounts wal_write_counts() {
  return {.file_writes = file_writes.load(std::memory_order_relaxed),
          .sqlite_writes = sqlite_writes.load(std::memory_order_relaxed),
          .overwrites = overwrites.load(std::memory_order_relaxed),
          .barrier_flushes = barrier_flushes.load(std::memory_order_relaxed)};
}

}  // namespace evlite::detail
