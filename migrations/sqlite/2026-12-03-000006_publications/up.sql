-- The association's publications: a period's confirmed grades made public. Append-only, one per
-- period; the public directory shows a firm's current grade only when its period is here.
CREATE TABLE grade_publications (
    id TEXT PRIMARY KEY NOT NULL,
    period TEXT NOT NULL UNIQUE,
    published_by TEXT NOT NULL REFERENCES users (id),
    published_at TIMESTAMP NOT NULL
);
