-- +goose Up
-- The audit log (contract §14): one row per change made through the API or the pages, written by
-- audit.Record in the transaction of the change itself. Append-only: the table has no foreign keys (an
-- account's log outlives its unbinding, an operator's entries outlive the operator; appid and username are
-- copied into the row so it still reads) and a trigger refuses UPDATE, DELETE and TRUNCATE. The one way to
-- purge old entries is an operator's deliberate SQL session that sets audit.allow_purge (docs/OPERATIONS.md).
CREATE TABLE audit_entries (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL,                 -- wx_accounts.id when the entry was written (no FK: see above)
    appid       TEXT NOT NULL DEFAULT '',
    at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    user_id     BIGINT,                          -- NULL: WeChat or the console itself (component events)
    username    TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,                   -- the API name: addReply, publishMenu, bindAccount, ...
    target      TEXT NOT NULL DEFAULT '',        -- kind:id, e.g. rule:42
    changes     JSONB NOT NULL DEFAULT '{}',     -- {field: {before, after}}; a secret only as {redacted: true}
    client_addr TEXT NOT NULL DEFAULT '',
    request_id  TEXT NOT NULL DEFAULT ''
);
-- The log page and auditLog: newest first per account, then the filters.
CREATE INDEX audit_entries_account_at_idx ON audit_entries (account_id, at DESC, id DESC);
CREATE INDEX audit_entries_action_idx ON audit_entries (account_id, action, at DESC);
CREATE INDEX audit_entries_user_idx ON audit_entries (account_id, user_id, at DESC);
CREATE INDEX audit_entries_target_idx ON audit_entries (account_id, target, at DESC);

-- +goose StatementBegin
CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') AND current_setting('audit.allow_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_entries is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only();
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only();

-- +goose Down
DROP TABLE audit_entries;
DROP FUNCTION audit_entries_append_only();
