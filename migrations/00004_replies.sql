-- +goose Up
-- Automatic replies of each official account (contract §6): keyword rules, plus at most one subscribe reply
-- and one default reply per account (kind). keyword is the request as the operator typed it (trimmed);
-- keyword_key is the form rules are compared in (Latin letters lower-cased), unique per account across every
-- match mode, so deleteReply {request} always names one rule. reply is the reply's body in the API's field
-- names (internal/reply/store.go, storedReply).
CREATE TABLE reply_rules (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL DEFAULT 'keyword' CHECK (kind IN ('keyword', 'subscribe', 'default')),
    keyword     TEXT NOT NULL DEFAULT '',
    keyword_key TEXT NOT NULL DEFAULT '',
    match_mode  TEXT NOT NULL DEFAULT 'exact' CHECK (match_mode IN ('exact', 'contains', 'regex')),
    reply_type  TEXT NOT NULL CHECK (reply_type IN ('text', 'image', 'voice', 'video', 'music', 'multitext')),
    reply       JSONB NOT NULL,
    enabled     BOOLEAN NOT NULL DEFAULT true,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((kind = 'keyword') = (keyword_key <> ''))
);
CREATE UNIQUE INDEX reply_rules_keyword_key ON reply_rules (account_id, keyword_key) WHERE kind = 'keyword';
CREATE UNIQUE INDEX reply_rules_special_key ON reply_rules (account_id, kind) WHERE kind <> 'keyword';
CREATE INDEX reply_rules_account_idx ON reply_rules (account_id, id);

-- One counter per account, bumped in the transaction of every change to its rules (which also sends
-- NOTIFY reply_rules, '<account_id>'). Every console process keeps the compiled rules in memory and compares
-- this counter every half second, so a change reaches all of them even when a notification was missed.
CREATE TABLE reply_versions (
    account_id BIGINT PRIMARY KEY REFERENCES wx_accounts (id) ON DELETE CASCADE,
    version    BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE reply_versions;
DROP TABLE reply_rules;
