-- Equitas schema version 4 (PostgreSQL): stock movements, stock reports, stock level bands.

-- Movements derived from captured EPCIS events (docs/formulas.md 3.1), written
-- in the capture's transaction.
CREATE TABLE stock_movements (
    event BIGINT NOT NULL REFERENCES epcis_events (id),
    at BIGINT NOT NULL,
    location TEXT NOT NULL,
    item TEXT NOT NULL,
    lot TEXT NOT NULL,
    kind TEXT NOT NULL,
    quantity DOUBLE PRECISION NOT NULL,
    reason TEXT NOT NULL,
    counterpart TEXT,
    expiry TEXT
);
CREATE INDEX stock_movements_event ON stock_movements (event);

-- Monthly stock reports, one per location, item and month.
CREATE TABLE stock_reports (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    location TEXT NOT NULL,
    item TEXT NOT NULL,
    period TEXT NOT NULL,
    opening DOUBLE PRECISION,
    received DOUBLE PRECISION NOT NULL,
    dispensed DOUBLE PRECISION NOT NULL,
    issued DOUBLE PRECISION NOT NULL,
    adjustments DOUBLE PRECISION NOT NULL,
    closing DOUBLE PRECISION,
    stockout_days BIGINT NOT NULL,
    UNIQUE (location, item, period)
);

-- Minimum and maximum months of stock per tier, for all items ('') or one.
CREATE TABLE stock_levels (
    item TEXT NOT NULL,
    tier TEXT NOT NULL CHECK (tier IN ('central', 'store', 'facility', 'area')),
    min_months DOUBLE PRECISION NOT NULL,
    max_months DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (item, tier)
);
