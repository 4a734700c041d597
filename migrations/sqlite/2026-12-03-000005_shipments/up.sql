-- The live shipment views look a firm's trade up by the counterparty it names.
CREATE INDEX ledger_entries_counterparty ON ledger_entries (counterparty_firm_id, kind) WHERE counterparty_firm_id IS NOT NULL;
