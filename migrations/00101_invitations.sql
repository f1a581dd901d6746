-- +goose Up
-- Invitations to an official account's team (contract §14): mailed as {BASE_URL}/invite?token=T, single
-- use, 7 days; only the token's SHA-256 is kept. A pending invitation is one neither accepted nor
-- cancelled; one address has at most one pending invitation per account.
CREATE TABLE account_invitations (
    id           BIGSERIAL PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'agent', 'viewer')),
    token_hash   BYTEA NOT NULL UNIQUE,
    invited_by   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ NOT NULL,
    accepted_at  TIMESTAMPTZ,
    accepted_by  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    cancelled_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX account_invitations_pending ON account_invitations (account_id, lower(email))
    WHERE accepted_at IS NULL AND cancelled_at IS NULL;

-- +goose Down
DROP TABLE account_invitations;
