-- Issue 12: the catalog changes over time. A chemical is controlled from `controlled_from`
-- (NULL: since before the registry's records); each change (a new category, or delisting)
-- takes effect from its date and is kept, never edited.
ALTER TABLE chemicals ADD COLUMN controlled_from TIMESTAMP;
CREATE TABLE chemical_changes (
    id TEXT PRIMARY KEY NOT NULL,
    chemical_id TEXT NOT NULL REFERENCES chemicals (id),
    effective_from TIMESTAMP NOT NULL,
    category INTEGER CHECK (category IN (1, 2, 3)),
    delisted BOOLEAN NOT NULL,
    note TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CHECK (category IS NOT NULL OR delisted)
);
CREATE INDEX chemical_changes_chemical ON chemical_changes (chemical_id, effective_from);
