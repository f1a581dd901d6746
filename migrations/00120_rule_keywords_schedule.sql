-- +goose Up
-- Rules as WeChat's own admin has them (contract §20): several keywords per rule, up to five replies with a
-- reply mode, an active period and daily hours.
--
-- reply_keywords holds every keyword of every keyword rule (the first one too, which reply_rules.keyword
-- keeps as before for the single-keyword shape): its unique index keeps a keyword unique per account across
-- rules and match modes, so deleteReply {request} still names one rule.
CREATE TABLE reply_keywords (
    account_id  BIGINT NOT NULL REFERENCES wx_accounts (id) ON DELETE CASCADE,
    rule_id     BIGINT NOT NULL REFERENCES reply_rules (id) ON DELETE CASCADE,
    position    SMALLINT NOT NULL,
    keyword     TEXT NOT NULL,
    keyword_key TEXT NOT NULL CHECK (keyword_key <> ''),
    PRIMARY KEY (rule_id, position)
);
CREATE UNIQUE INDEX reply_keywords_key ON reply_keywords (account_id, keyword_key);

INSERT INTO reply_keywords (account_id, rule_id, position, keyword, keyword_key)
    SELECT account_id, id, 0, keyword, keyword_key FROM reply_rules WHERE kind = 'keyword';

-- more_replies: the replies after the first (reply_type and reply stay the first), as [{type, reply}] in the
-- API's field names. reply_mode: random answers one of them at random, all answers the first passively and
-- sends the rest as customer-service messages. active_from/active_to: inclusive dates in TIMEZONE (NULL:
-- unbounded); hours: "HH:MM-HH:MM" in TIMEZONE ('' all day; an end before the start runs past midnight).
ALTER TABLE reply_rules
    ADD COLUMN more_replies JSONB NOT NULL DEFAULT '[]',
    ADD COLUMN reply_mode   TEXT NOT NULL DEFAULT 'random' CHECK (reply_mode IN ('random', 'all')),
    ADD COLUMN active_from  DATE,
    ADD COLUMN active_to    DATE,
    ADD COLUMN hours        TEXT NOT NULL DEFAULT '',
    ADD CONSTRAINT reply_rules_active_period CHECK (active_from IS NULL OR active_to IS NULL OR active_from <= active_to);

-- +goose Down
ALTER TABLE reply_rules
    DROP CONSTRAINT reply_rules_active_period,
    DROP COLUMN hours,
    DROP COLUMN active_to,
    DROP COLUMN active_from,
    DROP COLUMN reply_mode,
    DROP COLUMN more_replies;
DROP TABLE reply_keywords;
