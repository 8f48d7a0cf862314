-- Equitas schema version 6 (PostgreSQL): held events are found by short keys
-- instead of unique indexes on whole identifiers, as in SQLite (see the
-- SQLite script for why): the first 16 hex digits of the Event Hash ID and
-- the last 16 characters of the eventID. Capture compares the whole hash and
-- eventID of the events a key finds, holding its advisory lock
-- (equitas_store::epcis), so an event is still stored once.
ALTER TABLE epcis_events DROP CONSTRAINT epcis_events_hash_key;
ALTER TABLE epcis_events DROP CONSTRAINT epcis_events_event_id_key;
CREATE INDEX epcis_events_hash ON epcis_events ((substr(hash, 15, 16)));
CREATE INDEX epcis_events_event_id ON epcis_events ((substr(event_id, length(event_id) - 15)));
