-- Equitas schema version 11 (PostgreSQL): EPCIS 2.0 named queries and their
-- subscriptions (docs/epcis.md, "Named queries and subscriptions").

-- A named query: its EPCIS query parameters as a JSON object, checked when
-- it was saved (equitas_service::subscriptions).
CREATE TABLE epcis_queries (
    name TEXT PRIMARY KEY,
    query TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- A subscription to a named query, and its outbox: what it has received is
-- a mark in the commit order of captures (epcis_captures.commit_seq, then
-- the event id within a capture). Every event after the mark that matches
-- the query is still to be delivered; the mark moves only after a delivery
-- was acknowledged (2xx), in the transaction that records it, so no event
-- is lost to a crash (one may be delivered again: at least once).
CREATE TABLE epcis_subscriptions (
    id TEXT PRIMARY KEY,
    query_name TEXT NOT NULL REFERENCES epcis_queries (name) ON DELETE CASCADE,
    dest TEXT NOT NULL,
    signature_token TEXT,
    stream BIGINT NOT NULL,
    -- The schedule's fields as a JSON object (NULL for a stream).
    schedule TEXT,
    report_if_empty BIGINT NOT NULL,
    initial_record_time TEXT,
    created_at TEXT NOT NULL,
    -- Delivered: events of captures numbered below mark_seq, and of capture
    -- mark_seq those with ids up to mark_event.
    mark_seq BIGINT NOT NULL,
    mark_event BIGINT NOT NULL,
    -- A scheduled run in progress delivers up to this capture number.
    run_until BIGINT,
    -- When the schedule is next due (RFC 3339, UTC).
    next_run TEXT,
    -- Failed attempts of the delivery now due, and when to try again.
    attempts BIGINT NOT NULL DEFAULT 0,
    retry_at TEXT,
    last_error TEXT,
    last_notified_at TEXT,
    deliveries BIGINT NOT NULL DEFAULT 0,
    events_delivered BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX epcis_subscriptions_query ON epcis_subscriptions (query_name);

-- A subscription reads the events of a capture in id order.
CREATE INDEX epcis_events_capture ON epcis_events (capture, id);
