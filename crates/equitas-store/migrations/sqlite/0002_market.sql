-- Equitas schema version 2 (SQLite): market reference data and registers.

-- International reference prices per comparison unit (US$), e.g. MSH Price Guide medians.
CREATE TABLE reference_prices (
    product TEXT NOT NULL REFERENCES products (code),
    source TEXT NOT NULL,
    price_usd REAL NOT NULL,
    unit TEXT,
    year INTEGER,
    PRIMARY KEY (product, source)
);

-- Standard treatment courses: comparison units per course (WHO/HAI affordability).
CREATE TABLE treatment_courses (
    product TEXT PRIMARY KEY REFERENCES products (code),
    units REAL NOT NULL,
    description TEXT NOT NULL,
    source TEXT NOT NULL
);

-- Daily wage of the lowest-paid unskilled government worker, per country.
CREATE TABLE wages (
    country TEXT PRIMARY KEY REFERENCES countries (iso3),
    daily_wage REAL NOT NULL,
    currency TEXT NOT NULL,
    exchange_rate REAL NOT NULL,
    year INTEGER,
    source TEXT NOT NULL
);

-- Marketing authorisations: who may legally sell a product in a country.
CREATE TABLE marketing_authorisations (
    country TEXT NOT NULL REFERENCES countries (iso3),
    number TEXT NOT NULL,
    product_name TEXT NOT NULL,
    product TEXT REFERENCES products (code),
    holder TEXT NOT NULL,
    manufacturer TEXT,
    status TEXT NOT NULL,
    valid_from TEXT,
    valid_to TEXT,
    PRIMARY KEY (country, number)
);
CREATE INDEX marketing_authorisations_product ON marketing_authorisations (product);

-- WHO prequalification: products found acceptable for UN procurement.
CREATE TABLE prequalified (
    programme TEXT NOT NULL,
    reference TEXT NOT NULL,
    product_type TEXT NOT NULL,
    commercial_name TEXT,
    presentation TEXT,
    doses TEXT,
    manufacturer TEXT NOT NULL,
    regulator TEXT,
    prequalified_on TEXT,
    PRIMARY KEY (programme, reference)
);
