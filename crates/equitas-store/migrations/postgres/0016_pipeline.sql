-- Equitas schema version 16 (PostgreSQL): the shipments expected from suppliers
-- (docs/formulas.md 4.7), as `equitas import pipeline` last imported them: each import
-- replaces the list.
CREATE TABLE pipeline_shipments (
    line BIGINT PRIMARY KEY,
    item TEXT NOT NULL,
    place TEXT NOT NULL,
    arrival TEXT NOT NULL,
    quantity DOUBLE PRECISION NOT NULL CHECK (quantity >= 0)
);
