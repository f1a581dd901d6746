-- +goose Up
-- Followers and groups (contract §7), QR codes (§8), web OAuth and MSDK-style auth (§8, §9).

-- Trigram indexes make the follower search (a substring of nickname, remark or openid, any case) fast on
-- 100,000 followers. pg_trgm ships with PostgreSQL's contrib and is a trusted extension since PostgreSQL 13:
-- the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Trigrams cannot index terms of one or two characters, yet "小明" or "糖" are typical searches of Chinese
-- nicknames. So every distinct character and pair of characters of the lower-cased nickname and remark is
-- also kept in an array (grams) with a GIN index: a one- or two-character term is an exact array lookup.
-- (Openids are left out of it: a fragment that short says nothing of an openid.)
-- +goose StatementBegin
CREATE FUNCTION wx_follower_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT COALESCE(array_agg(DISTINCT g), '{}')
    FROM (SELECT substr(t, i, 1) AS g FROM generate_series(1, char_length(t)) AS i
          UNION ALL
          SELECT substr(t, i, 2) FROM generate_series(1, char_length(t) - 1) AS i) AS s
    WHERE strpos(g, E'\x1f') = 0 AND btrim(g) <> ''
$$;
-- +goose StatementEnd

-- The mirror of each account's followers, filled by a sync (cgi-bin/user/get + user/info/batchget) and kept
-- current between syncs by subscribe and unsubscribe events. A follower who left stays, with subscribed =
-- false: WeChat keeps their remark and tags, and so do we should they come back.
CREATE TABLE wx_followers (
    account_id      BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    openid          TEXT NOT NULL,
    unionid         TEXT NOT NULL DEFAULT '',
    nickname        TEXT NOT NULL DEFAULT '',
    remark          TEXT NOT NULL DEFAULT '',
    sex             SMALLINT NOT NULL DEFAULT 0,
    language        TEXT NOT NULL DEFAULT '',
    city            TEXT NOT NULL DEFAULT '',
    province        TEXT NOT NULL DEFAULT '',
    country         TEXT NOT NULL DEFAULT '',
    headimgurl      TEXT NOT NULL DEFAULT '',
    subscribed      BOOLEAN NOT NULL DEFAULT true,
    subscribe_time  BIGINT NOT NULL DEFAULT 0,      -- WeChat's subscribe_time (Unix seconds)
    subscribe_scene TEXT NOT NULL DEFAULT '',
    qr_scene        BIGINT NOT NULL DEFAULT 0,
    qr_scene_str    TEXT NOT NULL DEFAULT '',
    tagid_list      INT[] NOT NULL DEFAULT '{}',    -- WeChat's tags, in the order WeChat lists them
    blacklisted     BOOLEAN NOT NULL DEFAULT false,
    -- The "group" of the spec: 1 while blacklisted, else the first tag, else 0 (未分组).
    groupid         INT GENERATED ALWAYS AS (
                        CASE WHEN blacklisted THEN 1
                             WHEN cardinality(tagid_list) > 0 THEN tagid_list[1]
                             ELSE 0 END) STORED,
    -- What the search matches, lower-cased once at write time; the unit separator keeps a query from
    -- matching across two fields.
    search          TEXT GENERATED ALWAYS AS (lower(openid || E'\x1f' || nickname || E'\x1f' || remark)) STORED,
    grams           TEXT[] GENERATED ALWAYS AS (wx_follower_grams(lower(nickname || E'\x1f' || remark))) STORED,
    sync_gen        BIGINT NOT NULL DEFAULT 0,      -- the sync run that last saw the follower subscribed
    event_time      BIGINT NOT NULL DEFAULT 0,      -- CreateTime of the last subscribe/unsubscribe applied
    unsubscribed_at TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, openid)
);
-- Listing without a query: newest followers first.
CREATE INDEX wx_followers_list_idx ON wx_followers (account_id, subscribe_time DESC, openid) WHERE subscribed;
-- Searching: LIKE '%term%' on the lower-cased text, for terms of three characters or more; shorter terms
-- look up grams.
CREATE INDEX wx_followers_search_idx ON wx_followers USING gin (search gin_trgm_ops) WHERE subscribed;
CREATE INDEX wx_followers_grams_idx ON wx_followers USING gin (grams) WHERE subscribed;
-- Filtering by group: a tag, the blacklist (1), no group at all (0); the last two also count and list
-- without touching the table.
CREATE INDEX wx_followers_tags_idx ON wx_followers USING gin (tagid_list) WHERE subscribed;
CREATE INDEX wx_followers_blacklisted_idx ON wx_followers (account_id, subscribe_time DESC, openid)
    WHERE subscribed AND blacklisted;
