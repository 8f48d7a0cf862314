-- Equitas schema version 8 (SQLite): nothing changes. On PostgreSQL the rows
-- a capture writes beside its events no longer check a foreign key each (see
-- the PostgreSQL script: a query and a row lock per row there). SQLite checks
-- a foreign key by a probe of the parent's primary key in the process, a
-- small part of a capture, and could drop one only by rebuilding the tables.
SELECT 1;
