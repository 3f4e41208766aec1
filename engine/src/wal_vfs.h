// The VFS every evlite connection opens its files through: SQLite's default VFS, except that the frames a
// transaction appends to the WAL reach the file in a few writes instead of two system calls per page.
//
// SQLite writes each WAL frame as a 24-byte header and a page, one pwrite() each: a 16-append group commit
// of ~35 pages makes ~70 system calls, 170 µs on this project's 2-vCPU VM against 34 µs for one write of
// the same bytes, all inside the write lock. Here the frames a transaction appends, while it holds the
// write lock, gather in a buffer, written out
//   - when the commit frame is complete, so that a failed write fails the commit, as in SQLite;
//   - before anything reads, syncs, truncates or sizes the WAL, and before any other write.
// Every other write goes to the file as SQLite makes it: a page overwritten in place or a checksum rewritten
// after a cache spill, padding after a sync, and all writes of a connection that takes no write lock
// (locking_mode EXCLUSIVE), which so behaves as plain SQLite. A commit thus has nothing buffered when it is
// published (SQLite's xShmBarrier between the two copies of the wal-index header, the only way another
// connection or process learns of new frames; the barrier writes out anything left, as a backstop), and no
// reader ever meets a frame that is not in the file. The file receives exactly the bytes SQLite wrote, in
// its order. Frames still buffered when the write lock is released belong to a transaction that rolled
// back, and frames whose write failed to a transaction that failed: both are dropped, never written later
// over frames another writer has committed since. Journals and temporary files are the default VFS's.
#pragma once

#include <cstdint>

namespace evlite::detail {

// The name to pass to sqlite3_open_v2 (SQLite::Database's last argument). Registers the VFS on first call;
// thread-safe. Throws StorageError if SQLite has no default VFS to build on.
const char* wal_vfs();

// Counts over the WAL files of this process, for tests that check the buffering stays on and which way
// frames went out.
struct WalWriteCounts {
  std::int64_t file_writes = 0;      // writes that reached the file
  std::int64_t sqlite_writes = 0;    // writes SQLite made, which those carried
  std::int64_t overwrites = 0;       // writes below a transaction's furthest one, which went straight through
  std::int64_t barrier_flushes = 0;  // commits with frames left at the publishing barrier (none is expected)
};
WalWriteCounts wal_write_counts();

}  // namespace evlite::detail
