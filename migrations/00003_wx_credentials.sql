-- +goose Up
-- WeChat's access_token and jsapi_ticket of each official account, shared by every console process: WeChat
-- invalidates the previous access_token when a new one is fetched, so processes refreshing on their own
-- would keep breaking each other. A refresh locks the row (SELECT ... FOR UPDATE) and reads it again, so
-- one refresh per expiry happens across all processes. The value is sealed with AES-GCM under SECRET_KEY
-- (internal/secretbox): a dump of this table cannot call WeChat.
-- No foreign key to wx_accounts: credentials are checked, and the token kept, before the account row is
-- written; unbinding deletes the rows (wxclient.Forget).
CREATE TABLE wx_credentials (
    appid         TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('access_token', 'jsapi_ticket')),
    value_enc     TEXT NOT NULL DEFAULT '',
    -- expires_at is WeChat's expiry; refresh_at (~80 % of the lifetime) is when a process fetches anew.
    expires_at    TIMESTAMPTZ NOT NULL DEFAULT 'epoch',
    refresh_at    TIMESTAMPTZ NOT NULL DEFAULT 'epoch',
    fetched_at    TIMESTAMPTZ,
    refreshes     BIGINT NOT NULL DEFAULT 0,
    -- The last failure of a refresh, as the operator should read it (account health).
    last_error    TEXT NOT NULL DEFAULT '',
    last_error_at TIMESTAMPTZ,
    PRIMARY KEY (appid, kind)
);

-- +goose Down
DROP TABLE wx_credentials;
