// Options for EventStore::open: one plain struct, every field with its default and effect.
#pragma once

#include <chrono>
#include <cstdint>

namespace evlite {

enum class Synchronous {
  // Each commit is flushed to stable storage before append returns: durable against power loss.
  Full,
  // WAL is flushed at checkpoints only: durable against a crash of the process, but the last commits
  // may be lost on power loss or an OS crash. Never corrupts the store.
  Normal,
};

struct Options {
  // ---- Behaviour ----

  // Durability of an acknowledged append (see Synchronous). Default: Full.
  Synchronous synchronous = Synchronous::Full;

  // How long a write waits for another process holding the write lock before it fails with
  // StorageError (SQLITE_BUSY), counted from its call: writers of this process queued behind one that
  // waited give up with it, not one timeout later each. Waits shorter than this are retried inside the
  // engine and never seen. Default: 10 s.
  std::chrono::milliseconds busy_timeout{10'000};

  // Permissions of a store file this open creates; SQLite gives its -wal and -shm files the same.
  // Default: 0600, readable and writable by the owner only (a umask can only narrow it).
  int file_mode = 0600;

  // Open for reading only: nothing is migrated or written, and appends fail with StorageError
  // (SQLITE_READONLY). A file whose schema is older than this code is refused with SchemaError.
  bool read_only = false;

  // Largest the file may grow, in bytes; 0 for no limit. An append that would pass it fails with
  // StorageError (SQLITE_FULL) and writes nothing, exactly as on a full disk. Default: 0.
  std::int64_t max_file_bytes = 0;

  // How often a subscription looks for commits made by other processes (commits in this process wake
  // it at once). The poll is a cheap `PRAGMA data_version`. Default: 20 ms.
  std::chrono::milliseconds poll_interval{20};

  // ---- Performance ----

  // Page cache of the writing connection. Appends touch few pages (the right edges of the position and
  // UUIDv7 indexes, one leaf per active stream), so a small cache holds them. A large one costs latency:
  // SQLite drops a connection's whole cache when another connection (a projection) committed, and the
  // first append after that paid 25–85 ms to free a full 256 MB cache, against ~1 ms at 16 MB, with no
  // bulk throughput lost (bench: append_batch_1000). Default: 16 MB.
  std::int64_t write_cache_bytes = 16LL << 20;

  // Page cache of each reading connection; small, so a full replay runs in bounded memory. Default: 8 MB.
  std::int64_t read_cache_bytes = 8LL << 20;

  // Group commit: appends that arrive together from several threads share one transaction (one flush),
  // each keeping its own expectation, atomicity and error. A group takes at most this many appends
  // (1 turns group commit off) …  REQUIRES: >= 1, else open throws InvalidArgument.
  int group_commit_max_batch = 256;
  // … and stops taking more once it holds this many events, so that one transaction stays short.
  // REQUIRES: >= 1, else open throws InvalidArgument.
  int group_commit_max_events = 10'000;

  // WAL pages after which the WAL is checkpointed into the database. With Synchronous::Normal a background
  // thread does it (PASSIVE: appends go on meanwhile; no commit waits for the copy); with Full the commit
  // that crosses it does, as in SQLite, because a copy beside the commits slows every commit's flush.
  // 0 turns automatic checkpoints off. Default: 10,000.
  int wal_autocheckpoint_pages = 10'000;

  // Events a cursor fetches per round trip; bounds a reader's memory (about 1 MB at 2,048). Default: 2,048.
  // REQUIRES: >= 1, else open throws InvalidArgument.
  int read_page_events = 2048;
};

}  // namespace evlite
