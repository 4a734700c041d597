-- Issue 12 (the eu rule pack): a customer's declaration of the specific use of a substance
-- (Reg. 273/2004 Art. 4), kept on file by the supplying firm for that customer and substance.
-- The customer is a registered firm, or an outside one by its credit code. Kept, never edited.
CREATE TABLE customer_declarations (
    id TEXT PRIMARY KEY NOT NULL,
    firm_id TEXT NOT NULL REFERENCES firms (id),
    customer_firm_id TEXT REFERENCES firms (id),
    customer_name TEXT,
    customer_credit_code TEXT,
    chemical_id TEXT NOT NULL REFERENCES chemicals (id),
    intended_use TEXT NOT NULL,
    valid_from TIMESTAMP NOT NULL,
    valid_until TIMESTAMP NOT NULL,
    document_ref TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CHECK ((customer_firm_id IS NULL) <> (customer_credit_code IS NULL)),
    CHECK (valid_from < valid_until)
);
CREATE INDEX customer_declarations_firm ON customer_declarations (firm_id, chemical_id);
