-- Equitas schema version 7 (SQLite): captures are numbered in the order they
-- commit, and each stock movement names its event's capture, so the stock
-- ledger reads the movements of the captures committed since it last looked
-- (equitas_store::stock::refresh) rather than of the events above an id: on
-- PostgreSQL concurrent captures draw event ids from one sequence and commit
-- in any order (see the PostgreSQL script). SQLite has one writer, so its
-- captures commit in the order of their ids.
ALTER TABLE epcis_captures ADD COLUMN commit_seq INTEGER;
UPDATE epcis_captures SET commit_seq = id;
CREATE UNIQUE INDEX epcis_captures_commit_seq ON epcis_captures (commit_seq);

-- A copy of epcis_events.capture, without a foreign key of its own (the
-- event's holds), so that capture pays no second check per movement.
ALTER TABLE stock_movements ADD COLUMN capture INTEGER;
UPDATE stock_movements SET capture = (SELECT capture FROM epcis_events WHERE id = stock_movements.event);
CREATE INDEX stock_movements_capture ON stock_movements (capture);
