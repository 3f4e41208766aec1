-- 0003: checkpoints of named consumers (projections, reactions) and the bookkeeping of projections.
-- Adds tables only; schema-2 code refuses the file as newer.

CREATE TABLE checkpoints (
  name       TEXT    NOT NULL PRIMARY KEY,
  position   INTEGER NOT NULL CHECK (position >= 0),  -- the last position the consumer has dealt with
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- One row per projection. Its read model lives in tables <table>_g<generation>, read through views named
-- <table>; a rebuild builds generation rebuild_generation beside it and swaps the views.
CREATE TABLE projections (
  name               TEXT    NOT NULL PRIMARY KEY,
  version            INTEGER NOT NULL,  -- of the read model being served
  generation         INTEGER NOT NULL,
  rebuild_version    INTEGER,           -- set while a rebuild is in progress
  rebuild_generation INTEGER,
  error              TEXT,              -- set while faulted: why, and at which position
  error_position     INTEGER,
  updated_at         INTEGER NOT NULL
) WITHOUT ROWID;
