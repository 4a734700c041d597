-- Issue 14: a firm's GS1 identifiers and the EPCIS events it imported.
-- An identifier is a company prefix, a party GLN, a site GLN (with the warehouse it names) or a
-- product (a GTIN, or one lot of it) with the chemical it is. `key` is the GS1 Digital Link form
-- (the prefix's digits for a prefix), one spelling per key. A site or party belongs to one firm.
CREATE TABLE gs1_identifiers (
    id TEXT PRIMARY KEY NOT NULL,
    firm_id TEXT NOT NULL REFERENCES firms (id),
    kind TEXT NOT NULL CHECK (kind IN ('company_prefix', 'party', 'site', 'product')),
    gs1_key TEXT NOT NULL,
    chemical_id TEXT REFERENCES chemicals (id),
    warehouse TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CHECK ((kind = 'product') = (chemical_id IS NOT NULL))
);
CREATE UNIQUE INDEX gs1_identifiers_key ON gs1_identifiers (firm_id, kind, gs1_key);
CREATE UNIQUE INDEX gs1_identifiers_place ON gs1_identifiers (gs1_key) WHERE kind IN ('party', 'site');

-- Each ledger entry an EPCIS event was filed as (an event may carry several quantities), and
-- each reversal an error declaration made: re-importing the event files nothing new.
CREATE TABLE epcis_events (
    firm_id TEXT NOT NULL REFERENCES firms (id),
    event_id TEXT NOT NULL,
    declared_error BOOLEAN NOT NULL,
    element INTEGER NOT NULL,
    entry_id TEXT NOT NULL,
    PRIMARY KEY (firm_id, event_id, declared_error, element)
);
