package followers

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// followerRow is wx_followers as stored. groupid and search are computed by Postgres.
type followerRow struct {
	AccountID      int64         `gorm:"column:account_id;primaryKey"`
	OpenID         string        `gorm:"column:openid;primaryKey"`
	UnionID        string        `gorm:"column:unionid"`
	Nickname       string        `gorm:"column:nickname"`
	Remark         string        `gorm:"column:remark"`
	Sex            int           `gorm:"column:sex"`
	Language       string        `gorm:"column:language"`
	City           string        `gorm:"column:city"`
	Province       string        `gorm:"column:province"`
	Country        string        `gorm:"column:country"`
	HeadImgURL     string        `gorm:"column:headimgurl"`
	Subscribed     bool          `gorm:"column:subscribed"`
	SubscribeTime  int64         `gorm:"column:subscribe_time"`
	SubscribeScene string        `gorm:"column:subscribe_scene"`
	QRScene        int64         `gorm:"column:qr_scene"`
	QRSceneStr     string        `gorm:"column:qr_scene_str"`
	TagIDList      db.Int64Array `gorm:"column:tagid_list;type:int[]"`
	Blacklisted    bool          `gorm:"column:blacklisted"`
	GroupID        int           `gorm:"column:groupid;->"`
	SyncGen        int64         `gorm:"column:sync_gen"`
	UpdatedAt      time.Time     `gorm:"column:updated_at"`
}

func (followerRow) TableName() string { return "wx_followers" }

func toInt64s(in []int) db.Int64Array {
	out := make(db.Int64Array, len(in))
	for i, v := range in {
		out[i] = int64(v)
	}
	return out
}

func toInts(in db.Int64Array) []int {
	out := make([]int, len(in))
	for i, v := range in {
		out[i] = int(v)
	}
	return out
}

// rowFromInfo converts WeChat's user/info answer for the mirror.
func rowFromInfo(accountID int64, u wxclient.UserInfo, blacklisted bool, gen int64, now time.Time) followerRow {
	return followerRow{
		AccountID: accountID, OpenID: u.OpenID, UnionID: u.UnionID, Nickname: u.Nickname, Remark: u.Remark,
		Sex: u.Sex, Language: u.Language, City: u.City, Province: u.Province, Country: u.Country,
		HeadImgURL: u.HeadImgURL, Subscribed: u.Subscribe == 1, SubscribeTime: u.SubscribeTime,
		SubscribeScene: u.SubscribeScene, QRScene: u.QRScene, QRSceneStr: u.QRSceneStr,
		TagIDList: toInt64s(u.TagIDList), Blacklisted: blacklisted, SyncGen: gen, UpdatedAt: now,
	}
}

type store struct{ db *gorm.DB }

// upsertInfos writes followers as a sync saw them, in one multi-row INSERT … ON CONFLICT. snapshot is
// when WeChat was asked: a subscribe or unsubscribe event newer than it wins over what WeChat said.
func (s store) upsertInfos(ctx context.Context, rows []followerRow, snapshot int64) error {
	if len(rows) == 0 {
		return nil
	}
	newer := fmt.Sprintf("wx_followers.event_time > %d", snapshot)
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "account_id"}, {Name: "openid"}},
		DoUpdates: clause.Set{
			{Column: clause.Column{Name: "unionid"}, Value: gorm.Expr("EXCLUDED.unionid")},
			{Column: clause.Column{Name: "nickname"}, Value: gorm.Expr("EXCLUDED.nickname")},
			{Column: clause.Column{Name: "remark"}, Value: gorm.Expr("EXCLUDED.remark")},
			{Column: clause.Column{Name: "sex"}, Value: gorm.Expr("EXCLUDED.sex")},
			{Column: clause.Column{Name: "language"}, Value: gorm.Expr("EXCLUDED.language")},
			{Column: clause.Column{Name: "city"}, Value: gorm.Expr("EXCLUDED.city")},
			{Column: clause.Column{Name: "province"}, Value: gorm.Expr("EXCLUDED.province")},
			{Column: clause.Column{Name: "country"}, Value: gorm.Expr("EXCLUDED.country")},
			{Column: clause.Column{Name: "headimgurl"}, Value: gorm.Expr("EXCLUDED.headimgurl")},
			{Column: clause.Column{Name: "subscribe_scene"}, Value: gorm.Expr("EXCLUDED.subscribe_scene")},
			{Column: clause.Column{Name: "qr_scene"}, Value: gorm.Expr("EXCLUDED.qr_scene")},
			{Column: clause.Column{Name: "qr_scene_str"}, Value: gorm.Expr("EXCLUDED.qr_scene_str")},
			{Column: clause.Column{Name: "tagid_list"}, Value: gorm.Expr("EXCLUDED.tagid_list")},
			{Column: clause.Column{Name: "blacklisted"}, Value: gorm.Expr("EXCLUDED.blacklisted")},
			{Column: clause.Column{Name: "sync_gen"}, Value: gorm.Expr("GREATEST(wx_followers.sync_gen, EXCLUDED.sync_gen)")},
			{Column: clause.Column{Name: "updated_at"}, Value: gorm.Expr("EXCLUDED.updated_at")},
			{Column: clause.Column{Name: "subscribe_time"}, Value: gorm.Expr(
				"CASE WHEN " + newer + " THEN wx_followers.subscribe_time ELSE EXCLUDED.subscribe_time END")},
			{Column: clause.Column{Name: "subscribed"}, Value: gorm.Expr(
				"CASE WHEN " + newer + " THEN wx_followers.subscribed ELSE EXCLUDED.subscribed END")},
			{Column: clause.Column{Name: "unsubscribed_at"}, Value: gorm.Expr(
				"CASE WHEN " + newer + " THEN wx_followers.unsubscribed_at WHEN EXCLUDED.subscribed THEN NULL " +
					"ELSE COALESCE(wx_followers.unsubscribed_at, now()) END")},
		},
	}).Create(&rows).Error
	if err != nil {
		return fmt.Errorf("store followers: %w", err)
	}
	return nil
}

