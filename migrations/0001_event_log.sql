-- 0001: the event log and the head of each stream.
-- First schema; there is no older code to stay readable for.
--
-- data and metadata are JSON text, readable with json_extract() in the sqlite3 shell. recorded_at,
-- created_at and updated_at are microseconds since the Unix epoch (UTC); in the shell:
--   strftime('%Y-%m-%dT%H:%M:%fZ', recorded_at / 1e6, 'unixepoch')

CREATE TABLE events (
  position       INTEGER PRIMARY KEY,          -- global order = commit order; never reused (no deletes)
  stream_id      TEXT    NOT NULL,
  version        INTEGER NOT NULL CHECK (version >= 1),
  event_id       TEXT    NOT NULL UNIQUE,
  type           TEXT    NOT NULL,
  schema_version INTEGER NOT NULL,
  data           TEXT    NOT NULL,
  metadata       TEXT    NOT NULL,
  recorded_at    INTEGER NOT NULL,
  UNIQUE (stream_id, version)                  -- backs the version check: a stream can never fork
);

CREATE TABLE streams (
  stream_id  TEXT    NOT NULL PRIMARY KEY,
  category   TEXT    NOT NULL,
  version    INTEGER NOT NULL CHECK (version >= 1),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX streams_by_category ON streams (category, stream_id);

-- The log is append-only: no path through SQL may change or remove an event.
CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
BEGIN
  SELECT RAISE(ABORT, 'evlite: events are append-only; UPDATE is not allowed');
END;

CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
BEGIN
  SELECT RAISE(ABORT, 'evlite: events are append-only; DELETE is not allowed');
END;

-- INSERT OR REPLACE deletes a conflicting row without firing DELETE triggers (unless the connection set
-- recursive_triggers), so an insert that collides with a stored event is refused before it can replace it.
CREATE TRIGGER events_are_append_only_replace BEFORE INSERT ON events
WHEN EXISTS (SELECT 1 FROM events WHERE position = NEW.position)
  OR EXISTS (SELECT 1 FROM events WHERE event_id = NEW.event_id)
  OR EXISTS (SELECT 1 FROM events WHERE stream_id = NEW.stream_id AND version = NEW.version)
BEGIN
  SELECT RAISE(ABORT, 'evlite: events are append-only; an insert may not replace a stored event');
END;
