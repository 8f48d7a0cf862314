-- Equitas schema version 1 (SQLite): reference data, catalogue, procurement.
CREATE TABLE countries (
    iso3 TEXT PRIMARY KEY,
    iso2 TEXT NOT NULL,
    numeric_code INTEGER,
    name_en TEXT NOT NULL,
    name_fr TEXT,
    name_short TEXT,
    m49_region TEXT,
    m49_subregion TEXT,
    currency TEXT,
    least_developed INTEGER NOT NULL,
    landlocked_developing INTEGER NOT NULL,
    small_island_developing INTEGER NOT NULL,
    who_region TEXT,
    wb_region TEXT,
    income_group TEXT
);

CREATE TABLE locations (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('country', 'region', 'district', 'facility', 'warehouse')),
    parent TEXT REFERENCES locations (code),
    country TEXT NOT NULL REFERENCES countries (iso3),
    gln TEXT UNIQUE,
    latitude REAL,
    longitude REAL
);
CREATE INDEX locations_parent ON locations (parent);
CREATE INDEX locations_country_level ON locations (country, level);

CREATE TABLE organisations (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    roles TEXT NOT NULL,
    country TEXT
);

CREATE TABLE products (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    inns TEXT NOT NULL,
    strength TEXT,
    dosage_form TEXT,
    category TEXT NOT NULL,
    programme TEXT,
    atc TEXT,
    essential INTEGER
);

CREATE TABLE trade_items (
    code TEXT PRIMARY KEY,
    gtin TEXT UNIQUE,
    product TEXT NOT NULL REFERENCES products (code),
    description TEXT NOT NULL,
    pack_size REAL,
    brand TEXT,
    manufacturer TEXT REFERENCES organisations (code)
);

CREATE TABLE manufacturing_sites (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    manufacturer TEXT REFERENCES organisations (code),
    country TEXT,
    city TEXT,
    latitude REAL,
    longitude REAL
);

CREATE TABLE procurement_lines (
    source TEXT NOT NULL,
    source_id TEXT NOT NULL,
    buyer_country TEXT NOT NULL REFERENCES countries (iso3),
    supplier TEXT NOT NULL REFERENCES organisations (code),
    product TEXT NOT NULL REFERENCES products (code),
    trade_item TEXT NOT NULL REFERENCES trade_items (code),
    site TEXT REFERENCES manufacturing_sites (code),
    pack_size REAL,
    quantity REAL NOT NULL,
    value REAL,
    pack_price REAL,
    unit_price REAL,
    currency TEXT NOT NULL,
    incoterm TEXT,
    mode TEXT,
    fulfil_via TEXT,
    quote_date TEXT,
    order_date TEXT,
    scheduled_date TEXT,
    delivered_date TEXT,
    recorded_date TEXT,
    weight_kg REAL,
    freight REAL,
    insurance REAL,
    first_line INTEGER,
    project_code TEXT,
    quote_ref TEXT,
    order_ref TEXT,
    shipment_ref TEXT,
    gaps_digest TEXT NOT NULL,
    PRIMARY KEY (source, source_id)
);
CREATE INDEX procurement_lines_product ON procurement_lines (product);
CREATE INDEX procurement_lines_buyer ON procurement_lines (buyer_country);

CREATE TABLE procurement_gaps (
    source TEXT NOT NULL,
    source_id TEXT NOT NULL,
    field TEXT NOT NULL,
    kind TEXT NOT NULL,
    raw TEXT NOT NULL,
    PRIMARY KEY (source, source_id, field),
    FOREIGN KEY (source, source_id) REFERENCES procurement_lines (source, source_id) ON DELETE CASCADE
);

CREATE TABLE imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    source_name TEXT NOT NULL,
    first_at TEXT NOT NULL,
    last_at TEXT NOT NULL,
    runs INTEGER NOT NULL,
    rows_read INTEGER NOT NULL,
    inserted INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    UNIQUE (kind, sha256)
);
