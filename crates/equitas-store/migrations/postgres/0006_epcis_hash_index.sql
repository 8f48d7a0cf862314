-- Equitas schema version 6 (PostgreSQL): captured events are found by their
-- Event Hash ID through an index on its first 16 hex digits (64 bits of the
-- SHA-256) instead of a unique index on the whole ID, as in SQLite (see the
-- SQLite script for why). Capture compares the whole ID of the events the
-- prefix finds, holding its advisory lock (equitas_store::epcis), so an
-- event is still stored once.
ALTER TABLE epcis_events DROP CONSTRAINT epcis_events_hash_key;
CREATE INDEX epcis_events_hash ON epcis_events ((substr(hash, 15, 16)));
