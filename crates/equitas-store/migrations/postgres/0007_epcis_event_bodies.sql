-- Equitas schema version 7 (PostgreSQL): the text of each event as captured
-- moves to a table of its own, keyed by the event's id, as in SQLite (see
-- the SQLite script for why).
CREATE TABLE epcis_event_bodies (
    event BIGINT PRIMARY KEY REFERENCES epcis_events (id),
    -- The event as captured: its JSON object or XML element.
    body TEXT NOT NULL,
    body_format TEXT NOT NULL,
    -- Events captured as XML: their form in the JSON binding.
    body_json TEXT
);

INSERT INTO epcis_event_bodies (event, body, body_format, body_json)
SELECT id, body, body_format, body_json FROM epcis_events;

ALTER TABLE epcis_events DROP COLUMN body, DROP COLUMN body_format, DROP COLUMN body_json;
