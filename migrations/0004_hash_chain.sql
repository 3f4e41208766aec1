-- 0004: a hash chain over the log. Each event's hash is the SHA-256 of its stored content and the previous
-- event's hash (engine/src/hash_chain.cpp says exactly what is hashed), so `verify` detects an event
-- changed, or one removed, behind the library's back. Schema-3 code refuses the file as newer.
--
-- The update trigger is lifted only inside this transaction, for the engine to fill in the hashes of the
-- events stored before it; a store created by this version never has an event without one.
DROP TRIGGER IF EXISTS events_are_append_only_update;
ALTER TABLE events ADD COLUMN hash BLOB;
-- step: fill_hash_chain
CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
BEGIN
  SELECT RAISE(ABORT, 'evlite: events are append-only; UPDATE is not allowed');
END;
