DROP TABLE idempotency_keys;
DROP TABLE ledger_entries;
