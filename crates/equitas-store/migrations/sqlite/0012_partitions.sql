-- Equitas schema version 12 (SQLite): nothing changes. On PostgreSQL the
-- EPCIS events and the stock movements are partitioned by month (see the
-- PostgreSQL script and docs/scale.md); SQLite has no partitioning, and a
-- database grown to national scale belongs on PostgreSQL.
SELECT 1;