CREATE INDEX wx_followers_ungrouped_idx ON wx_followers (account_id, subscribe_time DESC, openid)
    WHERE subscribed AND NOT blacklisted AND tagid_list = '{}';
-- The end of a sync: followers the run did not see are marked unsubscribed.
CREATE INDEX wx_followers_gen_idx ON wx_followers (account_id, sync_gen) WHERE subscribed;

-- One follower sync per account across every console process: a process claims the row (state running,
-- owner, heartbeat_at) and renews the heartbeat while it works; a row whose heartbeat is older than the
-- lease may be claimed by another process, which resumes from next_openid. gen numbers the runs.
CREATE TABLE wx_follower_syncs (
    account_id   BIGINT PRIMARY KEY REFERENCES wx_accounts (id) ON DELETE CASCADE,
    state        TEXT NOT NULL DEFAULT 'idle' CHECK (state IN ('idle', 'running', 'done', 'failed')),
    gen          BIGINT NOT NULL DEFAULT 0,
    done         INT NOT NULL DEFAULT 0,   -- followers stored so far in this run
    total        INT NOT NULL DEFAULT 0,   -- WeChat's total of followers
    next_openid  TEXT NOT NULL DEFAULT '', -- user/get cursor: every page before it is stored
    cursor_done  INT NOT NULL DEFAULT 0,   -- done as it was when next_openid was saved
    error        TEXT NOT NULL DEFAULT '',
    owner        TEXT NOT NULL DEFAULT '',
    heartbeat_at TIMESTAMPTZ,
    started_at   TIMESTAMPTZ,
    finished_at  TIMESTAMPTZ,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Parametric QR codes made through the console (cgi-bin/qrcode/create). Scans and subscribes are counted
-- from wx_messages (the callback's SCAN and subscribe events) by ticket, or by scene for events without one.
CREATE TABLE wx_qrcodes (
    id             BIGSERIAL PRIMARY KEY,
    account_id     BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    scene          TEXT NOT NULL,              -- as EventKey carries it: the integer in decimal, or the string
    scene_is_int   BOOLEAN NOT NULL,
    permanent      BOOLEAN NOT NULL,
    action_name    TEXT NOT NULL,              -- QR_SCENE | QR_STR_SCENE | QR_LIMIT_SCENE | QR_LIMIT_STR_SCENE
    ticket         TEXT NOT NULL,
    url            TEXT NOT NULL,              -- the QR's content, http://weixin.qq.com/q/...
    expire_seconds INT NOT NULL DEFAULT 0,     -- 0 for permanent codes
    expire_at      TIMESTAMPTZ,                -- NULL for permanent codes
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- WeChat answers the same ticket when a permanent code is asked again for the same scene.
CREATE UNIQUE INDEX wx_qrcodes_ticket_key ON wx_qrcodes (account_id, ticket);
CREATE INDEX wx_qrcodes_account_idx ON wx_qrcodes (account_id, id DESC);

-- Single use of web OAuth states and tickets: the id of each one consumed, kept until it expires anyway.
CREATE TABLE wx_webauth_used (
    id         TEXT PRIMARY KEY,               -- 'state:<id>' or 'ticket:<id>'
    account_id BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    used_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX wx_webauth_used_expires_idx ON wx_webauth_used (expires_at);

-- The web OAuth tokens of followers (sns/oauth2/access_token), sealed with secretbox, and the profile
-- sns/userinfo answered. MSDK's refresh_token keeps them current.
CREATE TABLE wx_oauth_tokens (
    account_id         BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    openid             TEXT NOT NULL,
    unionid            TEXT NOT NULL DEFAULT '',
    scope              TEXT NOT NULL DEFAULT '',
    access_token_enc   TEXT NOT NULL DEFAULT '',
    access_expires_at  TIMESTAMPTZ NOT NULL,
    refresh_token_enc  TEXT NOT NULL DEFAULT '',
    refresh_expires_at TIMESTAMPTZ NOT NULL,
    userinfo           JSONB,                  -- the last sns/userinfo answer (snsapi_userinfo only)
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, openid)
);

-- +goose Down
DROP TABLE wx_oauth_tokens;
DROP TABLE wx_webauth_used;
DROP TABLE wx_qrcodes;
DROP TABLE wx_follower_syncs;
DROP TABLE wx_followers;
DROP FUNCTION wx_follower_grams(text);
