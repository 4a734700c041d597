-- The ledger is append-only: no code path updates or deletes these rows. `firm_id` leads every
-- key so that it can serve as the distribution column of a sharded PostgreSQL.
CREATE TABLE ledger_entries (
    firm_id TEXT NOT NULL REFERENCES firms (id),
    seq BIGINT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('purchase', 'production', 'sale', 'consumption', 'loss', 'disposal', 'stocktake', 'reversal')),
    chemical_id TEXT NOT NULL REFERENCES chemicals (id),
    lot TEXT,
    quantity BIGINT NOT NULL CHECK (quantity >= 0),
    occurred_at TIMESTAMP NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    recorded_by TEXT NOT NULL,
    counterparty_firm_id TEXT REFERENCES firms (id),
    counterparty_name TEXT,
    counterparty_credit_code TEXT,
    counterparty_permit_no TEXT,
    shipment_ref TEXT,
    permit_no TEXT,
    transport_permit_no TEXT,
    warehouse TEXT,
    note TEXT,
    reverses TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (firm_id, seq),
    UNIQUE (firm_id, id)
);
-- An entry is reversed at most once, even under concurrent filing.
CREATE UNIQUE INDEX ledger_entries_reversal ON ledger_entries (firm_id, reverses) WHERE reverses IS NOT NULL;
CREATE INDEX ledger_entries_chemical_lot ON ledger_entries (chemical_id, lot);
CREATE INDEX ledger_entries_shipment ON ledger_entries (shipment_ref) WHERE shipment_ref IS NOT NULL;

-- The first response to each Idempotency-Key, per firm, returned again on a retry.
CREATE TABLE idempotency_keys (
    firm_id TEXT NOT NULL REFERENCES firms (id),
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response_status INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (firm_id, idempotency_key)
);
