-- Equitas schema version 18 (SQLite): how many runs of each import changed the data
-- (inserted, updated or removed rows); their sum is the stock data's watermark, so that a
-- server reloads after an import that changed something, and after no other.
ALTER TABLE imports ADD COLUMN changes BIGINT NOT NULL DEFAULT 0;
UPDATE imports SET changes = runs;
