-- +goose Up
-- Every file an operator uploads (contract §10): the permanent materials forwarded to WeChat, and each
-- account's logo, which stays here. The bytes are kept so the console shows a material without asking WeChat.
CREATE TABLE materials (
    id           BIGSERIAL PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('image', 'voice', 'video', 'thumb', 'logo')),
    media_id     TEXT,                        -- WeChat's media_id; NULL for the logo, which WeChat never sees
    wechat_url   TEXT NOT NULL DEFAULT '',    -- WeChat's url (images only; shown on Tencent's domains only)
    filename     TEXT NOT NULL,               -- the uploaded name, sanitised (no path, no control characters)
    title        TEXT NOT NULL DEFAULT '',    -- videos: WeChat's description.title
    description  TEXT NOT NULL DEFAULT '',    -- videos: WeChat's description.introduction
    content_type TEXT NOT NULL,               -- detected from the bytes, never taken from the client
    size         BIGINT NOT NULL CHECK (size = octet_length(data)),
    sha256       BYTEA NOT NULL CHECK (octet_length(sha256) = 32),
    data         BYTEA NOT NULL,
    uploaded_by  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((kind = 'logo') = (media_id IS NULL))
);
-- Media files are already compressed: storing them out of line without trying to compress them again saves
-- work on every insert and lets a range request read a slice of the value.
ALTER TABLE materials ALTER COLUMN data SET STORAGE EXTERNAL;

-- A media_id names one material of one account.
CREATE UNIQUE INDEX materials_media_key ON materials (account_id, media_id) WHERE media_id IS NOT NULL;
-- One logo per account; a new upload replaces it.
CREATE UNIQUE INDEX materials_logo_key ON materials (account_id) WHERE kind = 'logo';
-- The local list, newest first, of every kind or of one.
CREATE INDEX materials_list_idx ON materials (account_id, id DESC);
CREATE INDEX materials_kind_idx ON materials (account_id, kind, id DESC);

-- +goose Down
DROP TABLE materials;
