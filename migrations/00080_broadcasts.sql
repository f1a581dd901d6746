-- +goose Up
-- Broadcasts (contract §18): mass messages and template messages sent to many followers by a durable job.

-- Per-account settings of broadcasts; no row means the defaults (approval on).
CREATE TABLE broadcast_settings (
    account_id BIGINT PRIMARY KEY REFERENCES wx_accounts (id) ON DELETE CASCADE,
    approval   BOOLEAN NOT NULL DEFAULT true,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One broadcast. nonce makes the clientmsgid / client_msg_id of its WeChat calls unique beyond this
-- database (a reinstalled console numbers broadcasts from 1 again). owner and heartbeat_at are the lease
-- of the one process sending it; materialized says the recipients were written.
CREATE TABLE broadcasts (
    id            BIGSERIAL PRIMARY KEY,
    account_id    BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    nonce         TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('mass', 'template')),
    state         TEXT NOT NULL CHECK (state IN ('pending_approval', 'rejected', 'queued', 'sending', 'sent', 'failed', 'cancelled')),
    target        JSONB NOT NULL,
    msg_type      TEXT NOT NULL DEFAULT '',
    content       JSONB NOT NULL,
    send_ignore_reprint BOOLEAN NOT NULL DEFAULT false,
    total         INT NOT NULL DEFAULT 0,
    done          INT NOT NULL DEFAULT 0,
    sent          INT NOT NULL DEFAULT 0,
    failed        INT NOT NULL DEFAULT 0,
    filtered      INT NOT NULL DEFAULT 0,
    wx_status     TEXT NOT NULL DEFAULT '',
    error         TEXT NOT NULL DEFAULT '',
    materialized  BOOLEAN NOT NULL DEFAULT false,
    owner         TEXT NOT NULL DEFAULT '',
    heartbeat_at  TIMESTAMPTZ,
    created_by    BIGINT NOT NULL,
    approved_by   BIGINT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at    TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ
);
CREATE INDEX broadcasts_account_idx ON broadcasts (account_id, id DESC);
-- The resumer looks for broadcasts whose sender stopped renewing its lease.
CREATE INDEX broadcasts_active_idx ON broadcasts (heartbeat_at) WHERE state IN ('queued', 'sending');

-- The WeChat calls of a mass broadcast: one mass/sendall (chunk 0) or one mass/send per chunk of at most
-- 10,000 openids. msg_id is WeChat's, and the counts come from MASSSENDJOBFINISH.
CREATE TABLE broadcast_chunks (
    broadcast_id BIGINT NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    idx          INT NOT NULL,
    size         INT NOT NULL DEFAULT 0,
    state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    msg_id       BIGINT,
    msg_data_id  BIGINT,
    wx_status    TEXT NOT NULL DEFAULT '',
    total        INT NOT NULL DEFAULT 0,
    filtered     INT NOT NULL DEFAULT 0,
    sent         INT NOT NULL DEFAULT 0,
    errors       INT NOT NULL DEFAULT 0,
    reason       TEXT NOT NULL DEFAULT '',
    finished     BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (broadcast_id, idx)
);
CREATE INDEX broadcast_chunks_msg_idx ON broadcast_chunks (msg_id) WHERE msg_id IS NOT NULL;

-- One row per follower a broadcast addresses (template broadcasts, and mass broadcasts to openids), in
-- sending order (seq). status: pending, sent (WeChat accepted), delivered (job finished: success), failed
-- (reason: WeChat's errcode/errmsg or the event's status).
CREATE TABLE broadcast_recipients (
    broadcast_id BIGINT NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    seq          INT NOT NULL,
    openid       TEXT NOT NULL,
    chunk        INT NOT NULL DEFAULT 0,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'delivered', 'failed')),
    msgid        BIGINT,
    reason       TEXT NOT NULL DEFAULT '',
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (broadcast_id, seq)
);
-- The status lists and the sender's next batch (pending, in order).
CREATE INDEX broadcast_recipients_status_idx ON broadcast_recipients (broadcast_id, status, seq);
-- TEMPLATESENDJOBFINISH names only the msgid.
CREATE INDEX broadcast_recipients_msgid_idx ON broadcast_recipients (msgid) WHERE msgid IS NOT NULL;

-- WeChat's JOBFINISH events as they arrive (stored first, then applied: an event may overtake the commit
-- that records its msg_id). Counts are MASSSENDJOBFINISH's.
CREATE TABLE broadcast_events (
    account_id BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    event      TEXT NOT NULL,
    msg_id     BIGINT NOT NULL,
    status     TEXT NOT NULL DEFAULT '',
    total      INT NOT NULL DEFAULT 0,
    filtered   INT NOT NULL DEFAULT 0,
    sent       INT NOT NULL DEFAULT 0,
    errors     INT NOT NULL DEFAULT 0,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, msg_id, event)
);

-- The account's private templates as last synced (get_all_private_template), with the fields of their
-- {{name.DATA}} placeholders.
CREATE TABLE broadcast_templates (
    account_id  BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    template_id TEXT NOT NULL,
    title       TEXT NOT NULL DEFAULT '',
    content     TEXT NOT NULL DEFAULT '',
    example     TEXT NOT NULL DEFAULT '',
    fields      TEXT[] NOT NULL DEFAULT '{}',
    synced_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, template_id)
);

-- +goose Down
DROP TABLE broadcast_templates;
DROP TABLE broadcast_events;
DROP TABLE broadcast_recipients;
DROP TABLE broadcast_chunks;
DROP TABLE broadcasts;
DROP TABLE broadcast_settings;
