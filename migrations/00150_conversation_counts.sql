-- +goose Up
-- listConversations answers an exact `total` (contract §16). Counting the account's conversations on every
-- page was most of the list's time at scale (a sequential scan of 45,000 unread or unassigned summaries per
-- page), so the counts are kept with the summaries: one row per account and assignee (0 = nobody) with how
-- many conversations it has and how many of them are unread. Statement triggers on wx_conversations keep
-- them, whoever changes a summary (the messages trigger, sends, markRead, assign, a user's deletion setting
-- assignee_id to NULL), and write a counter only when a statement changed it: a batch of messages from
-- followers whose conversations were already unread writes none.
CREATE TABLE wx_conversation_counts (
    account_id  BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    assignee_id BIGINT NOT NULL,           -- 0: unassigned; no foreign key: a deleted user's row counts 0
    total       BIGINT NOT NULL DEFAULT 0, -- conversations
    unread      BIGINT NOT NULL DEFAULT 0, -- of which unread > 0
    PRIMARY KEY (account_id, assignee_id)
);

-- +goose StatementBegin
CREATE FUNCTION wx_conversation_counts_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO wx_conversation_counts AS k (account_id, assignee_id, total, unread)
    SELECT account_id, coalesce(assignee_id, 0), count(*), count(*) FILTER (WHERE unread > 0)
    FROM new_rows GROUP BY 1, 2
    ORDER BY 1, 2 -- one lock order for every writer
    ON CONFLICT (account_id, assignee_id) DO UPDATE SET
        total = k.total + EXCLUDED.total, unread = k.unread + EXCLUDED.unread;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION wx_conversation_counts_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO wx_conversation_counts AS k (account_id, assignee_id, total, unread)
    SELECT account_id, a, sum(t), sum(u) FROM (
        SELECT account_id, coalesce(assignee_id, 0) AS a, 1 AS t, (unread > 0)::int AS u FROM new_rows
        UNION ALL
        SELECT account_id, coalesce(assignee_id, 0), -1, -(unread > 0)::int FROM old_rows
    ) d GROUP BY 1, 2 HAVING sum(t) <> 0 OR sum(u) <> 0
    ORDER BY 1, 2
    ON CONFLICT (account_id, assignee_id) DO UPDATE SET
        total = k.total + EXCLUDED.total, unread = k.unread + EXCLUDED.unread;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Deletes only update: when an account is deleted, its counters may already be gone (the same cascade),
-- and nothing must be inserted for it.
-- +goose StatementBegin
CREATE FUNCTION wx_conversation_counts_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE wx_conversation_counts k SET total = k.total - d.t, unread = k.unread - d.u
    FROM (SELECT account_id, coalesce(assignee_id, 0) AS a, count(*) AS t, count(*) FILTER (WHERE unread > 0) AS u
          FROM old_rows GROUP BY 1, 2 ORDER BY 1, 2) d
    WHERE k.account_id = d.account_id AND k.assignee_id = d.a;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER wx_conversation_counts_insert AFTER INSERT ON wx_conversations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION wx_conversation_counts_on_insert();
CREATE TRIGGER wx_conversation_counts_update AFTER UPDATE ON wx_conversations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION wx_conversation_counts_on_update();
CREATE TRIGGER wx_conversation_counts_delete AFTER DELETE ON wx_conversations
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION wx_conversation_counts_on_delete();

-- The counts of the conversations stored before this migration (the lock keeps writers out meanwhile).
LOCK TABLE wx_conversations IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO wx_conversation_counts (account_id, assignee_id, total, unread)
SELECT account_id, coalesce(assignee_id, 0), count(*), count(*) FILTER (WHERE unread > 0)
FROM wx_conversations GROUP BY 1, 2;

-- +goose Down
DROP TRIGGER wx_conversation_counts_delete ON wx_conversations;
DROP TRIGGER wx_conversation_counts_update ON wx_conversations;
DROP TRIGGER wx_conversation_counts_insert ON wx_conversations;
DROP FUNCTION wx_conversation_counts_on_delete();
DROP FUNCTION wx_conversation_counts_on_update();
DROP FUNCTION wx_conversation_counts_on_insert();
DROP TABLE wx_conversation_counts;