// markGone marks unsubscribed the followers a finished sync run did not see.
func (s store) markGone(ctx context.Context, accountID, gen int64) (int64, error) {
	res := s.db.WithContext(ctx).Exec(`UPDATE wx_followers SET subscribed = false, unsubscribed_at = now(), updated_at = now()
		WHERE account_id = ? AND subscribed AND sync_gen < ?`, accountID, gen)
	if res.Error != nil {
		return 0, fmt.Errorf("mark unsubscribed followers: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// setTags records a follower's tags and blacklisting after the console changed them at WeChat. A
// follower the mirror does not know yet is added, subscribed (WeChat only tags followers).
func (s store) setTags(ctx context.Context, accountID int64, openid string, tags []int, blacklisted bool) error {
	err := s.db.WithContext(ctx).Exec(`INSERT INTO wx_followers (account_id, openid, tagid_list, blacklisted)
		VALUES (?, ?, ?::int[], ?)
		ON CONFLICT (account_id, openid) DO UPDATE SET tagid_list = EXCLUDED.tagid_list,
			blacklisted = EXCLUDED.blacklisted, updated_at = now()`,
		accountID, openid, toInt64s(tags), blacklisted).Error
	if err != nil {
		return fmt.Errorf("store follower's groups: %w", err)
	}
	return nil
}

// setTagsMany is setTags for many followers, in multi-row statements of at most 500 followers.
func (s store) setTagsMany(ctx context.Context, accountID int64, states []tagState) error {
	for _, part := range chunks(states, 500) {
		var q strings.Builder
		q.WriteString(`INSERT INTO wx_followers (account_id, openid, tagid_list, blacklisted) VALUES `)
		args := make([]any, 0, 4*len(part))
		for i, st := range part {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?::int[], ?)")
			args = append(args, accountID, st.OpenID, toInt64s(st.Tags), st.Blacklisted)
		}
		q.WriteString(` ON CONFLICT (account_id, openid) DO UPDATE SET tagid_list = EXCLUDED.tagid_list,
			blacklisted = EXCLUDED.blacklisted, updated_at = now()`)
		if err := s.db.WithContext(ctx).Exec(q.String(), args...).Error; err != nil {
			return fmt.Errorf("store followers' groups: %w", err)
		}
	}
	return nil
}

// setRemark records a remark set through the console.
func (s store) setRemark(ctx context.Context, accountID int64, openid, remark string) error {
	err := s.db.WithContext(ctx).Exec(`UPDATE wx_followers SET remark = ?, updated_at = now()
		WHERE account_id = ? AND openid = ?`, remark, accountID, openid).Error
	if err != nil {
		return fmt.Errorf("store remark: %w", err)
	}
	return nil
}

// dropTag removes a deleted tag from every follower, as WeChat does.
func (s store) dropTag(ctx context.Context, accountID int64, tagID int) error {
	err := s.db.WithContext(ctx).Exec(`UPDATE wx_followers SET tagid_list = array_remove(tagid_list, ?::int), updated_at = now()
		WHERE account_id = ? AND tagid_list @> ARRAY[?::int]`, tagID, accountID, tagID).Error
	if err != nil {
		return fmt.Errorf("remove deleted group from followers: %w", err)
	}
	return nil
}

// knownState answers what the mirror says of some followers: their blacklisting, and whether the mirror
// knows them at all.
func (s store) knownState(ctx context.Context, accountID int64, openids []string) (map[string]bool, error) {
	var rows []struct {
		OpenID      string `gorm:"column:openid"`
		Blacklisted bool
	}
	err := s.db.WithContext(ctx).Raw(`SELECT openid, blacklisted FROM wx_followers WHERE account_id = ? AND openid = ANY(?::text[])`,
		accountID, db.StringArray(openids)).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read followers: %w", err)
	}
	out := make(map[string]bool, len(rows))
	for _, r := range rows {
		out[r.OpenID] = r.Blacklisted
	}
	return out, nil
}

// mirrorCounts answers, from the mirror, how many subscribed followers carry no tag and are not
// blacklisted (group 0), and how many are blacklisted (group 1). ok is false until a sync of the account
// has finished once (a run is numbered past 1 only after one finished): before, the mirror only knows
// the followers the console touched.
func (s store) mirrorCounts(ctx context.Context, accountID int64) (ungrouped, blacklisted int, ok bool, err error) {
	var r struct {
		Rows        int
		Ungrouped   int
		Blacklisted int
	}
	// Three separate counts, each answered by its own partial index.
	err = s.db.WithContext(ctx).Raw(`SELECT
			(SELECT count(*) FROM wx_follower_syncs WHERE account_id = ? AND (state = 'done' OR gen > 1)) AS rows,
			(SELECT count(*) FROM wx_followers WHERE account_id = ? AND subscribed AND NOT blacklisted
				AND tagid_list = '{}') AS ungrouped,
			(SELECT count(*) FROM wx_followers WHERE account_id = ? AND subscribed AND blacklisted) AS blacklisted`,
		accountID, accountID, accountID).Scan(&r).Error
	if err != nil {
		return 0, 0, false, fmt.Errorf("count groups: %w", err)
	}
	return r.Ungrouped, r.Blacklisted, r.Rows > 0, nil
}

// Query selects followers of the mirror.
type Query struct {
	Q       string // a substring of the nickname, remark or openid, any case
	GroupID *int   // only this group
	Offset  int
	Limit   int
}

// Follower is a follower as getFollowers shows it.
type Follower struct {
	OpenID        string `json:"openid"`
	Nickname      string `json:"nickname"`
	Remark        string `json:"remark"`
	GroupID       int    `json:"groupid"`
	TagIDList     []int  `json:"tagid_list"`
	SubscribeTime int64  `json:"subscribe_time"`
}

// likePattern makes q a LIKE pattern matching it anywhere, with LIKE's own characters escaped.
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}

