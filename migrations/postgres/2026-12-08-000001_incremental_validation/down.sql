DROP INDEX ledger_entries_transport_permit;
DROP TABLE custody_incremental;
DROP TABLE custody_watermarks;
