-- Equitas schema version 12 (PostgreSQL): each capture's range of event ids,
-- in place of the index of events by capture (schema version 11).
--
-- A subscription reads the events of the captures committed after its mark,
-- in commit order, then by id. Each capture now records the smallest and
-- the largest id of the events it stored, so those events are read by a
-- range of the events' primary key (filtered by capture, since on
-- PostgreSQL concurrent captures may interleave their ids). The index it
-- replaces was one more B-tree written for every event captured: 1.7% of
-- the instructions of a 100,000-event capture into SQLite
-- (docs/benchmarks.md, "Capture and the subscriptions' index").
ALTER TABLE epcis_captures ADD COLUMN first_event BIGINT;
ALTER TABLE epcis_captures ADD COLUMN last_event BIGINT;
UPDATE epcis_captures SET
    first_event = (SELECT MIN(e.id) FROM epcis_events e WHERE e.capture = epcis_captures.id),
    last_event = (SELECT MAX(e.id) FROM epcis_events e WHERE e.capture = epcis_captures.id);
DROP INDEX epcis_events_capture;