// shortTerm is the longest term looked up in grams rather than by trigrams.
const shortTerm = 2

// followerColumns are the columns a page of followers reads (not the search helpers).
const followerColumns = `account_id, openid, unionid, nickname, remark, sex, language, city, province, country, headimgurl,
	subscribed, subscribe_time, subscribe_scene, qr_scene, qr_scene_str, tagid_list, blacklisted, groupid, sync_gen, updated_at`

// search answers a page of subscribed followers matching q, newest first, and how many match in all.
// A term of three characters or more is a substring of the nickname, remark or openid (any case), found
// through the trigram index; a shorter one is a character or pair of characters of the nickname or
// remark, found in grams.
func (s store) search(ctx context.Context, accountID int64, q Query) ([]followerRow, int64, error) {
	where := []string{"account_id = ?", "subscribed"}
	args := []any{accountID}
	if q.Q != "" {
		if utf8.RuneCountInString(q.Q) <= shortTerm {
			where = append(where, "grams @> ARRAY[lower(?)]::text[]")
			args = append(args, q.Q)
		} else {
			// search is lower-cased by Postgres; lower() here uses the same rules.
			where = append(where, `search LIKE lower(?) ESCAPE '\'`)
			args = append(args, likePattern(q.Q))
		}
	}
	if q.GroupID != nil {
		switch g := *q.GroupID; g {
		case GroupUngrouped:
			where = append(where, "NOT blacklisted", "tagid_list = '{}'")
		case GroupBlacklist:
			where = append(where, "blacklisted")
		default:
			where = append(where, "tagid_list @> ARRAY[?::int]")
			args = append(args, g)
		}
	}
	cond := strings.Join(where, " AND ")
	db := s.db.WithContext(ctx)
	var total int64
	if err := db.Raw("SELECT count(*) FROM wx_followers WHERE "+cond, args...).Scan(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count followers: %w", err)
	}
	var rows []followerRow
	if total > int64(q.Offset) {
		// The page's keys first (an index-only walk past the offset), then their rows.
		err := db.Raw(`SELECT `+followerColumns+` FROM wx_followers
			WHERE account_id = ? AND openid IN (SELECT openid FROM wx_followers WHERE `+cond+`
				ORDER BY subscribe_time DESC, openid LIMIT ? OFFSET ?)
			ORDER BY subscribe_time DESC, openid`,
			append(append([]any{accountID}, args...), q.Limit, q.Offset)...).Scan(&rows).Error
		if err != nil {
			return nil, 0, fmt.Errorf("search followers: %w", err)
		}
	}
	return rows, total, nil
}

