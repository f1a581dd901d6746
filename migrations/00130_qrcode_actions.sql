-- +goose Up
-- QR codes with actions (contract §20): the tags a code puts on whoever scans it or follows through it, and
-- the reply it answers with (instead of the subscribe and default replies). actions_version orders the
-- changes, so each console process keeps an in-memory snapshot of the codes with actions for the callback's
-- hot path and loads only what changed since its last look (LISTEN wx_qrcode_actions, and polling).
CREATE SEQUENCE wx_qrcode_actions_seq;
ALTER TABLE wx_qrcodes
    ADD COLUMN tag_ids         INT[] NOT NULL DEFAULT '{}',
    ADD COLUMN reply_type      TEXT,            -- text image voice video music multitext; NULL: no reply
    ADD COLUMN reply           JSONB,           -- the reply's typed content (reply.Content)
    ADD COLUMN actions_version BIGINT NOT NULL DEFAULT 0;  -- 0: no actions
CREATE INDEX wx_qrcodes_actions_idx ON wx_qrcodes (actions_version) WHERE actions_version > 0;

-- +goose Down
DROP INDEX wx_qrcodes_actions_idx;
ALTER TABLE wx_qrcodes DROP COLUMN actions_version, DROP COLUMN reply, DROP COLUMN reply_type, DROP COLUMN tag_ids;
DROP SEQUENCE wx_qrcode_actions_seq;
