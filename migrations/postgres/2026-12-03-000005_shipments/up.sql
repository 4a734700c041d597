-- The live shipment views look a firm's trade up by the counterparty it names.
CREATE INDEX ledger_entries_counterparty ON ledger_entries (counterparty_firm_id, kind) WHERE counterparty_firm_id IS NOT NULL;

-- A buyer's refusal of a dispatch addressed to it: append-only, one per dispatch. The goods'
-- return is an ordinary ledger entry (the seller's purchase back), so nothing here changes.
CREATE TABLE shipment_refusals (
    id TEXT PRIMARY KEY NOT NULL,
    dispatch_entry_id TEXT NOT NULL UNIQUE,
    seller_firm_id TEXT NOT NULL REFERENCES firms (id),
    buyer_firm_id TEXT NOT NULL REFERENCES firms (id),
    reason TEXT NOT NULL,
    refused_by TEXT NOT NULL,
    refused_at TIMESTAMP NOT NULL
);
CREATE INDEX shipment_refusals_seller ON shipment_refusals (seller_firm_id);
CREATE INDEX shipment_refusals_buyer ON shipment_refusals (buyer_firm_id);
