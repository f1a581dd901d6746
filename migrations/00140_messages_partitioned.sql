-- +goose Up
-- wx_messages partitioned by month (issue 14), so a log that grows for years stays as fast as a new one and
-- old months leave by DROP (MESSAGE_RETENTION) instead of a DELETE that bloats the table.
--
-- The partition key is create_time, WeChat's CreateTime (Unix seconds), not received_at: a unique index on
-- a partitioned table must contain the partition key, and only a value carried by the message itself puts
-- every retry of a message in the same partition as its first delivery (a retry 5 minutes later may be
-- received in the next month; its CreateTime is the first delivery's). So deduplication stays exact across
-- month boundaries: (account_id, msg_id, create_time) for messages, (account_id, from_user, create_time,
-- event) for events, which were the keys already. Months are UTC months. A CreateTime outside every
-- partition (a garbled clock) lands in wx_messages_default.
--
-- Existing rows, ids, indexes and triggers are carried over: the statement triggers (the conversations'
-- summary of 00070, and any other AFTER trigger added since) are re-created on the new table from their
-- own definitions.
ALTER TABLE wx_messages RENAME TO wx_messages_unpartitioned;
ALTER TABLE wx_messages_unpartitioned RENAME CONSTRAINT wx_messages_pkey TO wx_messages_unpartitioned_pkey;
ALTER INDEX wx_messages_msg_key RENAME TO wx_messages_unpartitioned_msg_key;
ALTER INDEX wx_messages_event_key RENAME TO wx_messages_unpartitioned_event_key;
ALTER INDEX wx_messages_inbox_idx RENAME TO wx_messages_unpartitioned_inbox_idx;
ALTER INDEX wx_messages_follower_idx RENAME TO wx_messages_unpartitioned_follower_idx;
ALTER INDEX wx_messages_event_idx RENAME TO wx_messages_unpartitioned_event_idx;
ALTER INDEX wx_messages_ticket_idx RENAME TO wx_messages_unpartitioned_ticket_idx;
-- The sequence (which wx_cs_messages shares, 00070) outlives the old table.
ALTER SEQUENCE wx_messages_id_seq OWNED BY NONE;

CREATE TABLE wx_messages (
    id           BIGINT NOT NULL DEFAULT nextval('wx_messages_id_seq'),
    account_id   BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    msg_id       BIGINT,
    from_user    TEXT NOT NULL,
    create_time  BIGINT NOT NULL,
    msg_type     TEXT NOT NULL,
    event        TEXT NOT NULL DEFAULT '',
    event_key    TEXT NOT NULL DEFAULT '',
    ticket       TEXT NOT NULL DEFAULT '',
    content      TEXT NOT NULL DEFAULT '',
    raw_xml      TEXT NOT NULL DEFAULT '',
    rule_id      BIGINT,
    rule_keyword TEXT,
    rule_kind    TEXT,
    reply_xml    TEXT,
    received_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (id, create_time)
) PARTITION BY RANGE (create_time);
ALTER SEQUENCE wx_messages_id_seq OWNED BY wx_messages.id;
CREATE TABLE wx_messages_default PARTITION OF wx_messages DEFAULT;

-- wx_messages_ensure_partitions creates the monthly partitions from the month of `from_time` through the
-- month of `through_time` (Unix seconds), those missing; it answers how many it created. A month whose rows
-- already sit in the default partition is moved out of it.
-- +goose StatementBegin
CREATE FUNCTION wx_messages_ensure_partitions(from_time bigint, through_time bigint) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    m date := date_trunc('month', to_timestamp(from_time) AT TIME ZONE 'UTC')::date;
    last date := date_trunc('month', to_timestamp(through_time) AT TIME ZONE 'UTC')::date;
    lo bigint;
    hi bigint;
    name text;
    made int := 0;
BEGIN
    WHILE m <= last LOOP
        name := 'wx_messages_p' || to_char(m, 'YYYYMM');
        lo := extract(epoch FROM m::timestamp AT TIME ZONE 'UTC')::bigint;
        hi := extract(epoch FROM (m + interval '1 month')::timestamp AT TIME ZONE 'UTC')::bigint;
        IF to_regclass(name) IS NULL THEN
            IF EXISTS (SELECT 1 FROM wx_messages_default WHERE create_time >= lo AND create_time < hi) THEN
                EXECUTE format('CREATE TABLE %I (LIKE wx_messages INCLUDING DEFAULTS)', name);
                EXECUTE format('WITH moved AS (DELETE FROM wx_messages_default WHERE create_time >= %s AND create_time < %s RETURNING *)
                    INSERT INTO %I SELECT * FROM moved', lo, hi, name);
                EXECUTE format('ALTER TABLE wx_messages ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', name, lo, hi);
            ELSE
                EXECUTE format('CREATE TABLE %I PARTITION OF wx_messages FOR VALUES FROM (%s) TO (%s)', name, lo, hi);
            END IF;
            made := made + 1;
        END IF;
        m := (m + interval '1 month')::date;
    END LOOP;
    RETURN made;
END
$$;
-- +goose StatementEnd

-- wx_messages_drop_partitions drops the monthly partitions whose every CreateTime is before `before` (Unix
-- seconds) and answers their names.
-- +goose StatementBegin
CREATE FUNCTION wx_messages_drop_partitions(before bigint) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    p record;
BEGIN
    FOR p IN
        SELECT c.relname AS name,
               (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''?(-?\d+)''?\)'))[1]::bigint AS hi
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'wx_messages'::regclass AND c.relname ~ '^wx_messages_p\d{6}$'
        ORDER BY c.relname
    LOOP
        IF p.hi IS NOT NULL AND p.hi <= before THEN
            EXECUTE format('DROP TABLE %I', p.name);
            RETURN NEXT p.name;
        END IF;
    END LOOP;
END
$$;
-- +goose StatementEnd

-- Partitions for the rows there are (their last five years at most; older ones stay in the default
-- partition), and three months ahead.
SELECT wx_messages_ensure_partitions(GREATEST(
    COALESCE((SELECT min(create_time) FROM wx_messages_unpartitioned), extract(epoch FROM now())::bigint),
    extract(epoch FROM now() - interval '5 years')::bigint), extract(epoch FROM now() + interval '3 months')::bigint);

-- The rows, with their ids; no trigger exists yet on the new table, so the conversations are not counted twice.
INSERT INTO wx_messages SELECT id, account_id, msg_id, from_user, create_time, msg_type, event, event_key, ticket,
    content, raw_xml, rule_id, rule_keyword, rule_kind, reply_xml, received_at FROM wx_messages_unpartitioned;

-- Exactly once (see above), and the readers' indexes: the inbox (an account's newest, a follower's newest,
-- the conversations' timeline), the QR statistics (events by scene, by ticket). Each is one index per
-- partition, so a month's indexes stay the size of a month.
CREATE UNIQUE INDEX wx_messages_msg_key ON wx_messages (account_id, msg_id, create_time) WHERE msg_id IS NOT NULL;
CREATE UNIQUE INDEX wx_messages_event_key ON wx_messages (account_id, from_user, create_time, event) WHERE msg_id IS NULL;
CREATE INDEX wx_messages_inbox_idx ON wx_messages (account_id, received_at DESC, id DESC);
CREATE INDEX wx_messages_follower_idx ON wx_messages (account_id, from_user, received_at DESC, id DESC);
CREATE INDEX wx_messages_event_idx ON wx_messages (account_id, event, event_key) WHERE event <> '';
CREATE INDEX wx_messages_ticket_idx ON wx_messages (account_id, ticket, event) WHERE ticket <> '';

-- Other indexes added to the old table since 00005 (none of the above), then its triggers.
-- +goose StatementBegin
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT c.relname AS name,
               replace(pg_get_indexdef(i.indexrelid), ' ON public.wx_messages_unpartitioned ', ' ON public.wx_messages ') AS def
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = 'wx_messages_unpartitioned'::regclass AND NOT i.indisprimary
          AND c.relname NOT LIKE 'wx_messages_unpartitioned_%'
    LOOP
        EXECUTE format('ALTER INDEX %I RENAME TO %I', r.name, left('old_' || r.name, 63));
        EXECUTE r.def;
    END LOOP;
    FOR r IN
        SELECT replace(pg_get_triggerdef(t.oid), ' ON public.wx_messages_unpartitioned ', ' ON public.wx_messages ') AS def
        FROM pg_trigger t WHERE t.tgrelid = 'wx_messages_unpartitioned'::regclass AND NOT t.tgisinternal
    LOOP
        EXECUTE r.def;
    END LOOP;
END
$$;
-- +goose StatementEnd

DROP TABLE wx_messages_unpartitioned;

-- +goose Down
ALTER TABLE wx_messages RENAME TO wx_messages_partitioned;
ALTER SEQUENCE wx_messages_id_seq OWNED BY NONE;
CREATE TABLE wx_messages (
    id           BIGINT PRIMARY KEY DEFAULT nextval('wx_messages_id_seq'),
    account_id   BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    msg_id       BIGINT,
    from_user    TEXT NOT NULL,
    create_time  BIGINT NOT NULL,
    msg_type     TEXT NOT NULL,
    event        TEXT NOT NULL DEFAULT '',
    event_key    TEXT NOT NULL DEFAULT '',
    ticket       TEXT NOT NULL DEFAULT '',
    content      TEXT NOT NULL DEFAULT '',
    raw_xml      TEXT NOT NULL DEFAULT '',
    rule_id      BIGINT,
    rule_keyword TEXT,
    rule_kind    TEXT,
    reply_xml    TEXT,
    received_at  TIMESTAMPTZ NOT NULL
);
ALTER SEQUENCE wx_messages_id_seq OWNED BY wx_messages.id;
INSERT INTO wx_messages SELECT id, account_id, msg_id, from_user, create_time, msg_type, event, event_key, ticket,
    content, raw_xml, rule_id, rule_keyword, rule_kind, reply_xml, received_at FROM wx_messages_partitioned;
-- +goose StatementBegin
DO $$
DECLARE
    d text;
BEGIN
    FOR d IN
        SELECT replace(pg_get_triggerdef(t.oid), ' ON public.wx_messages_partitioned ', ' ON public.wx_messages ')
        FROM pg_trigger t WHERE t.tgrelid = 'wx_messages_partitioned'::regclass AND NOT t.tgisinternal
    LOOP
        EXECUTE d;
    END LOOP;
END
$$;
-- +goose StatementEnd
DROP TABLE wx_messages_partitioned;
DROP FUNCTION wx_messages_drop_partitions(bigint);
DROP FUNCTION wx_messages_ensure_partitions(bigint, bigint);
CREATE UNIQUE INDEX wx_messages_msg_key ON wx_messages (account_id, msg_id) WHERE msg_id IS NOT NULL;
CREATE UNIQUE INDEX wx_messages_event_key ON wx_messages (account_id, from_user, create_time, event) WHERE msg_id IS NULL;
CREATE INDEX wx_messages_inbox_idx ON wx_messages (account_id, received_at DESC, id DESC);
CREATE INDEX wx_messages_follower_idx ON wx_messages (account_id, from_user, received_at DESC, id DESC);
CREATE INDEX wx_messages_event_idx ON wx_messages (account_id, event, event_key) WHERE event <> '';
CREATE INDEX wx_messages_ticket_idx ON wx_messages (account_id, ticket, event) WHERE ticket <> '';
