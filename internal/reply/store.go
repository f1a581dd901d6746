package reply

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/db"
)

// notifyChannel is the Postgres channel every change to an account's rules is announced on, with the
// account id as payload.
const notifyChannel = "reply_rules"

// ruleRow is reply_rules as stored.
type ruleRow struct {
	ID         int64
	AccountID  int64
	Kind       string
	Keyword    string
	KeywordKey string
	MatchMode  string
	ReplyType  string
	Reply      string `gorm:"type:jsonb"`
	// MoreReplies are the replies after the first, as [{type, reply}].
	MoreReplies string `gorm:"type:jsonb"`
	ReplyMode   string
	ActiveFrom  *time.Time // a DATE
	ActiveTo    *time.Time
	Hours       string
	Enabled     bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Hits and LastHitAt are read from reply_rule_hits by list only.
	Hits      int64      `gorm:"->"`
	LastHitAt *time.Time `gorm:"->"`
}

// storedMore is one reply of more_replies.
type storedMore struct {
	Type  string      `json:"type"`
	Reply storedReply `json:"reply"`
}

// keywordRow is reply_keywords as stored: every keyword of a keyword rule.
type keywordRow struct {
	AccountID  int64
	RuleID     int64
	Position   int16
	Keyword    string
	KeywordKey string
}

func (keywordRow) TableName() string { return "reply_keywords" }

func (ruleRow) TableName() string { return "reply_rules" }

// storedReply is the reply column: the API's field names, only those of the type.
type storedReply struct {
	Content      string          `json:"content,omitempty"`
	MediaID      string          `json:"mediaId,omitempty"`
	Title        string          `json:"title,omitempty"`
	Description  string          `json:"description,omitempty"`
	MusicURL     string          `json:"musicUrl,omitempty"`
	HQMusicURL   string          `json:"hqMusicUrl,omitempty"`
	ThumbMediaID string          `json:"thumbMediaId,omitempty"`
	Articles     []storedArticle `json:"articles,omitempty"`
}

type storedArticle struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	PicURL      string `json:"picurl"`
	URL         string `json:"url"`
}

func toStored(c Content) storedReply {
	sr := storedReply{Content: c.Content, MediaID: c.MediaID, Title: c.Title,
		Description: c.Description, MusicURL: c.MusicURL, HQMusicURL: c.HQMusicURL,
		ThumbMediaID: c.ThumbMediaID}
	for _, a := range c.Articles {
		sr.Articles = append(sr.Articles, storedArticle(a))
	}
	return sr
}

func fromStored(sr storedReply) Content {
	c := Content{Content: sr.Content, MediaID: sr.MediaID, Title: sr.Title, Description: sr.Description,
		MusicURL: sr.MusicURL, HQMusicURL: sr.HQMusicURL, ThumbMediaID: sr.ThumbMediaID}
	for _, a := range sr.Articles {
		c.Articles = append(c.Articles, Article(a))
	}
	return c
}

func dateCol(d Date) *time.Time {
	if d.IsZero() {
		return nil
	}
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	return &t
}

func dateOf(t *time.Time) Date {
	if t == nil {
		return Date{}
	}
	return Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
}

