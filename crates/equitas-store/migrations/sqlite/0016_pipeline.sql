-- Equitas schema version 16 (SQLite): the shipments expected from suppliers (docs/formulas.md
-- 4.7), as `equitas import pipeline` last imported them: each import replaces the list.
CREATE TABLE pipeline_shipments (
    line INTEGER PRIMARY KEY,
    item TEXT NOT NULL,
    place TEXT NOT NULL,
    arrival TEXT NOT NULL,
    quantity REAL NOT NULL CHECK (quantity >= 0)
);
