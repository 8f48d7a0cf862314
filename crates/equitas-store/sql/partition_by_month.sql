-- Partitions a PostgreSQL database's EPCIS events and stock movements by
-- month (declarative range partitioning; docs/scale.md), so that their
-- indexes stay the size of a month's rows and old months can be detached
-- whole (equitas_store::partitions). Not a migration: run by `equitas db
-- partition --by month` (partitions::partition_by_month), in one
-- transaction, on a database at the latest schema version; an upgrade
-- never rewrites a database's tables without being asked.
--
-- epcis_events by the month of event_time (UTC, stored in the normalised
-- form 'YYYY-MM-DDTHH:MM:SS.mmmZ', so a month is the text range
-- ['YYYY-MM', next 'YYYY-MM'), compared byte by byte: the column's
-- collation becomes "C"); stock_movements by the month of `at` (the
-- local time in milliseconds, as the ledger's months are). Each has a
-- DEFAULT partition for rows of a month without its own (an event_time
-- that is not a normalised date-time, a month not created yet):
-- equitas_month_partitions(month) creates a month's partitions of both,
-- moving its rows out of the default partitions if they hold any.
-- The identifiers, quantities and parties of events stay unpartitioned
-- (docs/scale.md says why).
--
-- A partitioned table's primary key must include the partition key: the
-- events' is (id, event_time); ids stay unique as they are all drawn
-- from the one identity sequence. Nor can a partitioned table hold a
-- unique index of hashes or eventIDs: the unpartitioned table
-- epcis_event_keys does (one row per event: its id, hash, eventID,
-- capture and event time), and the capture finds duplicates and
-- conflicts there, and `event_by_id` an event's month, with one index
-- probe instead of one per month held.

CREATE FUNCTION equitas_month_partitions(month DATE) RETURNS INTEGER
LANGUAGE plpgsql AS $f$
DECLARE
    first DATE := date_trunc('month', month)::date;
    next DATE := (date_trunc('month', month) + INTERVAL '1 month')::date;
    made INTEGER := 0;
    held BOOLEAN;
    name TEXT;
    t RECORD;
BEGIN
    IF first < DATE '0001-01-01' OR next > DATE '9999-12-01' THEN
        RAISE EXCEPTION 'month % is out of the range 0001-01 to 9999-11', to_char(first, 'YYYY-MM');
    END IF;
    -- One caller at a time makes partitions (equitas_store::partitions::LOCK).
    PERFORM pg_advisory_xact_lock(5003909756769891075);
    FOR t IN SELECT * FROM (VALUES
        ('epcis_events', 'event_time',
         quote_literal(to_char(first, 'YYYY-MM')), quote_literal(to_char(next, 'YYYY-MM'))),
        ('stock_movements', 'at',
         (extract(epoch FROM first::timestamp) * 1000)::bigint::text,
         (extract(epoch FROM next::timestamp) * 1000)::bigint::text)
    ) AS v (tbl, col, lo, hi) LOOP
        name := t.tbl || '_' || to_char(first, 'YYYY_MM');
        CONTINUE WHEN to_regclass(quote_ident(name)) IS NOT NULL;
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I >= %s AND %I < %s)',
                       t.tbl || '_default', t.col, t.lo, t.col, t.hi) INTO held;
        IF held THEN
            EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS)', name, t.tbl);
            EXECUTE format('WITH moved AS (DELETE FROM %I WHERE %I >= %s AND %I < %s RETURNING *)
                            INSERT INTO %I SELECT * FROM moved',
                           t.tbl || '_default', t.col, t.lo, t.col, t.hi, name);
            EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)',
                           t.tbl, name, t.lo, t.hi);
        ELSE
            EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%s) TO (%s)',
                           name, t.tbl, t.lo, t.hi);
        END IF;
        made := made + 1;
    END LOOP;
    RETURN made;
END
$f$;

-- The tables as they were, out of the way of the new ones' names.
ALTER TABLE epcis_events RENAME TO epcis_events_unpartitioned;
ALTER INDEX epcis_events_pkey RENAME TO epcis_events_unpartitioned_pkey;
ALTER SEQUENCE epcis_events_id_seq RENAME TO epcis_events_unpartitioned_id_seq;
ALTER TABLE stock_movements RENAME TO stock_movements_unpartitioned;