// ungroupedPage answers subscribed followers of group 0 (no tag, not blacklisted), newest first.
func (s store) ungroupedPage(ctx context.Context, accountID int64, offset, limit int) ([]followerRow, error) {
	var rows []followerRow
	err := s.db.WithContext(ctx).Raw(`SELECT `+followerColumns+` FROM wx_followers WHERE account_id = ? AND subscribed AND NOT blacklisted
		AND tagid_list = '{}' ORDER BY subscribe_time DESC, openid LIMIT ? OFFSET ?`, accountID, limit, offset).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list ungrouped followers: %w", err)
	}
	return rows, nil
}

// currentSyncGen answers the account's sync run number (0 before the first), for rows events add.
const currentSyncGen = `COALESCE((SELECT gen FROM wx_follower_syncs WHERE account_id = ?), 0)`

// subscribed records a subscribe event: the follower is (again) subscribed; their remark and tags stay,
// as WeChat keeps them. An event older than the last one applied is ignored.
func (s store) subscribed(ctx context.Context, accountID int64, openid string, at int64, scene string, sceneID int64, sceneStr string) error {
	err := s.db.WithContext(ctx).Exec(`INSERT INTO wx_followers (account_id, openid, subscribed, subscribe_time, event_time,
			subscribe_scene, qr_scene, qr_scene_str, sync_gen)
		VALUES (?, ?, true, ?, ?, ?, ?, ?, `+currentSyncGen+`)
		ON CONFLICT (account_id, openid) DO UPDATE SET subscribed = true, unsubscribed_at = NULL,
			subscribe_time = EXCLUDED.subscribe_time, event_time = EXCLUDED.event_time,
			subscribe_scene = EXCLUDED.subscribe_scene, qr_scene = EXCLUDED.qr_scene, qr_scene_str = EXCLUDED.qr_scene_str,
			sync_gen = GREATEST(wx_followers.sync_gen, EXCLUDED.sync_gen), updated_at = now()
		WHERE wx_followers.event_time <= EXCLUDED.event_time`,
		accountID, openid, at, at, scene, sceneID, sceneStr, accountID).Error
	if err != nil {
		return fmt.Errorf("record subscribe: %w", err)
	}
	return nil
}

// unsubscribed records an unsubscribe event.
func (s store) unsubscribed(ctx context.Context, accountID int64, openid string, at int64) error {
	err := s.db.WithContext(ctx).Exec(`UPDATE wx_followers SET subscribed = false, unsubscribed_at = to_timestamp(?),
			event_time = ?, updated_at = now()
		WHERE account_id = ? AND openid = ? AND event_time <= ?`, at, at, accountID, openid, at).Error
	if err != nil {
		return fmt.Errorf("record unsubscribe: %w", err)
	}
	return nil
}

// seen records that a follower exists (a SCAN event comes from a follower) when the mirror lacks them.
func (s store) seen(ctx context.Context, accountID int64, openid string) error {
	err := s.db.WithContext(ctx).Exec(`INSERT INTO wx_followers (account_id, openid, sync_gen)
		VALUES (?, ?, `+currentSyncGen+`) ON CONFLICT (account_id, openid) DO NOTHING`, accountID, openid, accountID).Error
	if err != nil {
		return fmt.Errorf("record follower: %w", err)
	}
	return nil
}

// addTag records a tag put on a follower outside a sync (a QR code's action), as WeChat now has it.
func (s store) addTag(ctx context.Context, accountID int64, openid string, tagID int) error {
	err := s.db.WithContext(ctx).Exec(`UPDATE wx_followers SET tagid_list = array_append(tagid_list, ?::int), updated_at = now()
		WHERE account_id = ? AND openid = ? AND NOT tagid_list @> ARRAY[?::int]`, tagID, accountID, openid, tagID).Error
	if err != nil {
		return fmt.Errorf("record follower's tag: %w", err)
	}
	return nil
}
