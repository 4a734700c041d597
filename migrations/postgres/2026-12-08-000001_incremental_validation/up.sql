-- Issue 15: what an incremental custody run carries to the next one. Per firm: the last ledger
-- seq judged, a digest of everything else its findings read (its name and region, status
-- history, permits, declarations kept, refusals either way), and when its findings next change
-- with time alone (an entry or refusal dated later comes to count, a dispatch falls overdue).
CREATE TABLE custody_watermarks (
    firm_id TEXT PRIMARY KEY REFERENCES firms (id),
    last_seq BIGINT NOT NULL,
    inputs_digest TEXT NOT NULL,
    recheck_at TIMESTAMP
);
-- One row ('province'): when the last incremental run looked, and under which rules and
-- catalog (any change there makes the next run a full one).
CREATE TABLE custody_incremental (
    id TEXT PRIMARY KEY,
    last_run_id TEXT NOT NULL,
    checked_at TIMESTAMP NOT NULL,
    fingerprint TEXT NOT NULL
);
-- A firm's own run reads every sale naming a transport document its sales name.
CREATE INDEX ledger_entries_transport_permit ON ledger_entries (transport_permit_no) WHERE transport_permit_no IS NOT NULL;
