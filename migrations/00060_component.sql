-- +goose Up
-- Contract §15: official accounts bound through the WeChat Open Platform third-party platform ("component").
-- An account is bound either with its AppSecret (mode 'secret') or by its administrator's authorization
-- (mode 'component': no AppSecret; the authorizer refresh token, sealed and bound to the appid, fetches its
-- access_token through api_authorizer_token). Revoking the authorization keeps the account and its data
-- (status 'revoked'); authorizing again revives it.
ALTER TABLE wx_accounts
    ADD COLUMN mode              TEXT NOT NULL DEFAULT 'secret' CHECK (mode IN ('secret', 'component')),
    ADD COLUMN status            TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
    ADD COLUMN funcscope         INTEGER[] NOT NULL DEFAULT '{}',
    ADD COLUMN refresh_token_enc TEXT NOT NULL DEFAULT '',
    ADD COLUMN original_id       TEXT NOT NULL DEFAULT '',
    ADD COLUMN service_type      INTEGER,
    ADD COLUMN verify_type       INTEGER,
    ADD COLUMN revoked_at        TIMESTAMPTZ;

-- The latest component_verify_ticket WeChat pushed, shared by every console process (sealed).
CREATE TABLE wx_component_tickets (
    component_appid TEXT PRIMARY KEY,
    ticket_enc      TEXT NOT NULL,
    received_at     TIMESTAMPTZ NOT NULL
);

-- The pre_auth_codes handed to operators (hashed): the authorized push names the pre_auth_code, which
-- tells which operator the authorization is for, so the push can bind the account even when the
-- operator's browser never comes back to the return URL.
CREATE TABLE wx_component_preauth (
    code_hash  TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at TIMESTAMPTZ NOT NULL
);

-- The component_access_token is kept in wx_credentials beside the accounts' tokens, keyed by the
-- component's appid, and refreshed under the same row lock: one api_component_token per expiry.
ALTER TABLE wx_credentials DROP CONSTRAINT IF EXISTS wx_credentials_kind_check;
ALTER TABLE wx_credentials ADD CONSTRAINT wx_credentials_kind_check
    CHECK (kind IN ('access_token', 'jsapi_ticket', 'component_token'));

-- +goose Down
DELETE FROM wx_credentials WHERE kind = 'component_token';
ALTER TABLE wx_credentials DROP CONSTRAINT IF EXISTS wx_credentials_kind_check;
ALTER TABLE wx_credentials ADD CONSTRAINT wx_credentials_kind_check CHECK (kind IN ('access_token', 'jsapi_ticket'));
DROP TABLE wx_component_preauth;
DROP TABLE wx_component_tickets;
ALTER TABLE wx_accounts
    DROP COLUMN mode, DROP COLUMN status, DROP COLUMN funcscope, DROP COLUMN refresh_token_enc,
    DROP COLUMN original_id, DROP COLUMN service_type, DROP COLUMN verify_type, DROP COLUMN revoked_at;
