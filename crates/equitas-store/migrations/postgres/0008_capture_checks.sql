-- Equitas schema version 8 (PostgreSQL): the rows a capture writes beside its
-- events no longer check a foreign key each. PostgreSQL checks a foreign key
-- by a query per row written (with a lock on the row referred to): for the
-- four to six rows of an event's identifiers, quantities, parties and stock
-- movements and the event's own capture, most of the server's time in a
-- capture (issue 18, docs/benchmarks.md). The checks were redundant: these
-- tables are written only by a capture (equitas_store::epcis), which gives
-- each row the id of an event it wrote before in the same transaction, and
-- the id of the capture job it recorded first in it; events are deleted only
-- by a capture removing its own copies before it commits, their rows first;
-- capture jobs are never deleted. SQLite, whose checks are an index probe in
-- the process, keeps them (see the SQLite script). Invariant: every row of
-- these tables names an event held, and every event a capture job recorded
-- (tested after concurrent captures, crates/equitas-store/tests/stock.rs).
ALTER TABLE epcis_events DROP CONSTRAINT epcis_events_capture_fkey;
ALTER TABLE epcis_event_epcs DROP CONSTRAINT epcis_event_epcs_event_fkey;
ALTER TABLE epcis_event_quantities DROP CONSTRAINT epcis_event_quantities_event_fkey;
ALTER TABLE epcis_event_parties DROP CONSTRAINT epcis_event_parties_event_fkey;
ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_event_fkey;
