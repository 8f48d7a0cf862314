-- Equitas schema version 17 (SQLite): the lead times by item and supplier (docs/formulas.md
-- 4.7), as `equitas import lead-times` last imported them: each import replaces the list.
CREATE TABLE lead_times (
    line INTEGER PRIMARY KEY,
    item TEXT NOT NULL,
    supplier TEXT NOT NULL,
    order_months REAL NOT NULL CHECK (order_months >= 0),
    production_months REAL NOT NULL CHECK (production_months >= 0),
    transport_months REAL NOT NULL CHECK (transport_months >= 0),
    receipt_months REAL NOT NULL CHECK (receipt_months >= 0)
);
