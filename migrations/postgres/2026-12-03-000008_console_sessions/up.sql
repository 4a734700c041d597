-- Sign-ins of the web console: a row per session, so that signing out or disabling the user
-- ends it at once. `id` is the SHA-256 of the cookie's value; the value itself is never stored.
CREATE TABLE console_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
