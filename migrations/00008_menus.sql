-- +goose Up
-- Custom menus (contract §13): per account, the draft the operator edits and the menu last published to
-- WeChat (or imported from it), both in WeChat's menu/create JSON; and the history of every change.

CREATE TABLE wx_menus (
    account_id       BIGINT PRIMARY KEY REFERENCES wx_accounts (id) ON DELETE CASCADE,
    draft            JSONB,          -- NULL: no draft yet
    draft_updated_at TIMESTAMPTZ,
    draft_updated_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    published        JSONB,          -- what WeChat shows, as far as the console knows; NULL after a delete
    published_at     TIMESTAMPTZ,
    published_by     BIGINT REFERENCES users (id) ON DELETE SET NULL,
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Who changed what and when. menu is the menu saved, published or imported; for a delete, the menu that
-- was live before (NULL when the console did not know it). user_id is NULL once the operator is deleted.
CREATE TABLE wx_menu_history (
    id         BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    action     TEXT NOT NULL CHECK (action IN ('save', 'publish', 'delete', 'import')),
    user_id    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    menu       JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX wx_menu_history_account_idx ON wx_menu_history (account_id, id DESC);

-- +goose Down
DROP TABLE wx_menu_history;
DROP TABLE wx_menus;
