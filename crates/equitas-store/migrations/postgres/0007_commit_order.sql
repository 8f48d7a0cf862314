-- Equitas schema version 7 (PostgreSQL): captures are numbered in the order
-- they commit, and each stock movement names its event's capture. Captures
-- now run concurrently (equitas_store::epcis): their events draw ids from one
-- sequence, so a capture may commit with ids below those of one committed
-- before it, and "the events above the last id read" no longer tells the
-- stock ledger what is new. A capture takes its commit sequence number
-- (MAX + 1) holding an advisory lock until it commits, so the numbers become
-- visible in increasing order, and the ledger reads the movements of the
-- captures numbered above the last it read (equitas_store::stock::refresh).
-- Captures committed before this version were serialised: their ids are
-- their commit order.
ALTER TABLE epcis_captures ADD COLUMN commit_seq BIGINT;
UPDATE epcis_captures SET commit_seq = id;
CREATE UNIQUE INDEX epcis_captures_commit_seq ON epcis_captures (commit_seq);

-- A copy of epcis_events.capture, without a foreign key of its own (the
-- event's holds), so that capture pays no second check per movement.
ALTER TABLE stock_movements ADD COLUMN capture BIGINT;
UPDATE stock_movements m SET capture = e.capture FROM epcis_events e WHERE e.id = m.event;
ALTER TABLE stock_movements ALTER COLUMN capture SET NOT NULL;
CREATE INDEX stock_movements_capture ON stock_movements (capture);
