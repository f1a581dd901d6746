-- +goose Up
-- The periodic cleanup deletes expired rows by time (user.Cleanup): without these indexes each delete
-- reads the whole table. login_failures' (key, failed_at) index serves the throttle's per-key lookups,
-- not a delete by failed_at alone.
CREATE INDEX login_failures_failed_at_idx ON login_failures (failed_at);
CREATE INDEX access_tokens_expires_idx ON access_tokens (expires_at);
CREATE INDEX email_tokens_expires_idx ON email_tokens (expires_at);

-- +goose Down
DROP INDEX email_tokens_expires_idx;
DROP INDEX access_tokens_expires_idx;
DROP INDEX login_failures_failed_at_idx;
