-- +goose Up
-- WeChat's statistics (contract §19), pulled from the six datacube endpoints and kept for good: WeChat
-- answers only a few days at a time. Each table keeps WeChat's field names; a day's rows are replaced as a
-- whole when the day is pulled again, and rows equal to what is stored are left untouched.

-- datacube/getusersummary: follows and unfollows per day and source (a day without changes has no row).
CREATE TABLE wx_stats_user_summary (
    account_id  BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    ref_date    DATE NOT NULL,
    user_source INT NOT NULL,
    new_user    INT NOT NULL,
    cancel_user INT NOT NULL,
    PRIMARY KEY (account_id, ref_date, user_source)
);

-- datacube/getusercumulate: followers at the end of the day.
CREATE TABLE wx_stats_user_cumulate (
    account_id    BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    ref_date      DATE NOT NULL,
    cumulate_user INT NOT NULL,
    PRIMARY KEY (account_id, ref_date)
);

-- datacube/getupstreammsg: users who wrote and their messages, per day and message type.
CREATE TABLE wx_stats_upstream_msg (
    account_id BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    ref_date   DATE NOT NULL,
    msg_type   INT NOT NULL,
    msg_user   INT NOT NULL,
    msg_count  INT NOT NULL,
    PRIMARY KEY (account_id, ref_date, msg_type)
);

-- datacube/getinterfacesummary: WeChat's calls to the callback, failures, total and longest time (ms).
CREATE TABLE wx_stats_interface_summary (
    account_id      BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    ref_date        DATE NOT NULL,
    callback_count  INT NOT NULL,
    fail_count      INT NOT NULL,
    total_time_cost BIGINT NOT NULL,
    max_time_cost   INT NOT NULL,
    PRIMARY KEY (account_id, ref_date)
);

-- datacube/getarticleread: each published article read on the day; detail is WeChat's object as sent.
CREATE TABLE wx_stats_article_read (
    account_id BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    ref_date   DATE NOT NULL,
    msgid      TEXT NOT NULL,
    read_user  INT NOT NULL,
    detail     JSONB NOT NULL,
    PRIMARY KEY (account_id, ref_date, msgid)
);

-- datacube/getbizsummary: the day's overview of published content; detail is WeChat's object as sent.
CREATE TABLE wx_stats_biz_summary (
    account_id    BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    ref_date      DATE NOT NULL,
    read_user     INT NOT NULL,
    share_user    INT NOT NULL,
    zaikan_user   INT NOT NULL,
    like_user     INT NOT NULL,
    comment_count INT NOT NULL,
    detail        JSONB NOT NULL,
    PRIMARY KEY (account_id, ref_date)
);

-- What the pull knows of each account, endpoint and day: whether WeChat answered (state ok) or not (failed,
-- with its errcode), and whether the answer is final (settled). A settled day is not asked again unless
-- syncStats names it; a failed or unsettled one is asked by the next pull.
CREATE TABLE wx_stats_days (
    account_id BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    endpoint   TEXT NOT NULL,
    ref_date   DATE NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('ok', 'failed')),
    settled    BOOLEAN NOT NULL,
    rows       INT NOT NULL DEFAULT 0,
    attempts   INT NOT NULL DEFAULT 1,
    errcode    INT NOT NULL DEFAULT 0,
    error      TEXT NOT NULL DEFAULT '',
    fetched_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, endpoint, ref_date)
);

-- Accounts whose 180-day backfill was queued: bound before this feature or since, each gets one.
CREATE TABLE wx_stats_backfills (
    account_id BIGINT PRIMARY KEY REFERENCES wx_accounts (id) ON DELETE CASCADE,
    queued_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE wx_stats_backfills;
DROP TABLE wx_stats_days;
DROP TABLE wx_stats_biz_summary;
DROP TABLE wx_stats_article_read;
DROP TABLE wx_stats_interface_summary;
DROP TABLE wx_stats_upstream_msg;
DROP TABLE wx_stats_user_cumulate;
DROP TABLE wx_stats_user_summary;
