package menu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/audit"
	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// Conditional ("personalised") menus, contract §20: a whole menu shown instead of the default one to the
// followers a matchrule selects (a tag, a client platform, or both). WeChat offers no update: a menu is
// added (menu/addconditional, which answers its menuid) and deleted (menu/delconditional); menu/delete
// removes them all with the default menu. WeChat tries them newest first; the first that matches wins,
// else the default menu shows. The gender, region and language rules are no longer offered (WeChat answers
// 65320), so the console takes only the tag and the platform.

// Client platforms of a matchrule, as WeChat numbers them.
const (
	PlatformIOS     = 1
	PlatformAndroid = 2
	PlatformOthers  = 3
)

// MaxConditional bounds an account's conditional menus kept by the console.
const MaxConditional = 100

// MatchRule selects who sees a conditional menu; nil fields match everyone.
type MatchRule struct {
	TagID              *int `json:"tagId,omitempty"`
	ClientPlatformType *int `json:"clientPlatformType,omitempty"`
}

// Matches reports whether a follower carrying tags and using platform (0: unknown) sees the menu.
func (r MatchRule) Matches(tags []int, platform int) bool {
	if r.TagID != nil {
		found := false
		for _, t := range tags {
			if t == *r.TagID {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if r.ClientPlatformType != nil && *r.ClientPlatformType != platform {
		return false
	}
	return true
}

// wire answers the rule in menu/addconditional's JSON: WeChat documents the values as strings.
func (r MatchRule) wire() wxclient.MatchRule {
	var w wxclient.MatchRule
	if r.TagID != nil {
		w.TagID = wxclient.FlexString(strconv.Itoa(*r.TagID))
	}
	if r.ClientPlatformType != nil {
		w.ClientPlatformType = wxclient.FlexString(strconv.Itoa(*r.ClientPlatformType))
	}
	return w
}

// Conditional is a conditional menu as getMenu lists it.
type Conditional struct {
	MenuID    string    `json:"menuId"`
	Menu      Menu      `json:"menu"`
	MatchRule MatchRule `json:"matchrule"`
	CreatedAt time.Time `json:"createdAt"`
	CreatedBy *int64    `json:"createdBy"`
}

// Errors of conditional menus.
var (
	ErrConditionalNotFound = apperr.New(apperr.NotFound, "menuId: no such conditional menu").
				WithKey("err.menu.conditional_not_found")
	errEmptyMatchRule = apperr.Invalidf("matchrule", "must name a tagId or a clientPlatformType (or both)").
				WithKey("err.menu.matchrule_empty")
)

func errTagNotFound(id int) error {
	return apperr.New(apperr.NotFound, fmt.Sprintf("matchrule.tagId: the account has no tag %d", id)).
		WithKey("err.menu.tag_not_found", id)
}

// ParseMatchRule reads a matchrule as the API receives it: {tagId?, clientPlatformType?} (WeChat's own
// tag_id and client_platform_type are accepted too), numbers or numeric strings. It must name at least
// one (40000); the platform is 1 (iOS), 2 (Android) or 3 (others); WeChat's gender, region and language
// rules are refused (WeChat itself answers 65320 for them).
func ParseMatchRule(raw json.RawMessage) (MatchRule, error) {
	var r MatchRule
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return r, errEmptyMatchRule
	}
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		return r, apperr.Invalidf("matchrule", "must be an object {tagId?, clientPlatformType?}").WithKey("err.menu.matchrule_shape", "matchrule")
	}
	for k, v := range obj {
		switch k {
		case "tagId", "tag_id", "clientPlatformType", "client_platform_type":
		case "sex", "country", "province", "city", "language", "group_id":
			if s := strings.TrimSpace(fmt.Sprint(v)); v != nil && s != "" {
				return r, apperr.Invalidf("matchrule."+k, "is no longer offered by WeChat (gender, region and language rules end in 65320): use a tag").WithKey("err.menu.matchrule_retired", "matchrule."+k)
			}
		default:
			return r, apperr.Invalidf("matchrule."+k, "is not a matchrule field (tagId, clientPlatformType)").WithKey("err.menu.matchrule_field", "matchrule."+k)
		}
	}
	pick := func(names ...string) (int, bool, error) {
		for _, n := range names {
			v, ok := obj[n]
			if !ok || v == nil {
				continue
			}
			s := strings.TrimSpace(fmt.Sprint(v))
			if s == "" {
				continue
			}
			i, err := strconv.Atoi(s)
			if err != nil {
				return 0, true, apperr.Invalidf("matchrule."+names[0], "must be an integer").WithKey("err.field.integer", "matchrule."+names[0])
			}
			return i, true, nil
		}
		return 0, false, nil
	}
	tag, ok, err := pick("tagId", "tag_id")
	if err != nil {
		return r, err
	}
	if ok {
		if tag < 0 {
			return r, apperr.Invalidf("matchrule.tagId", "must be a tag id").WithKey("err.field.tag_id", "matchrule.tagId")
		}
		r.TagID = &tag
	}
	p, ok, err := pick("clientPlatformType", "client_platform_type")
	if err != nil {
		return r, err
	}
	if ok {
		if p < PlatformIOS || p > PlatformOthers {
			return r, apperr.Invalidf("matchrule.clientPlatformType", "must be 1 (iOS), 2 (Android) or 3 (others)").WithKey("err.menu.platform", "matchrule.clientPlatformType")
		}
		r.ClientPlatformType = &p
	}
	if r.TagID == nil && r.ClientPlatformType == nil {
		return r, errEmptyMatchRule
	}
	return r, nil
}

// conditionalRow is wx_conditional_menus as stored.
type conditionalRow struct {
	ID                 int64
	MenuID             string `gorm:"column:menuid"`
	Menu               string
	TagID              *int
	ClientPlatformType *int
	CreatedBy          *int64
	CreatedAt          time.Time
}

func (r conditionalRow) view() (Conditional, error) {
	m, err := decodeStored(&r.Menu)
	if err != nil {
		return Conditional{}, err
	}
	c := Conditional{MenuID: r.MenuID, MatchRule: MatchRule{TagID: r.TagID, ClientPlatformType: r.ClientPlatformType},
		CreatedAt: r.CreatedAt.UTC(), CreatedBy: r.CreatedBy}
	if m != nil {
		c.Menu = *m
	}
	return c, nil
}

// Conditionals answers the account's conditional menus, newest first (the order WeChat tries them in).
func (s *Service) Conditionals(ctx context.Context, acct *accounts.Account) ([]Conditional, error) {
	var rows []conditionalRow
	err := s.store.db.WithContext(ctx).Raw(`SELECT id, menuid, menu::text AS menu, tag_id, client_platform_type,
		created_by, created_at FROM wx_conditional_menus WHERE account_id = ? ORDER BY id DESC`, acct.ID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list conditional menus: %w", err)
	}
	out := make([]Conditional, 0, len(rows))
	for _, r := range rows {
		c, err := r.view()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// SaveConditional validates m as a menu (the normal menu's rules) and rule, checks the rule's tag exists
// (tags/get; 40400 when not), publishes it with menu/addconditional and keeps it with WeChat's menuid. The
// WeChat call runs under the account's menu lock, outside any transaction.
func (s *Service) SaveConditional(ctx context.Context, acct *accounts.Account, userID int64, m Menu, rule MatchRule) (Conditional, error) {
	m = Normalize(m)
	if err := m.Validate(); err != nil {
		return Conditional{}, err
	}
	if rule.TagID == nil && rule.ClientPlatformType == nil {
		return Conditional{}, errEmptyMatchRule
	}
	text, err := encode(m)
	if err != nil {
		return Conditional{}, err
	}
	if rule.TagID != nil {
		tags, err := s.wx.Tags(ctx, acct.AppID)
		if err != nil {
			return Conditional{}, wechatErr("list tags", err)
		}
		found := false
		for _, t := range tags {
			found = found || t.ID == *rule.TagID
		}
		if !found {
			return Conditional{}, errTagNotFound(*rule.TagID)
		}
	}
	var c Conditional
	err = db.WithLock(ctx, s.store.db, db.LockMenu, acct.ID, func() error {
		var n int64
		if err := s.store.db.WithContext(ctx).Raw(`SELECT count(*) FROM wx_conditional_menus WHERE account_id = ?`, acct.ID).Scan(&n).Error; err != nil {
			return fmt.Errorf("count conditional menus: %w", err)
		}
		if n >= MaxConditional {
			return apperr.Invalidf("menu", "the account has %d conditional menus, the most the console keeps: delete one first", n).WithKey("err.menu.conditional_max", "menu", n)
		}
		id, err := s.wx.AddConditionalMenu(ctx, acct.AppID, wxclient.ConditionalMenuRequest{Button: toWire(m).Button, MatchRule: rule.wire()})
		if err != nil {
			return wechatErr("publish conditional menu", err)
		}
		// WeChat shows it now: record it even if the caller has gone meanwhile.
		row := conditionalRow{MenuID: id, Menu: text, TagID: rule.TagID, ClientPlatformType: rule.ClientPlatformType, CreatedBy: userRef(userID)}
		err = s.store.db.WithContext(context.WithoutCancel(ctx)).Transaction(func(tx *gorm.DB) error {
			if err := tx.Raw(`INSERT INTO wx_conditional_menus
			(account_id, menuid, menu, tag_id, client_platform_type, created_by) VALUES (?, ?, ?::jsonb, ?, ?, ?)
			ON CONFLICT (account_id, menuid) DO UPDATE SET menu = EXCLUDED.menu
			RETURNING created_at`, acct.ID, id, text, rule.TagID, rule.ClientPlatformType, row.CreatedBy).Row().Scan(&row.CreatedAt); err != nil {
				return err
			}
			return audit.Record(ctx, tx, audit.Entry{AccountID: acct.ID, Action: "saveConditionalMenu",
				Target: audit.Target("conditionalMenu", id), Changes: audit.Created(map[string]any{"menu": menuJSON(&text),
					"tagId": rule.TagID, "clientPlatformType": rule.ClientPlatformType})})
		})
		if err != nil {
			return fmt.Errorf("store conditional menu: %w", err)
		}
		c, err = row.view()
		return err
	})
	if err != nil {
		return Conditional{}, err
	}
	s.log.InfoContext(ctx, "conditional menu published", "appid", acct.AppID, "user_id", userID, "menuid", c.MenuID)
	return c, nil
}

// DeleteConditional removes a conditional menu (menu/delconditional). A menuid the console does not know is
// 40400 without asking WeChat; one WeChat no longer has (65301) is forgotten all the same.
func (s *Service) DeleteConditional(ctx context.Context, acct *accounts.Account, userID int64, menuID string) error {
	menuID = strings.TrimSpace(menuID)
	if menuID == "" {
		return apperr.Missing("menuId")
	}
	err := db.WithLock(ctx, s.store.db, db.LockMenu, acct.ID, func() error {
		var n int64
		if err := s.store.db.WithContext(ctx).Raw(`SELECT count(*) FROM wx_conditional_menus WHERE account_id = ? AND menuid = ?`,
			acct.ID, menuID).Scan(&n).Error; err != nil {
			return fmt.Errorf("find conditional menu: %w", err)
		}
		if n == 0 {
			return ErrConditionalNotFound
		}
		if err := s.wx.DeleteConditionalMenu(ctx, acct.AppID, menuID); err != nil && !errors.Is(err, &wxclient.Error{Errcode: 65301}) {
			return wechatErr("delete conditional menu", err)
		}
		return s.store.db.WithContext(context.WithoutCancel(ctx)).Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec(`DELETE FROM wx_conditional_menus WHERE account_id = ? AND menuid = ?`, acct.ID, menuID).Error; err != nil {
				return err
			}
			return audit.Record(ctx, tx, audit.Entry{AccountID: acct.ID, Action: "deleteConditionalMenu",
				Target: audit.Target("conditionalMenu", menuID), Changes: audit.Set("menuId", menuID, nil)})
		})
	})
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "conditional menu deleted", "appid", acct.AppID, "user_id", userID, "menuid", menuID)
	return nil
}

