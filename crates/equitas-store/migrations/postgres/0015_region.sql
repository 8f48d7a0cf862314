-- Equitas schema version 15 (PostgreSQL): data kept in each country (issue 25, docs/region.md).
-- A country's server publishes its monthly figures; a regional server pulls them.

-- The publication-reader role: the publications permission only (a regional server's token
-- reads a country's publications and nothing else).
ALTER TABLE auth_grants DROP CONSTRAINT auth_grants_role_check;
ALTER TABLE auth_grants ADD CONSTRAINT auth_grants_role_check
    CHECK (role IN ('viewer', 'analyst', 'supply-chain-officer', 'data-manager', 'administrator', 'publication-reader'));

-- On a country's server: what it publishes (one row): its country and the level of the
-- hierarchy its figures are summed to (its country totals are always published).
CREATE TABLE region_publishing (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    country TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('facility', 'district', 'region', 'country')),
    set_at TEXT NOT NULL
);

-- On a regional server: the countries' servers it pulls from. The token stays in its file
-- (only the file's path is kept).
CREATE TABLE region_sources (
    country TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    token_file TEXT NOT NULL,
    added_at TEXT NOT NULL,
    pulled_at TEXT,
    last_error TEXT
);

-- Each country's publications held: one per month, replaced whole when republished.
CREATE TABLE region_publications (
    country TEXT NOT NULL,
    month TEXT NOT NULL,
    level TEXT NOT NULL,
    format BIGINT NOT NULL,
    equitas_version TEXT NOT NULL,
    formulas_version BIGINT NOT NULL,
    computed_at TEXT NOT NULL,
    digest TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    pulled_at TEXT NOT NULL,
    PRIMARY KEY (country, month)
);

-- Their rows (docs/formulas.md 3), keyed by (country, month, level, location, item).
CREATE TABLE region_figures (
    country TEXT NOT NULL,
    month TEXT NOT NULL,
    level TEXT NOT NULL,
    location TEXT NOT NULL,
    location_name TEXT NOT NULL,
    item TEXT NOT NULL,
    item_name TEXT,
    opening DOUBLE PRECISION NOT NULL,
    received DOUBLE PRECISION NOT NULL,
    issued DOUBLE PRECISION NOT NULL,
    dispensed DOUBLE PRECISION NOT NULL,
    adjusted DOUBLE PRECISION NOT NULL,
    closing DOUBLE PRECISION NOT NULL,
    stockout_days BIGINT,
    amc DOUBLE PRECISION,
    months_of_stock DOUBLE PRECISION,
    facilities BIGINT NOT NULL,
    in_stock BIGINT NOT NULL,
    availability DOUBLE PRECISION,
    PRIMARY KEY (country, month, level, location, item)
);
CREATE INDEX region_figures_level_month ON region_figures (level, month);