CREATE TABLE epcis_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY,
    hash TEXT NOT NULL,
    event_id TEXT,
    event_type TEXT NOT NULL,
    event_time TEXT COLLATE "C" NOT NULL,
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
    body TEXT NOT NULL,
    body_format TEXT NOT NULL,
    capture BIGINT NOT NULL,
    body_json TEXT,
    PRIMARY KEY (id, event_time)
) PARTITION BY RANGE (event_time);
CREATE TABLE epcis_events_default PARTITION OF epcis_events DEFAULT;

CREATE TABLE stock_movements (
    event BIGINT NOT NULL,
    at BIGINT NOT NULL,
    location TEXT NOT NULL,
    item TEXT NOT NULL,
    lot TEXT NOT NULL,
    kind TEXT NOT NULL,
    quantity DOUBLE PRECISION NOT NULL,
    reason TEXT NOT NULL,
    counterpart TEXT,
    expiry TEXT,
    capture BIGINT NOT NULL
) PARTITION BY RANGE (at);
CREATE TABLE stock_movements_default PARTITION OF stock_movements DEFAULT;

-- A partition for each month the rows held fall in (years 1 to 9999).
SELECT equitas_month_partitions(m) FROM (
    SELECT to_date(substr(event_time, 1, 7), 'YYYY-MM') AS m FROM epcis_events_unpartitioned
    WHERE event_time ~ '^[0-9]{4}-(0[1-9]|1[0-2])-' AND event_time >= '0001' AND event_time < '9999-12'
    UNION
    SELECT date_trunc('month', to_timestamp(at / 1000.0) AT TIME ZONE 'UTC')::date FROM stock_movements_unpartitioned
    WHERE at >= -62135596800000 AND at < 253399622400000
) months ORDER BY m;

INSERT INTO epcis_events
    (id, hash, event_id, event_type, event_time, time_zone_offset, record_time, action,
     biz_step, disposition, read_point, biz_location, parent, lot, expiry, body, body_format,
     capture, body_json)
OVERRIDING SYSTEM VALUE
SELECT id, hash, event_id, event_type, event_time, time_zone_offset, record_time, action,
       biz_step, disposition, read_point, biz_location, parent, lot, expiry, body, body_format,
       capture, body_json
FROM epcis_events_unpartitioned;
INSERT INTO stock_movements
    (event, at, location, item, lot, kind, quantity, reason, counterpart, expiry, capture)
SELECT event, at, location, item, lot, kind, quantity, reason, counterpart, expiry, capture
FROM stock_movements_unpartitioned;
-- The identity goes on where the old one was: an id once given (to an
-- event since deleted, or by a capture rolled back) is not given again.
SELECT setval(pg_get_serial_sequence('epcis_events', 'id'), last_value, is_called)
FROM epcis_events_unpartitioned_id_seq;
DROP TABLE epcis_events_unpartitioned;
DROP TABLE stock_movements_unpartitioned;

-- The indexes they had, built once the rows are in; each partition has its own.
CREATE INDEX epcis_events_time ON epcis_events (event_time);
CREATE INDEX epcis_events_biz_location ON epcis_events (biz_location);
CREATE INDEX epcis_events_biz_step ON epcis_events (biz_step);
-- Not the short keys of the hash and the eventID (schema version 6): the
-- keys' table below finds events by them.
CREATE INDEX stock_movements_event ON stock_movements (event);
CREATE INDEX stock_movements_capture ON stock_movements (capture);

-- The events' keys, unpartitioned: the unique constraints a partitioned
-- table cannot hold. Filled from the events, then constrained (a
-- database holding an event twice, which no capture stores, is refused
-- here and the whole conversion rolled back).
CREATE TABLE epcis_event_keys (
    event BIGINT NOT NULL,
    hash TEXT NOT NULL,
    event_id TEXT,
    capture BIGINT NOT NULL,
    event_time TEXT COLLATE "C" NOT NULL
);
INSERT INTO epcis_event_keys (event, hash, event_id, capture, event_time)
SELECT id, hash, event_id, capture, event_time FROM epcis_events;
ALTER TABLE epcis_event_keys ADD PRIMARY KEY (event);
ALTER TABLE epcis_event_keys ADD CONSTRAINT epcis_event_keys_hash UNIQUE (hash);
ALTER TABLE epcis_event_keys ADD CONSTRAINT epcis_event_keys_event_id UNIQUE (event_id);
