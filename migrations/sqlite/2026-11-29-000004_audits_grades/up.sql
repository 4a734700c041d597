-- Inspections (检查) of a firm by a regulator; read-only once closed.
CREATE TABLE audits (
    id TEXT PRIMARY KEY NOT NULL,
    firm_id TEXT NOT NULL REFERENCES firms (id),
    kind TEXT NOT NULL CHECK (kind IN ('routine', 'spot', 'follow_up')),
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    started_at TIMESTAMP NOT NULL,
    opened_by TEXT NOT NULL,
    closed_at TIMESTAMP,
    closed_by TEXT,
    conclusion TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audits_firm ON audits (firm_id, status);

CREATE TABLE audit_findings (
    id TEXT PRIMARY KEY NOT NULL,
    audit_id TEXT NOT NULL REFERENCES audits (id),
    firm_id TEXT NOT NULL REFERENCES firms (id),
    severity TEXT NOT NULL CHECK (severity IN ('critical', 'major', 'minor')),
    description TEXT NOT NULL,
    entry_ids TEXT NOT NULL,
    corrective_action TEXT,
    deadline TIMESTAMP,
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_findings_audit ON audit_findings (audit_id);
CREATE INDEX audit_findings_firm ON audit_findings (firm_id);

-- Grades are history: a new grade for a period supersedes, none is overwritten.
CREATE TABLE grades (
    id TEXT PRIMARY KEY NOT NULL,
    firm_id TEXT NOT NULL REFERENCES firms (id),
    period TEXT NOT NULL,
    score INTEGER NOT NULL,
    computed_grade TEXT NOT NULL CHECK (computed_grade IN ('A', 'B', 'C', 'D')),
    grade TEXT NOT NULL CHECK (grade IN ('A', 'B', 'C', 'D')),
    overridden BOOLEAN NOT NULL,
    reason TEXT,
    rules_version TEXT NOT NULL,
    breakdown TEXT NOT NULL,
    confirmed_by TEXT NOT NULL,
    confirmed_at TIMESTAMP NOT NULL
);
CREATE INDEX grades_firm ON grades (firm_id, period, confirmed_at);

-- Every state-changing request: who, role, what, on which target, when, with what outcome.
CREATE TABLE activity_log (
    id TEXT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    user_id TEXT,
    role TEXT,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    status INTEGER NOT NULL
);
CREATE INDEX activity_log_at ON activity_log (at);
CREATE INDEX activity_log_user ON activity_log (user_id, at);
