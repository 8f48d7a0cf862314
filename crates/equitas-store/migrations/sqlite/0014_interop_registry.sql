-- Equitas schema version 14 (SQLite): the facility registry's organisations
-- (FHIR Organization, as IHE mCSD), the stored product code mapping (FHIR
-- codings of other systems to GTINs) and the subscriber of an EPCIS query
-- subscription (docs/interop.md).

-- An organisation of the facility registry: its code (the
-- urn:equitas:organization identifier, else the resource's id), its name,
-- its type (the first coding, as system|code), its parent organisation and
-- every identifier (JSON array of {"system", "value"}).
CREATE TABLE registry_organizations (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT,
    part_of TEXT REFERENCES registry_organizations (code),
    identifiers TEXT NOT NULL
);

-- The organisation managing a location (Location.managingOrganization).
CREATE TABLE location_organizations (
    location TEXT PRIMARY KEY REFERENCES locations (code),
    organization TEXT NOT NULL REFERENCES registry_organizations (code)
);
CREATE INDEX location_organizations_org ON location_organizations (organization);

-- A coding of another system (ATC, RxNorm, a national code...) and the
-- GTIN-14 it names, read by every FHIR import (CLI and server).
CREATE TABLE product_codes (
    system TEXT NOT NULL,
    code TEXT NOT NULL,
    gtin TEXT NOT NULL,
    PRIMARY KEY (system, code)
);

-- Who subscribed (a user, and the API token used, if any): each delivery
-- carries only the events within that caller's read scope as it stands at
-- the delivery. NULL: a caller without accounts (every event).
ALTER TABLE epcis_subscriptions ADD COLUMN subscriber TEXT;
ALTER TABLE epcis_subscriptions ADD COLUMN subscriber_token INTEGER;