// Preview answers the menu a follower carrying tags on platform (0: unknown) sees, as WeChat's
// menu/trymatch decides it: the newest conditional menu whose rule matches, else the published default
// menu (nil when there is none). menuID is the conditional menu's, "" for the default one.
func (s *Service) Preview(ctx context.Context, acct *accounts.Account, tags []int, platform int) (m *Menu, menuID string, err error) {
	conds, err := s.Conditionals(ctx, acct)
	if err != nil {
		return nil, "", err
	}
	for _, c := range conds {
		if c.MatchRule.Matches(tags, platform) {
			mm := c.Menu
			return &mm, c.MenuID, nil
		}
	}
	row, err := s.store.get(ctx, acct.ID)
	if err != nil || row == nil {
		return nil, "", err
	}
	pub, err := decodeStored(row.Published)
	return pub, "", err
}

// TryMatch asks WeChat which menu the follower userID (an OpenID) sees (menu/trymatch).
func (s *Service) TryMatch(ctx context.Context, acct *accounts.Account, userID string) (Menu, error) {
	userID = strings.TrimSpace(userID)
	if userID == "" {
		return Menu{}, apperr.Missing("userId")
	}
	m, err := s.wx.TryMatchMenu(ctx, acct.AppID, userID)
	if err != nil {
		return Menu{}, wechatErr("try match menu", err)
	}
	return fromWire(m.Button), nil
}
