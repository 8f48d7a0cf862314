-- Equitas schema version 7 (SQLite): the text of each event as captured (its
-- JSON object or XML element, and the JSON form of an XML event) moves to a
-- table of its own, keyed by the event's id. The events table keeps the
-- fields queries filter on, about half as wide: scans of it, such as a bulk
-- capture building its indexes after loading, read half as many pages
-- (docs/benchmarks.md, session 8).
--
-- The events table is rebuilt as https://www.sqlite.org/lang_altertable.html#otheralter
-- describes (one copy instead of one per dropped column), with foreign key
-- enforcement off during the migration and checked before it commits
-- (Migration::sqlite_rebuild). Ids and the AUTOINCREMENT sequence are kept,
-- so the tables that refer to events stay valid.

CREATE TABLE epcis_event_bodies (
    event INTEGER PRIMARY KEY REFERENCES epcis_events (id),
    -- The event as captured: its JSON object or XML element.
    body TEXT NOT NULL,
    body_format TEXT NOT NULL,
    -- Events captured as XML: their form in the JSON binding.
    body_json TEXT
);

INSERT INTO epcis_event_bodies (event, body, body_format, body_json)
SELECT id, body, body_format, body_json FROM epcis_events;

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
    capture INTEGER NOT NULL REFERENCES epcis_captures (id)
);

INSERT INTO epcis_events_new (id, hash, event_id, event_type, event_time, time_zone_offset,
    record_time, action, biz_step, disposition, read_point, biz_location, parent, lot, expiry,
    capture)
SELECT id, hash, event_id, event_type, event_time, time_zone_offset,
    record_time, action, biz_step, disposition, read_point, biz_location, parent, lot, expiry,
    capture
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
