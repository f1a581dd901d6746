-- +goose Up
-- Official accounts bound by operators. The AppSecret, callback token, EncodingAESKey and MSDK key are sealed
-- with AES-GCM under SECRET_KEY (internal/secretbox): a dump of this table cannot call WeChat.
CREATE TABLE wx_accounts (
    id           BIGSERIAL PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    appid        TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    secret_enc   TEXT NOT NULL,
    token_enc    TEXT NOT NULL,
    aes_key_enc  TEXT NOT NULL DEFAULT '',
    msdk_key_enc TEXT NOT NULL,
    js_domains   TEXT[] NOT NULL DEFAULT '{}',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- The callback URL is /wxplatform/callback/{appid}: one binding per appid across the console.
CREATE UNIQUE INDEX wx_accounts_appid_key ON wx_accounts (appid);
CREATE INDEX wx_accounts_user_idx ON wx_accounts (user_id, id);

-- +goose Down
DROP TABLE wx_accounts;
