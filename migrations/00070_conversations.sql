-- +goose Up
-- Conversations (contract §16): one per follower of an account, kept up to date by the database itself
-- from every row the callback's write-behind store inserts into wx_messages (a statement trigger, so a
-- batch of 128 messages costs one upsert per follower, not per message), and by the conversations service
-- for what operators send. The same trigger appends to the short event log the live stream
-- (/apis/wxplatform/events) reads, and every event is announced with NOTIFY wx_live on commit, so every
-- console process hears of every message whichever process stored it.

-- What operators sent through message/custom/send. Ids come from wx_messages' sequence, so one id names
-- one timeline item across both tables (getConversation's `before`).
CREATE TABLE wx_cs_messages (
    id          BIGINT PRIMARY KEY DEFAULT nextval('wx_messages_id_seq'),
    account_id  BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    openid      TEXT NOT NULL,
    msg_type    TEXT NOT NULL,                -- text image voice video music multitext msgmenu
    body        JSONB NOT NULL,               -- the reply object as the API received it (normalised)
    content     TEXT NOT NULL DEFAULT '',     -- what the list shows: the text, a title, a menu's head
    operator_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    operator    TEXT NOT NULL DEFAULT '',     -- the operator's username when it was sent
    status      TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
    client_id   TEXT,                         -- the sender's idempotency key (clientMsgId): one message per key
    wx_errcode  INT,                          -- WeChat's answer (0 when sent)
    wx_errmsg   TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX wx_cs_messages_timeline_idx ON wx_cs_messages (account_id, openid, created_at DESC, id DESC);
CREATE UNIQUE INDEX wx_cs_messages_client_key ON wx_cs_messages (account_id, client_id) WHERE client_id IS NOT NULL;

-- One row per follower who ever wrote, followed, scanned or clicked (or was written to).
CREATE TABLE wx_conversations (
    account_id  BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    openid      TEXT NOT NULL,
    last_id     BIGINT NOT NULL,              -- the newest timeline item (wx_messages or wx_cs_messages id)
    last_at     TIMESTAMPTZ NOT NULL,
    last_dir    TEXT NOT NULL,                -- in | out
    last_type   TEXT NOT NULL,                -- text image … event
    last_text   TEXT NOT NULL DEFAULT '',     -- a preview (content, or the event's name)
    unread      INT NOT NULL DEFAULT 0,       -- follower messages since an operator last read it
    assignee_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    -- WeChat's customer-service window: a follower message opens 5 messages for 48 h; a menu click, a
    -- scancode event, a follow or a QR scan opens 3 for 1 minute. Sends spend both; WeChat's 45015/45047
    -- close them.
    msg_until   TIMESTAMPTZ,
    msg_left    INT NOT NULL DEFAULT 0,
    evt_until   TIMESTAMPTZ,
    evt_left    INT NOT NULL DEFAULT 0,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, openid)
);
CREATE INDEX wx_conversations_list_idx ON wx_conversations (account_id, last_at DESC, openid);
CREATE INDEX wx_conversations_unread_idx ON wx_conversations (account_id, last_at DESC, openid) WHERE unread > 0;
CREATE INDEX wx_conversations_assignee_idx ON wx_conversations (account_id, assignee_id, last_at DESC, openid);
-- The list's search by openid (nicknames and remarks are searched in the follower mirror's own index).
CREATE INDEX wx_conversations_openid_trgm_idx ON wx_conversations USING gin (lower(openid) gin_trgm_ops);

-- The live stream's log: kept about 10 minutes so a client reconnecting with Last-Event-ID loses nothing
-- of the last 5. ref_id names the message (in or out) of a `message` event.
CREATE TABLE wx_live_events (
    id         BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('message', 'conversation')),
    openid     TEXT NOT NULL,
    ref_id     BIGINT,
    action     TEXT NOT NULL DEFAULT '',      -- conversation events: read assigned
    at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX wx_live_events_account_idx ON wx_live_events (account_id, id);
CREATE INDEX wx_live_events_at_idx ON wx_live_events (at);

-- +goose StatementBegin
CREATE FUNCTION wx_live_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('wx_live', NEW.id::text);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER wx_live_events_notify AFTER INSERT ON wx_live_events
    FOR EACH ROW EXECUTE FUNCTION wx_live_events_notify();

-- The events that belong in a conversation: messages, and what a follower does (not LOCATION reports,
-- nor the job reports WeChat sends about broadcasts).
-- +goose StatementBegin
CREATE FUNCTION wx_conversation_event(msg_type text, event text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT msg_type <> 'event' OR event NOT IN ('LOCATION', 'MASSSENDJOBFINISH', 'TEMPLATESENDJOBFINISH',
        'PUBLISHJOBFINISH', 'FREEPUBLISHJOBFINISH', 'VIEW', 'view_miniprogram')
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION wx_conversations_on_messages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH rows AS (
        SELECT * FROM new_rows WHERE wx_conversation_event(msg_type, event)
    ), g AS (
        SELECT account_id, from_user,
               count(*) FILTER (WHERE msg_type <> 'event') AS n_msgs,
               max(received_at) FILTER (WHERE msg_type <> 'event') AS msg_at,
               max(received_at) FILTER (WHERE msg_type = 'event' AND event IN
                   ('subscribe', 'SCAN', 'CLICK', 'scancode_push', 'scancode_waitmsg')) AS evt_at
        FROM rows GROUP BY account_id, from_user
    ), l AS (
        SELECT DISTINCT ON (account_id, from_user) account_id, from_user, id, received_at, msg_type, event, content
        FROM rows ORDER BY account_id, from_user, received_at DESC, id DESC
    )
    INSERT INTO wx_conversations AS c (account_id, openid, last_id, last_at, last_dir, last_type, last_text,
        unread, msg_until, msg_left, evt_until, evt_left)
    SELECT l.account_id, l.from_user, l.id, l.received_at, 'in', l.msg_type,
           CASE WHEN l.msg_type = 'event' THEN l.event ELSE left(l.content, 200) END,
           g.n_msgs,
           g.msg_at + interval '48 hours', CASE WHEN g.msg_at IS NULL THEN 0 ELSE 5 END,
           g.evt_at + interval '1 minute', CASE WHEN g.evt_at IS NULL THEN 0 ELSE 3 END
    FROM l JOIN g USING (account_id, from_user)
    ORDER BY l.account_id, l.from_user -- one lock order for every batch: no deadlocks between writers
    ON CONFLICT (account_id, openid) DO UPDATE SET
        last_id   = CASE WHEN EXCLUDED.last_at >= c.last_at THEN EXCLUDED.last_id ELSE c.last_id END,
        last_dir  = CASE WHEN EXCLUDED.last_at >= c.last_at THEN EXCLUDED.last_dir ELSE c.last_dir END,
        last_type = CASE WHEN EXCLUDED.last_at >= c.last_at THEN EXCLUDED.last_type ELSE c.last_type END,
        last_text = CASE WHEN EXCLUDED.last_at >= c.last_at THEN EXCLUDED.last_text ELSE c.last_text END,
        last_at   = greatest(c.last_at, EXCLUDED.last_at),
        unread    = c.unread + EXCLUDED.unread,
        msg_left  = CASE WHEN EXCLUDED.msg_until > coalesce(c.msg_until, '-infinity') THEN 5 ELSE c.msg_left END,
        msg_until = CASE WHEN EXCLUDED.msg_until > coalesce(c.msg_until, '-infinity') THEN EXCLUDED.msg_until ELSE c.msg_until END,
        evt_left  = CASE WHEN EXCLUDED.evt_until > coalesce(c.evt_until, '-infinity') THEN 3 ELSE c.evt_left END,
        evt_until = CASE WHEN EXCLUDED.evt_until > coalesce(c.evt_until, '-infinity') THEN EXCLUDED.evt_until ELSE c.evt_until END,
        updated_at = now();

    INSERT INTO wx_live_events (account_id, kind, openid, ref_id, at)
    SELECT account_id, 'message', from_user, id, received_at FROM new_rows
    WHERE wx_conversation_event(msg_type, event) ORDER BY id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER wx_messages_conversations AFTER INSERT ON wx_messages
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION wx_conversations_on_messages();

-- Conversations for the messages stored before this migration.
INSERT INTO wx_conversations (account_id, openid, last_id, last_at, last_dir, last_type, last_text, unread)
SELECT DISTINCT ON (account_id, from_user) account_id, from_user, id, received_at, 'in', msg_type,
       CASE WHEN msg_type = 'event' THEN event ELSE left(content, 200) END, 0
FROM wx_messages WHERE wx_conversation_event(msg_type, event)
ORDER BY account_id, from_user, received_at DESC, id DESC;

-- Quick replies: canned answers an operator picks in the composer.
CREATE TABLE wx_quick_replies (
    id         BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    msg_type   TEXT NOT NULL,
    body       JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX wx_quick_replies_account_idx ON wx_quick_replies (account_id, id);

-- +goose Down
DROP TABLE wx_quick_replies;
DROP TRIGGER wx_messages_conversations ON wx_messages;
DROP FUNCTION wx_conversations_on_messages();
DROP FUNCTION wx_conversation_event(text, text);
DROP TABLE wx_live_events;
DROP FUNCTION wx_live_events_notify();
DROP TABLE wx_conversations;
DROP TABLE wx_cs_messages;
