-- Issue 15: a validation run started from the console, until its officer has seen how it ended.
-- In the database rather than in the app server's memory, so that the progress page answers
-- whichever of several app servers the next reload reaches.
CREATE TABLE console_run_tickets (
    id TEXT PRIMARY KEY NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users (id),
    started_at TIMESTAMP NOT NULL,
    run_id TEXT,
    failure TEXT
);
CREATE INDEX console_run_tickets_started ON console_run_tickets (started_at);
