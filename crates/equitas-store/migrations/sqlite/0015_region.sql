-- Equitas schema version 15 (SQLite): data kept in each country (issue 25, docs/region.md).
-- A country's server publishes its monthly figures; a regional server pulls them.

-- The publication-reader role: the publications permission only (a regional server's token
-- reads a country's publications and nothing else). SQLite cannot change a CHECK in place:
-- the grants are copied into a table with the new list of roles (no table refers to them).
CREATE TABLE auth_grants_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES auth_users (id),
    role TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'supply-chain-officer', 'data-manager', 'administrator', 'publication-reader')),
    countries TEXT NOT NULL,
    location TEXT,
    programmes TEXT NOT NULL,
    created_at TEXT NOT NULL
);
INSERT INTO auth_grants_new (id, user_id, role, countries, location, programmes, created_at)
    SELECT id, user_id, role, countries, location, programmes, created_at FROM auth_grants;
DROP TABLE auth_grants;
ALTER TABLE auth_grants_new RENAME TO auth_grants;
CREATE INDEX auth_grants_user ON auth_grants (user_id);

-- On a country's server: what it publishes (one row): its country and the level of the
-- hierarchy its figures are summed to (its country totals are always published).
CREATE TABLE region_publishing (
    id INTEGER PRIMARY KEY CHECK (id = 1),
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
    format INTEGER NOT NULL,
    equitas_version TEXT NOT NULL,
    formulas_version INTEGER NOT NULL,
    computed_at TEXT NOT NULL,
    digest TEXT NOT NULL,
    row_count INTEGER NOT NULL,
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
    opening REAL NOT NULL,
    received REAL NOT NULL,
    issued REAL NOT NULL,
    dispensed REAL NOT NULL,
    adjusted REAL NOT NULL,
    closing REAL NOT NULL,
    stockout_days INTEGER,
    amc REAL,
    months_of_stock REAL,
    facilities INTEGER NOT NULL,
    in_stock INTEGER NOT NULL,
    availability REAL,
    PRIMARY KEY (country, month, level, location, item)
);
CREATE INDEX region_figures_level_month ON region_figures (level, month);
