// The VFS every evlite connection opens its files through: SQLite's default VFS, except that the frames a
// transaction appends to the WAL reach the file in a few writes instead of two system calls per page.
//
// SQLite writes each WAL frame as a 24-byte header and a page, one pwrite() each: a 16-append group commit
// of ~35 pages makes ~70 system calls, 170 µs on this project's 2-vCPU VM against 34 µs for one write of
// the same bytes, all inside the write lock. Here a transaction's frames gather in a buffer, written out
//   - when its commit frame is complete, so that a failed write fails the commit, as in SQLite;
//   - before anything reads, syncs, truncates, sizes or closes the WAL, and before a write elsewhere in it;
//   - before the commit is published: SQLite's xShmBarrier between the two copies of the wal-index header
//     is the only way another connection or process learns that new frames exist.
// So no reader ever meets a frame that is not in the file, and the file receives exactly the bytes SQLite
// wrote, in its order. Frames still buffered when a transaction releases the write lock belong to no
// commit (it rolled back after spilling pages) and are dropped: written later, they could overwrite frames
// another writer has committed by then. Journals and temporary files are the default VFS's, untouched.
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
  std::int64_t barrier_flushes = 0;  // commits whose last frames were written at the publishing barrier
};
WalWriteCounts wal_write_counts();

}  // namespace evlite::detail