func toRow(r *Rule) (*ruleRow, error) {
	body, err := json.Marshal(toStored(r.Reply))
	if err != nil {
		return nil, fmt.Errorf("encode reply: %w", err)
	}
	more := []storedMore{}
	for i, rp := range r.Replies {
		if i > 0 {
			more = append(more, storedMore{Type: string(rp.Type), Reply: toStored(rp.Content)})
		}
	}
	moreBody, err := json.Marshal(more)
	if err != nil {
		return nil, fmt.Errorf("encode replies: %w", err)
	}
	mode := r.Mode
	if mode == "" {
		mode = ModeRandom
	}
	row := &ruleRow{ID: r.ID, AccountID: r.AccountID, Kind: string(r.Kind), Keyword: r.Keyword,
		MatchMode: string(r.Match), ReplyType: string(r.Type), Reply: string(body), Enabled: r.Enabled,
		MoreReplies: string(moreBody), ReplyMode: string(mode), ActiveFrom: dateCol(r.Schedule.From),
		ActiveTo: dateCol(r.Schedule.To), Hours: r.Schedule.Hours.String(),
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.Kind == KindKeyword {
		row.KeywordKey = foldKey(r.Keyword)
	}
	return row, nil
}

func fromRow(row *ruleRow) (*Rule, error) {
	var sr storedReply
	if err := json.Unmarshal([]byte(row.Reply), &sr); err != nil {
		return nil, fmt.Errorf("decode reply of rule %d: %w", row.ID, err)
	}
	r := &Rule{ID: row.ID, AccountID: row.AccountID, Kind: Kind(row.Kind), Keyword: row.Keyword,
		Match: MatchMode(row.MatchMode), Type: ReplyType(row.ReplyType), Enabled: row.Enabled,
		Mode: ReplyMode(row.ReplyMode), Hits: row.Hits, LastHitAt: row.LastHitAt,
		CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt, Reply: fromStored(sr)}
	if r.Mode == "" {
		r.Mode = ModeRandom
	}
	r.Replies = []Reply{{Type: r.Type, Content: r.Reply}}
	if row.MoreReplies != "" {
		var more []storedMore
		if err := json.Unmarshal([]byte(row.MoreReplies), &more); err != nil {
			return nil, fmt.Errorf("decode replies of rule %d: %w", row.ID, err)
		}
		for _, m := range more {
			r.Replies = append(r.Replies, Reply{Type: ReplyType(m.Type), Content: fromStored(m.Reply)})
		}
	}
	r.Schedule.From, r.Schedule.To = dateOf(row.ActiveFrom), dateOf(row.ActiveTo)
	if row.Hours != "" {
		h, err := ParseHours("hours", row.Hours)
		if err != nil {
			return nil, fmt.Errorf("decode hours of rule %d: %w", row.ID, err)
		}
		r.Schedule.Hours = h
	}
	if r.Kind == KindKeyword {
		r.Keywords = []string{r.Keyword}
	}
	return r, nil
}

// attachKeywords fills the Keywords of keyword rules from reply_keywords: all of the account's when ids is
// nil, else those of the rules named.
func attachKeywords(tx *gorm.DB, accountID int64, rules []*Rule) error {
	byID := make(map[int64]*Rule, len(rules))
	var ids []int64
	for _, r := range rules {
		if r.Kind == KindKeyword {
			byID[r.ID] = r
			ids = append(ids, r.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	q := tx.Where("account_id = ?", accountID)
	if len(ids) <= 16 {
		q = q.Where("rule_id IN ?", ids)
	}
	var rows []keywordRow
	if err := q.Order("rule_id, position").Find(&rows).Error; err != nil {
		return fmt.Errorf("read keywords: %w", err)
	}
	seen := make(map[int64]bool, len(ids))
	for _, k := range rows {
		r := byID[k.RuleID]
		if r == nil {
			continue
		}
		if !seen[k.RuleID] {
			seen[k.RuleID] = true
			r.Keywords = r.Keywords[:0]
		}
		r.Keywords = append(r.Keywords, k.Keyword)
	}
	return nil
}

// saveKeywords replaces the rule's keywords in reply_keywords. A keyword another rule has → ErrKeywordTaken.
func saveKeywords(tx *gorm.DB, r *Rule) error {
	if err := tx.Where("rule_id = ?", r.ID).Delete(&keywordRow{}).Error; err != nil {
		return fmt.Errorf("replace keywords: %w", err)
	}
	kws := r.Keywords
	if len(kws) == 0 {
		kws = []string{r.Keyword}
	}
	rows := make([]keywordRow, len(kws))
	for i, kw := range kws {
		rows[i] = keywordRow{AccountID: r.AccountID, RuleID: r.ID, Position: int16(i), Keyword: kw, KeywordKey: foldKey(kw)}
	}
	if err := tx.Create(&rows).Error; err != nil {
		if db.IsUniqueViolation(err) {
			return ErrKeywordTaken
		}
		return fmt.Errorf("store keywords: %w", err)
	}
	return nil
}

func fromRows(rows []ruleRow) ([]*Rule, error) {
	out := make([]*Rule, 0, len(rows))
	for i := range rows {
		r, err := fromRow(&rows[i])
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

type store struct {
	db *gorm.DB
}

// change runs fn in a transaction that also bumps the account's version and announces the change with
// NOTIFY, so every process reloads the account's rules once it commits.
func (s *store) change(ctx context.Context, accountID int64, fn func(tx *gorm.DB) error) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The version first: its row lock makes one account's changes take turns, so the caps
		// (checkCaps) hold under concurrent adds.
		err := tx.Exec(`INSERT INTO reply_versions (account_id, version) VALUES (?, 1)
			ON CONFLICT (account_id) DO UPDATE SET version = reply_versions.version + 1, updated_at = now()`,
			accountID).Error
		if err != nil {
			return fmt.Errorf("bump reply version: %w", err)
		}
		if err := fn(tx); err != nil {
			return err
		}
		if err := tx.Exec(`SELECT pg_notify(?, ?)`, notifyChannel, strconv.FormatInt(accountID, 10)).Error; err != nil {
			return fmt.Errorf("notify reply change: %w", err)
		}
		return nil
	})
}

// checkCaps refuses one more keyword rule (regex: one more regex rule) past the account's caps; except is a
// rule not to count (the one being changed). It runs inside change, which holds the account's turn.
//
// regexKeywords is how many regex keywords the rule will have: regexes are tried one by one, so the cap
// counts keywords, not rules.
func checkCaps(tx *gorm.DB, accountID int64, regexKeywords int, except int64) error {
	var n struct{ Total, Regex int64 }
	err := tx.Raw(`SELECT
		(SELECT count(*) FROM reply_rules WHERE account_id = ? AND kind = ? AND id <> ?) AS total,
		(SELECT count(*) FROM reply_keywords k JOIN reply_rules r ON r.id = k.rule_id
			WHERE k.account_id = ? AND r.match_mode = ? AND r.id <> ?) AS regex`,
		accountID, string(KindKeyword), except, accountID, string(MatchRegex), except).Scan(&n).Error
	if err != nil {
		return fmt.Errorf("count reply rules: %w", err)
	}
	if except == 0 && n.Total >= MaxKeywordRules {
		return apperr.Invalidf("request", "an account may have at most %d keyword rules", MaxKeywordRules).WithKey("err.reply.keyword_rules_max", "request", MaxKeywordRules)
	}
	if regexKeywords > 0 && n.Regex+int64(regexKeywords) > MaxRegexRules {
		return apperr.Invalidf("match", "an account may have at most %d regex rules", MaxRegexRules).WithKey("err.reply.regex_rules_max", "match", MaxRegexRules)
	}
	return nil
}

func insertRule(tx *gorm.DB, r *Rule) error {
	row, err := toRow(r)
	if err != nil {
		return err
	}
	if err := tx.Omit("ID", "CreatedAt", "UpdatedAt").Create(row).Error; err != nil {
		if db.IsUniqueViolation(err) {
			return ErrKeywordTaken
		}
		return fmt.Errorf("insert reply rule: %w", err)
	}
	if r.Kind == KindKeyword {
		r.ID = row.ID
		if err := saveKeywords(tx, r); err != nil {
			return err
		}
	}
	got, err := ruleByID(tx, r.AccountID, row.ID, false)
	if err != nil {
		return err
	}
	*r = *got
	return nil
}

func updateRule(tx *gorm.DB, r *Rule) error {
	row, err := toRow(r)
	if err != nil {
		return err
	}
	err = tx.Model(&ruleRow{}).Where("id = ? AND account_id = ?", r.ID, r.AccountID).Updates(map[string]any{
		"keyword":      row.Keyword,
		"keyword_key":  row.KeywordKey,
		"match_mode":   row.MatchMode,
		"reply_type":   row.ReplyType,
		"reply":        row.Reply,
		"more_replies": row.MoreReplies,
		"reply_mode":   row.ReplyMode,
		"active_from":  row.ActiveFrom,
		"active_to":    row.ActiveTo,
		"hours":        row.Hours,
		"enabled":      row.Enabled,
		"updated_at":   gorm.Expr("now()"),
	}).Error
	if err != nil {
		if db.IsUniqueViolation(err) {
			return ErrKeywordTaken
		}
		return fmt.Errorf("update reply rule: %w", err)
	}
	if r.Kind == KindKeyword {
		if err := saveKeywords(tx, r); err != nil {
			return err
		}
	}
	got, err := ruleByID(tx, r.AccountID, r.ID, false)
	if err != nil {
		return err
	}
	*r = *got
	return nil
}

func deleteRule(tx *gorm.DB, accountID, id int64) error {
	res := tx.Where("id = ? AND account_id = ?", id, accountID).Delete(&ruleRow{})
	if res.Error != nil {
		return fmt.Errorf("delete reply rule: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	if err := tx.Exec(`DELETE FROM reply_rule_hits WHERE rule_id = ?`, id).Error; err != nil {
		return fmt.Errorf("delete reply rule hits: %w", err)
	}
	return nil
}

// findKeywordRule answers a keyword rule by id, or by keyword when id is 0, locked for update when lock.
func findKeywordRule(tx *gorm.DB, accountID int64, sel Selector, lock bool) (*Rule, error) {
	q := tx.Where("account_id = ? AND kind = ?", accountID, string(KindKeyword))
	if sel.ID != 0 {
		q = q.Where("id = ?", sel.ID)
	} else {
		q = q.Where("id = (SELECT rule_id FROM reply_keywords WHERE account_id = ? AND keyword_key = ?)",
			accountID, foldKey(sel.Request))
	}
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var row ruleRow
	if err := q.Take(&row).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("find reply rule: %w", err)
	}
	return withKeywords(tx, &row)
}

// withKeywords converts one row and reads its keywords.
func withKeywords(tx *gorm.DB, row *ruleRow) (*Rule, error) {
	r, err := fromRow(row)
	if err != nil {
		return nil, err
	}
	if err := attachKeywords(tx, r.AccountID, []*Rule{r}); err != nil {
		return nil, err
	}
	return r, nil
}

func ruleByID(tx *gorm.DB, accountID, id int64, lock bool) (*Rule, error) {
	q := tx.Where("account_id = ? AND id = ?", accountID, id)
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var row ruleRow
	if err := q.Take(&row).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("read reply rule: %w", err)
	}
	return withKeywords(tx, &row)
}

// special answers the account's subscribe or default reply, nil when it has none.
func special(tx *gorm.DB, accountID int64, kind Kind, lock bool) (*Rule, error) {
	q := tx.Where("account_id = ? AND kind = ?", accountID, string(kind))
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var rows []ruleRow
	if err := q.Limit(1).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read %s reply: %w", kind, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return fromRow(&rows[0])
}

func (s *store) list(ctx context.Context, accountID int64) ([]*Rule, error) {
	var rows []ruleRow
	tx := s.db.WithContext(ctx)
	err := tx.Table("reply_rules").
		Select("reply_rules.*, COALESCE(h.hits, 0) AS hits, h.last_hit_at AS last_hit_at").
		Joins("LEFT JOIN reply_rule_hits h ON h.rule_id = reply_rules.id").
		Where("reply_rules.account_id = ? AND reply_rules.kind = ?", accountID, string(KindKeyword)).
		Order("reply_rules.id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list reply rules: %w", err)
	}
	rules, err := fromRows(rows)
	if err != nil {
		return nil, err
	}
	if err := attachKeywords(tx, accountID, rules); err != nil {
		return nil, err
	}
	return rules, nil
}

func (s *store) specials(ctx context.Context, accountID int64) (subscribe, def *Rule, err error) {
	var rows []ruleRow
	err = s.db.WithContext(ctx).Where("account_id = ? AND kind <> ?", accountID, string(KindKeyword)).
		Find(&rows).Error
	if err != nil {
		return nil, nil, fmt.Errorf("read special replies: %w", err)
	}
	rules, err := fromRows(rows)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range rules {
		switch r.Kind {
		case KindSubscribe:
			subscribe = r
		case KindDefault:
			def = r
		}
	}
	return subscribe, def, nil
}

// load reads what the matcher needs of an account, its version and enabled rules, from one snapshot.
func (s *store) load(ctx context.Context, accountID int64) (int64, []*Rule, error) {
	var version int64
	var rows []ruleRow
	var rules []*Rule
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var versions []int64
		if err := tx.Raw(`SELECT version FROM reply_versions WHERE account_id = ?`, accountID).Scan(&versions).Error; err != nil {
			return err
		}
		if len(versions) > 0 {
			version = versions[0]
		}
		if err := tx.Where("account_id = ? AND enabled", accountID).Order("id").Find(&rows).Error; err != nil {
			return err
		}
		var err error
		if rules, err = fromRows(rows); err != nil {
			return err
		}
		return attachKeywords(tx, accountID, rules)
	}, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return 0, nil, fmt.Errorf("load reply rules of account %d: %w", accountID, err)
	}
	return version, rules, nil
}

// versions answers the current version of each account (0 for an account never changed, or gone).
func (s *store) versions(ctx context.Context, ids []int64) (map[int64]int64, error) {
	out := make(map[int64]int64, len(ids))
	const chunk = 1000
	for len(ids) > 0 {
		n := min(len(ids), chunk)
		var rows []struct {
			AccountID int64
			Version   int64
		}
		err := s.db.WithContext(ctx).Raw(`SELECT account_id, version FROM reply_versions WHERE account_id = ANY(?)`,
			int64Array(ids[:n])).Scan(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("read reply versions: %w", err)
		}
		for _, r := range rows {
			out[r.AccountID] = r.Version
		}
		ids = ids[n:]
	}
	return out, nil
}

// int64Array is a Postgres bigint[] literal, which pgx sends as text.
func int64Array(ids []int64) string {
	b := make([]byte, 0, 2+len(ids)*8)
	b = append(b, '{')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, '}'))
}
