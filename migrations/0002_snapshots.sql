-- 0002: snapshots of aggregates, one per stream (the newest).
-- Adds a table only; code of schema 1 never reads it, but refuses the file as newer (user_version 2).
--
-- state is the aggregate's JSON; schema_version is the aggregate's snapshot schema, so code with another
-- shape ignores the snapshot instead of misreading it. taken_at is microseconds since the Unix epoch.

CREATE TABLE snapshots (
  stream_id      TEXT    NOT NULL PRIMARY KEY,
  version        INTEGER NOT NULL CHECK (version >= 1),
  type           TEXT    NOT NULL,
  schema_version INTEGER NOT NULL,
  state          TEXT    NOT NULL,
  taken_at       INTEGER NOT NULL
) WITHOUT ROWID;
