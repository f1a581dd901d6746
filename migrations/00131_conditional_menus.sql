-- +goose Up
-- Conditional ("personalised") menus (contract §20): published with cgi-bin/menu/addconditional, which
-- answers WeChat's menuid; removed with menu/delconditional, or all at once by menu/delete. A row exists
-- only for a menu WeChat accepted.
CREATE TABLE wx_conditional_menus (
    id                   BIGSERIAL PRIMARY KEY,
    account_id           BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    menuid               TEXT NOT NULL,      -- WeChat's menuid
    menu                 JSONB NOT NULL,     -- {"button": [...]} as sent
    tag_id               INT,                -- matchrule.tag_id; NULL: any
    client_platform_type INT,                -- matchrule.client_platform_type (1 iOS, 2 Android, 3 others)
    created_by           BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX wx_conditional_menus_menuid_key ON wx_conditional_menus (account_id, menuid);

-- +goose Down
DROP TABLE wx_conditional_menus;
