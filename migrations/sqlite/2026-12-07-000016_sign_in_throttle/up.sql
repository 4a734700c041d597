-- Issue 16: failed sign-ins are kept by key — a username's digest (`user:…`, whatever its
-- length as sent) or a client address (`addr:…`) — and every row older than the window is
-- pruned, so anonymous requests cannot grow the table.
CREATE INDEX login_failures_time ON login_failures (failed_at);
