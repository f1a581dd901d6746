-- +goose Up
-- Teams (contract §14): who may act on an official account, with which role. Every account has exactly one
-- owner (the partial unique index); wx_accounts.user_id stays the owner's id (kept equal by
-- transferOwnership) so the binding conflicts of §4 and §15 still read one column.
CREATE TABLE account_members (
    account_id BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'agent', 'viewer')),
    joined_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, user_id)
);
CREATE UNIQUE INDEX account_members_one_owner ON account_members (account_id) WHERE role = 'owner';
-- "my accounts": the account switcher, Scope without an appid.
CREATE INDEX account_members_user_idx ON account_members (user_id, account_id);

-- Accounts bound before teams belong to their binder.
INSERT INTO account_members (account_id, user_id, role, joined_at)
SELECT id, user_id, 'owner', created_at FROM wx_accounts;

-- Binding an account (by AppSecret or by the component's authorization) makes the binder its owner in
-- the same transaction, whichever code path inserts the row.
-- +goose StatementBegin
CREATE FUNCTION account_members_owner_on_bind() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO account_members (account_id, user_id, role) VALUES (NEW.id, NEW.user_id, 'owner');
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER wx_accounts_owner AFTER INSERT ON wx_accounts
    FOR EACH ROW EXECUTE FUNCTION account_members_owner_on_bind();

-- +goose Down
DROP TRIGGER wx_accounts_owner ON wx_accounts;
DROP FUNCTION account_members_owner_on_bind();
DROP TABLE account_members;
