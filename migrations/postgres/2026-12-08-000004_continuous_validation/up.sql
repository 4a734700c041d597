-- Issue 15: the continuous validation's lease and what it last saw. One row: the app server whose
-- lease has not run out (`holder`, until `lease_until`) is the one that validates in the
-- background; the others only look. `seen` is the registry's inputs as the last background run
-- found them (entries in the tree, firms' status changes, permits, …): a run is due when they
-- changed, or after the idle period whatever they are.
CREATE TABLE continuous_validation (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    holder TEXT,
    lease_until TIMESTAMP,
    last_run_at TIMESTAMP,
    last_run_id TEXT,
    seen TEXT
);
INSERT INTO continuous_validation (id) VALUES (1);
