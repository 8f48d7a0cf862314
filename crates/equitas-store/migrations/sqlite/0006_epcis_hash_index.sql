-- Equitas schema version 6 (SQLite): held events are found by short keys
-- instead of unique indexes on whole identifiers: by the first 16 hex digits
-- of the Event Hash ID (64 bits of the SHA-256) and by the last 16 characters
-- of the eventID. Inserting into an index of random long keys (89-character
-- hashes, 45-character urn:uuid eventIDs) cost several µs per event at a
-- million events: each insertion lands on a random page, and long keys make
-- several times as many pages to split and write (docs/benchmarks.md).
-- Capture compares the whole hash and eventID of the events a key finds, in
-- its write transaction (equitas_store::epcis), so an event is still stored
-- once.
--
-- SQLite cannot drop a column's UNIQUE constraint: the table is rebuilt as
-- https://www.sqlite.org/lang_altertable.html#otheralter describes, with
-- foreign key enforcement off during the migration and checked before it
-- commits (Migration::sqlite_rebuild). Ids and the AUTOINCREMENT sequence are
-- kept, so the tables that refer to events stay valid.

CREATE TABLE epcis_events_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    hash TEXT NOT NULL,
    event_id TEXT,
    event_type TEXT NOT NULL,
    event_time TEXT NOT NULL,
    time_zone_offset TEXT NOT NULL,
    record_time TEXT NOT NULL,
    action TEXT,
    biz_step TEXT,
    disposition TEXT,
    read_point TEXT,
    biz_location TEXT,
    parent TEXT,
    lot TEXT,
    expiry TEXT,
    -- The event as captured: its JSON object or XML element.
    body TEXT NOT NULL,
    body_format TEXT NOT NULL,
    capture INTEGER NOT NULL REFERENCES epcis_captures (id),
    -- Events captured as XML: their form in the JSON binding (schema version 5).
    body_json TEXT
);

INSERT INTO epcis_events_new (id, hash, event_id, event_type, event_time, time_zone_offset,
    record_time, action, biz_step, disposition, read_point, biz_location, parent, lot, expiry,
    body, body_format, capture, body_json)
SELECT id, hash, event_id, event_type, event_time, time_zone_offset,
    record_time, action, biz_step, disposition, read_point, biz_location, parent, lot, expiry,
    body, body_format, capture, body_json
FROM epcis_events;

-- The sequence goes with the table: new events get ids above every id ever given.
DELETE FROM sqlite_sequence WHERE name = 'epcis_events_new';
UPDATE sqlite_sequence SET name = 'epcis_events_new' WHERE name = 'epcis_events';

DROP TABLE epcis_events;
ALTER TABLE epcis_events_new RENAME TO epcis_events;

CREATE INDEX epcis_events_time ON epcis_events (event_time);
CREATE INDEX epcis_events_biz_location ON epcis_events (biz_location);
CREATE INDEX epcis_events_biz_step ON epcis_events (biz_step);
CREATE INDEX epcis_events_hash ON epcis_events (substr(hash, 15, 16));
CREATE INDEX epcis_events_event_id ON epcis_events (substr(event_id, length(event_id) - 15));
