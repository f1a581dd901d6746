-- +goose Up
-- Every message and event WeChat delivers to /wxplatform/callback/{appid}, stored once, with the answer the
-- console gave it: the inbox of contract §5, and the source of QR scan statistics (§8).
--
-- Exactly once: a normal message is identified by its MsgId, an event by FromUserName + CreateTime + Event
-- (WeChat's own deduplication rule). Both unique indexes are partial on msg_id, so the callback inserts with
-- INSERT … ON CONFLICT DO NOTHING and a retry, from any process, finds the first answer in reply_xml.
CREATE TABLE wx_messages (
    id           BIGSERIAL PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    msg_id       BIGINT,                      -- WeChat's MsgId; NULL for events
    from_user    TEXT NOT NULL,               -- the follower's OpenID
    create_time  BIGINT NOT NULL,             -- WeChat's CreateTime (Unix seconds)
    msg_type     TEXT NOT NULL,               -- text image voice video shortvideo location link event …
    event        TEXT NOT NULL DEFAULT '',    -- subscribe unsubscribe SCAN CLICK … ('' for messages)
    event_key    TEXT NOT NULL DEFAULT '',    -- qrscene_<scene> on a QR subscribe, <scene> on SCAN, a menu key
    ticket       TEXT NOT NULL DEFAULT '',    -- the QR ticket of subscribe/SCAN events
    content      TEXT NOT NULL DEFAULT '',    -- the text, a voice's recognition, a location's label, a link's title
    raw_xml      TEXT NOT NULL DEFAULT '',    -- the message as WeChat sent it (decrypted in safe mode)
    rule_id      BIGINT,                      -- the keyword rule that answered; no foreign key: rules come and go
    rule_keyword TEXT,                        -- its keyword ('' for the subscribe and default replies)
    rule_kind    TEXT,                        -- keyword subscribe default click
    reply_xml    TEXT,                        -- the passive reply before encryption; NULL when the answer was "success"
    received_at  TIMESTAMPTZ NOT NULL         -- when the console first received it
);

CREATE UNIQUE INDEX wx_messages_msg_key ON wx_messages (account_id, msg_id) WHERE msg_id IS NOT NULL;
CREATE UNIQUE INDEX wx_messages_event_key ON wx_messages (account_id, from_user, create_time, event) WHERE msg_id IS NULL;

-- The inbox, newest first, for an account and for one follower.
CREATE INDEX wx_messages_inbox_idx ON wx_messages (account_id, received_at DESC, id DESC);
CREATE INDEX wx_messages_follower_idx ON wx_messages (account_id, from_user, received_at DESC, id DESC);

-- QR statistics: subscribes with EventKey qrscene_<scene> and SCAN events with <scene>, per ticket or scene.
CREATE INDEX wx_messages_event_idx ON wx_messages (account_id, event, event_key) WHERE event <> '';
CREATE INDEX wx_messages_ticket_idx ON wx_messages (account_id, ticket, event) WHERE ticket <> '';

-- +goose Down
DROP TABLE wx_messages;
