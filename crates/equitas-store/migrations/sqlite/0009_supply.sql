-- Equitas schema version 8 (SQLite): supply security registers (issue 20).
-- Every row names its source (a URL or a citation) and, where known, the date it was read.

-- Manufacturing sites, their technology platform, annual capacity (a range with its unit),
-- status and approvals (`who-pq@2023-05-01;national`).
CREATE TABLE supply_sites (
    site TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    organisation TEXT NOT NULL,
    country TEXT NOT NULL REFERENCES countries (iso3),
    platform TEXT,
    products TEXT NOT NULL,
    capacity_min REAL,
    capacity_max REAL,
    capacity_unit TEXT,
    status TEXT NOT NULL,
    approvals TEXT NOT NULL,
    source TEXT NOT NULL,
    source_date TEXT
);
CREATE INDEX supply_sites_country ON supply_sites (country);

-- Technology transfers and licences; territory as `;`-separated ISO3 codes.
CREATE TABLE supply_licences (
    programme TEXT NOT NULL,
    licensor TEXT NOT NULL,
    licensee TEXT NOT NULL,
    technology TEXT NOT NULL,
    licensee_site TEXT,
    territory TEXT NOT NULL,
    start_date TEXT,
    end_date TEXT,
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    source_date TEXT,
    PRIMARY KEY (programme, licensor, licensee, technology)
);

-- Regulatory authorities: WHO GBT maturity level and year, WLA status, and one row per
-- reliance pathway with its typical time to authorise.
CREATE TABLE regulators (
    country TEXT NOT NULL REFERENCES countries (iso3),
    pathway TEXT NOT NULL,
    authority TEXT NOT NULL,
    gbt_level INTEGER,
    gbt_year INTEGER,
    wla TEXT,
    days_to_authorise INTEGER,
    source TEXT NOT NULL,
    source_date TEXT,
    PRIMARY KEY (country, pathway)
);

-- Ingredient (API) sources of finished-product sites; product '' = every product of the site.
CREATE TABLE ingredient_sources (
    site TEXT NOT NULL,
    product TEXT NOT NULL,
    ingredient TEXT NOT NULL,
    api_manufacturer TEXT NOT NULL,
    api_country TEXT NOT NULL REFERENCES countries (iso3),
    api_site TEXT,
    source TEXT NOT NULL,
    source_date TEXT,
    PRIMARY KEY (site, product, ingredient, api_manufacturer, api_country)
);
