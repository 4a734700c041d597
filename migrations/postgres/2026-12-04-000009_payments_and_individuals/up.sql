-- Issue 12: how a sale or purchase was paid (entries filed before read as "unknown"), and a
-- person as counterparty, identified by the resident ID number (shown whole only to regulators).
ALTER TABLE ledger_entries ADD COLUMN counterparty_resident_id TEXT;
ALTER TABLE ledger_entries ADD COLUMN payment TEXT
    CHECK (payment IN ('bank_transfer', 'card', 'cheque', 'cash', 'barter', 'other'));
