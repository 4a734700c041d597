-- One row per validator run: what it looked at and what it found.
CREATE TABLE custody_runs (
    id TEXT PRIMARY KEY NOT NULL,
    firm_id TEXT REFERENCES firms (id),
    as_of TIMESTAMP NOT NULL,
    run_by TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    duration_ms BIGINT NOT NULL,
    entries_checked BIGINT NOT NULL,
    findings_by_code TEXT NOT NULL,
    new_findings BIGINT NOT NULL,
    resolved_findings BIGINT NOT NULL
);

-- Findings survive runs: `identity` (code + the entries concerned) is what makes a finding the same.
CREATE TABLE custody_findings (
    id TEXT PRIMARY KEY NOT NULL,
    identity TEXT NOT NULL UNIQUE,
    code TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('critical', 'major', 'minor')),
    status TEXT NOT NULL CHECK (status IN ('open', 'explained', 'resolved', 'dismissed')),
    firm_id TEXT NOT NULL REFERENCES firms (id),
    counterparty_firm_id TEXT REFERENCES firms (id),
    chemical_id TEXT,
    lot TEXT,
    quantity BIGINT,
    entry_ids TEXT NOT NULL,
    counterparty_entry_ids TEXT NOT NULL,
    message_zh TEXT NOT NULL,
    message_en TEXT NOT NULL,
    first_seen_at TIMESTAMP NOT NULL,
    first_seen_run TEXT NOT NULL,
    last_seen_run TEXT NOT NULL,
    resolved_by_run TEXT,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX custody_findings_firm ON custody_findings (firm_id, status);
CREATE INDEX custody_findings_counterparty ON custody_findings (counterparty_firm_id);

-- The history of each finding: explanations, resolutions, automatic resolution and reopening.
CREATE TABLE custody_finding_notes (
    id TEXT PRIMARY KEY NOT NULL,
    finding_id TEXT NOT NULL REFERENCES custody_findings (id),
    action TEXT NOT NULL,
    text TEXT,
    by_user TEXT,
    run_id TEXT,
    at TIMESTAMP NOT NULL
);
CREATE INDEX custody_finding_notes_finding ON custody_finding_notes (finding_id, at);
