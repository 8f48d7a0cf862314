-- Equitas schema version 3 (SQLite): captured EPCIS events.

CREATE TABLE epcis_captures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_name TEXT NOT NULL,
    received_at TEXT NOT NULL,
    mode TEXT NOT NULL,
    events INTEGER NOT NULL,
    captured INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    rejected INTEGER NOT NULL
);

CREATE TABLE epcis_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    hash TEXT NOT NULL UNIQUE,
    event_id TEXT UNIQUE,
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
    capture INTEGER NOT NULL REFERENCES epcis_captures (id)
);
CREATE INDEX epcis_events_time ON epcis_events (event_time);
CREATE INDEX epcis_events_biz_location ON epcis_events (biz_location);
CREATE INDEX epcis_events_biz_step ON epcis_events (biz_step);

CREATE TABLE epcis_event_epcs (
    event INTEGER NOT NULL REFERENCES epcis_events (id),
    role TEXT NOT NULL,
    epc TEXT NOT NULL
);
CREATE INDEX epcis_event_epcs_event ON epcis_event_epcs (event);
CREATE INDEX epcis_event_epcs_epc ON epcis_event_epcs (epc);

CREATE TABLE epcis_event_quantities (
    event INTEGER NOT NULL REFERENCES epcis_events (id),
    role TEXT NOT NULL,
    epc_class TEXT NOT NULL,
    quantity REAL,
    uom TEXT
);
CREATE INDEX epcis_event_quantities_event ON epcis_event_quantities (event);
CREATE INDEX epcis_event_quantities_class ON epcis_event_quantities (epc_class);

CREATE TABLE epcis_event_parties (
    event INTEGER NOT NULL REFERENCES epcis_events (id),
    kind TEXT NOT NULL,
    kind_type TEXT,
    party TEXT NOT NULL
);
CREATE INDEX epcis_event_parties_event ON epcis_event_parties (event);
