-- Issue 16: an access token names its user's token generation; disabling the user, a new
-- password or signing out moves the generation on, and every token of the old one is refused.
ALTER TABLE users ADD COLUMN token_generation BIGINT NOT NULL DEFAULT 0;
