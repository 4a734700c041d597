-- Alerts. Facts the registry already keeps (a sale to a registered buyer, a dispatch past its
-- due date, a refusal, a critical finding) become events, append-only; one event per fact and
-- firm (the identity is unique, so a scanner that reads a fact again adds nothing).
CREATE TABLE events (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    firm_id TEXT NOT NULL REFERENCES firms (id),
    counterparty_firm_id TEXT,
    region_code TEXT NOT NULL,
    subject TEXT NOT NULL,
    payload TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX events_identity ON events (kind, subject, firm_id);
CREATE INDEX events_firm ON events (firm_id, id);

-- How far the scanner has read each source of facts (`since`: when alerts started reading it).
CREATE TABLE event_cursors (
    name TEXT PRIMARY KEY NOT NULL,
    since TIMESTAMP NOT NULL,
    value TIMESTAMP NOT NULL
);

-- Webhook subscriptions. The secret is kept as given out: the server must compute HMACs with it.
-- Ending a subscription sets ended_at; rows are never deleted.
CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    url TEXT NOT NULL,
    kinds TEXT NOT NULL,
    firm_id TEXT REFERENCES firms (id),
    region_code TEXT,
    secret TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP
);
CREATE INDEX subscriptions_user ON subscriptions (user_id, id);

-- The delivery queue, one row per (subscription, event): it survives restarts.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
    event_id TEXT NOT NULL REFERENCES events (id),
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    delivered_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (subscription_id, event_id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);

-- What the scanner reads behind its cursors.
CREATE INDEX ledger_entries_recorded_at ON ledger_entries (recorded_at);
CREATE INDEX ledger_entries_dispatched_at ON ledger_entries (occurred_at) WHERE kind = 'sale' AND counterparty_firm_id IS NOT NULL;
CREATE INDEX shipment_refusals_refused_at ON shipment_refusals (refused_at);
CREATE INDEX custody_findings_first_seen ON custody_findings (first_seen_at);
