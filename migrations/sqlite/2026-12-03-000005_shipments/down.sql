DROP TABLE shipment_refusals;
DROP INDEX ledger_entries_counterparty;
