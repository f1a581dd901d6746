-- +goose Up
-- Hit counters of the rules (listReply's hits and lastHitAt, contract §20), counted where a message is stored
-- exactly once: a statement-level trigger on wx_messages reads the rows the INSERT really added (its transition
-- table holds none of those ON CONFLICT DO NOTHING skipped, so a retried message is not counted twice) and adds
-- them up per rule, one row per rule and statement whatever the batch size.
--
-- The counters have a table of their own rather than columns of reply_rules: the callback's hot path then
-- never rewrites a rule's row (with its JSONB replies) nor waits on an operator editing it. No foreign key: a
-- rule deleted while its message was in flight must not make the message's INSERT fail; deleteReply removes
-- the counter with the rule.
CREATE TABLE reply_rule_hits (
    rule_id     BIGINT PRIMARY KEY,
    hits        BIGINT NOT NULL,
    last_hit_at TIMESTAMPTZ NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION reply_rule_hits_on_messages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reply_rule_hits AS h (rule_id, hits, last_hit_at)
        SELECT rule_id, count(*), max(received_at) FROM new_rows WHERE rule_id IS NOT NULL
        GROUP BY rule_id ORDER BY rule_id
    ON CONFLICT (rule_id) DO UPDATE SET hits = h.hits + EXCLUDED.hits,
        last_hit_at = greatest(h.last_hit_at, EXCLUDED.last_hit_at);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER wx_messages_rule_hits AFTER INSERT ON wx_messages
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reply_rule_hits_on_messages();

-- Rules answered before the counters existed: count what the inbox already holds.
INSERT INTO reply_rule_hits (rule_id, hits, last_hit_at)
    SELECT m.rule_id, count(*), max(m.received_at) FROM wx_messages m
    JOIN reply_rules r ON r.id = m.rule_id GROUP BY m.rule_id;

-- +goose Down
DROP TRIGGER wx_messages_rule_hits ON wx_messages;
DROP FUNCTION reply_rule_hits_on_messages();
DROP TABLE reply_rule_hits;
