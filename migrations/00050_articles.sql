-- +goose Up
-- Drafts and publishing (contract §17). The console keeps its own copy of every draft of the draft box
-- (WeChat's draft/*), the history of its saves, the pictures uploaded for article content
-- (media/uploadimg) and every publishing job (freepublish/*).
CREATE TABLE article_drafts (
    id           BIGSERIAL PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    media_id     TEXT NOT NULL,                        -- WeChat's media_id of the draft
    articles     JSONB NOT NULL,                       -- the articles as last saved (sanitized)
    origin       TEXT NOT NULL DEFAULT 'console' CHECK (origin IN ('console', 'wechat')),
    state        TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'published')),
    created_by   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    wx_update_time BIGINT NOT NULL DEFAULT 0          -- WeChat's update_time when last imported
);
CREATE UNIQUE INDEX article_drafts_media_key ON article_drafts (account_id, media_id);
CREATE INDEX article_drafts_list_idx ON article_drafts (account_id, updated_at DESC, id DESC);

-- Every save of a draft, oldest first: what was saved, by whom, and what the sanitizer removed.
CREATE TABLE article_draft_revisions (
    id         BIGSERIAL PRIMARY KEY,
    draft_id   BIGINT NOT NULL REFERENCES article_drafts (id) ON DELETE CASCADE,
    articles   JSONB NOT NULL,
    removed    JSONB NOT NULL DEFAULT '[]',
    action     TEXT NOT NULL CHECK (action IN ('create', 'update', 'import')),
    saved_by   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    saved_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX article_draft_revisions_draft_idx ON article_draft_revisions (draft_id, id);

-- Pictures uploaded for article content: WeChat's URL and the console's copy, so editors and previews
-- show them (WeChat's picture host refuses other sites).
CREATE TABLE article_images (
    id           BIGSERIAL PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    url          TEXT NOT NULL,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL CHECK (size = octet_length(data)),
    data         BYTEA NOT NULL,
    uploaded_by  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
ALTER TABLE article_images ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE UNIQUE INDEX article_images_url_key ON article_images (account_id, url);

-- Publishing jobs. A row is written before freepublish/submit ('submitting') so that one draft is never
-- submitted twice at once, from any process; WeChat's publish_id fills it once WeChat accepted.
CREATE TABLE article_publishes (
    id           BIGSERIAL PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    appid        TEXT NOT NULL,                        -- the account's appid, for the background poll
    draft_id     BIGINT REFERENCES article_drafts (id) ON DELETE SET NULL,
    media_id     TEXT NOT NULL,
    publish_id   TEXT,
    status       TEXT NOT NULL CHECK (status IN ('submitting', 'publishing', 'published', 'failed', 'rejected', 'deleted', 'banned')),
    wx_status    INT,                                  -- WeChat's publish_status
    article_id   TEXT NOT NULL DEFAULT '',
    urls         JSONB NOT NULL DEFAULT '[]',          -- [{idx, url}]
    fail_idx     JSONB NOT NULL DEFAULT '[]',
    title        TEXT NOT NULL DEFAULT '',             -- the first article's title, for lists
    created_by   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    checked_at   TIMESTAMPTZ,                          -- last freepublish/get
    finished_at  TIMESTAMPTZ,
    source       TEXT NOT NULL DEFAULT ''              -- what settled it: event | poll
);
CREATE UNIQUE INDEX article_publishes_publish_key ON article_publishes (account_id, publish_id) WHERE publish_id IS NOT NULL;
CREATE UNIQUE INDEX article_publishes_running_key ON article_publishes (account_id, media_id) WHERE status IN ('submitting', 'publishing');
CREATE INDEX article_publishes_list_idx ON article_publishes (account_id, id DESC);
CREATE INDEX article_publishes_article_idx ON article_publishes (account_id, article_id) WHERE article_id <> '';

-- +goose Down
DROP TABLE article_publishes;
DROP TABLE article_images;
DROP TABLE article_draft_revisions;
DROP TABLE article_drafts;
