-- Equitas schema version 4 (SQLite): stock movements, stock reports, stock level bands.

-- Movements derived from captured EPCIS events (docs/formulas.md 3.1), written
-- in the capture's transaction.
CREATE TABLE stock_movements (
    event INTEGER NOT NULL REFERENCES epcis_events (id),
    at INTEGER NOT NULL,
    location TEXT NOT NULL,
    item TEXT NOT NULL,
    lot TEXT NOT NULL,
    kind TEXT NOT NULL,
    quantity REAL NOT NULL,
    reason TEXT NOT NULL,
    counterpart TEXT,
    expiry TEXT
);
CREATE INDEX stock_movements_event ON stock_movements (event);

-- Monthly stock reports, one per location, item and month.
CREATE TABLE stock_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    location TEXT NOT NULL,
    item TEXT NOT NULL,
    period TEXT NOT NULL,
    opening REAL,
    received REAL NOT NULL,
    dispensed REAL NOT NULL,
    issued REAL NOT NULL,
    adjustments REAL NOT NULL,
    closing REAL,
    stockout_days INTEGER NOT NULL,
    UNIQUE (location, item, period)
);

-- Minimum and maximum months of stock per tier, for all items ('') or one.
CREATE TABLE stock_levels (
    item TEXT NOT NULL,
    tier TEXT NOT NULL CHECK (tier IN ('central', 'store', 'facility', 'area')),
    min_months REAL NOT NULL,
    max_months REAL NOT NULL,
    PRIMARY KEY (item, tier)
);
