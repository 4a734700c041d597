ALTER TABLE ledger_entries DROP COLUMN payment;
ALTER TABLE ledger_entries DROP COLUMN counterparty_resident_id;
