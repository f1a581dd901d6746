package menu

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

// Errors of the package.
var (
	ErrNoDraft    = apperr.New(apperr.NotFound, "there is no menu to publish: save one first (saveMenu)").WithKey("err.menu.no_draft")
	ErrNoLiveMenu = apperr.New(apperr.NotFound, "the account has no custom menu on WeChat to import").WithKey("err.menu.no_live")
)

// DefaultHistoryLimit and MaxHistoryLimit bound menuHistory's limit.
const (
	DefaultHistoryLimit = 20
	MaxHistoryLimit     = 100
)

// Service keeps each account's menu: the draft, the published menu and their history.
type Service struct {
	store store
	wx    WeChat
	log   *slog.Logger
	now   func() time.Time
}

// NewService builds the service. wx is the WeChat client (*wxclient.Client in production).
func NewService(db *gorm.DB, wx WeChat, logger *slog.Logger) *Service {
	if wx == nil {
		panic("menu: NewService needs the WeChat client") // a wiring mistake
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Service{store: store{db: db}, wx: wx, log: logger, now: time.Now}
}

// timestamp answers the time a change is recorded with, at Postgres' precision so that what an answer
// says equals what a later read says.
func (s *Service) timestamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Get answers the account's menu: the draft, or without one the published menu (nil Menu when there is
// neither), and whether it is what WeChat shows.
func (s *Service) Get(ctx context.Context, acct *accounts.Account) (State, error) {
	row, err := s.store.get(ctx, acct.ID)
	if err != nil {
		return State{}, err
	}
	return stateOf(row)
}

// stateOf turns a row into the State the API shows.
func stateOf(row *menuRow) (State, error) {
	if row == nil {
		return State{}, nil
	}
	draft, err := decodeStored(row.Draft)
	if err != nil {
		return State{}, err
	}
	published, err := decodeStored(row.Published)
	if err != nil {
		return State{}, err
	}
	st := State{Menu: draft, UpdatedAt: row.DraftUpdatedAt, UpdatedBy: row.DraftUpdatedBy,
		PublishedAt: row.PublishedAt, PublishedBy: row.PublishedBy}
	if st.Menu == nil {
		st.Menu = published
	}
	st.Published = st.Menu != nil && published != nil && st.Menu.Equal(*published)
	return st, nil
}

// Save validates m and keeps it as the account's draft. Nothing is sent to WeChat.
func (s *Service) Save(ctx context.Context, acct *accounts.Account, userID int64, m Menu) (State, error) {
	m = Normalize(m)
	if err := m.Validate(); err != nil {
		return State{}, err
	}
	text, err := encode(m)
	if err != nil {
		return State{}, err
	}
	var st State
	err = s.store.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row, err := lock(tx, acct.ID)
		if err != nil {
			return err
		}
		at, by := s.timestamp(), userRef(userID)
		if err := setDraft(tx, acct.ID, text, by, at); err != nil {
			return err
		}
		if err := addHistory(tx, acct.ID, ActionSave, by, &text, at); err != nil {
			return err
		}
		if err := recordMenu(ctx, tx, "saveMenu", acct.ID, row.Draft, &text); err != nil {
			return err
		}
		row.Draft, row.DraftUpdatedAt, row.DraftUpdatedBy = &text, &at, by
		st, err = stateOf(row)
		return err
	})
	if err != nil {
		return State{}, err
	}
	s.log.InfoContext(ctx, "menu draft saved", "appid", acct.AppID, "user_id", userID)
	return st, nil
}

// Publish sends the draft to WeChat (cgi-bin/menu/create) and records it as the live menu. The draft is
// validated again first: an invalid menu never reaches WeChat.
func (s *Service) Publish(ctx context.Context, acct *accounts.Account, userID int64) (State, error) {
	return s.publish(ctx, acct, userID, nil)
}

// SaveAndPublish keeps m as the draft and publishes it. When WeChat refuses the menu the draft is kept all
// the same, unpublished.
func (s *Service) SaveAndPublish(ctx context.Context, acct *accounts.Account, userID int64, m Menu) (State, error) {
	return s.publish(ctx, acct, userID, &m)
}

// Publishing, deleting and importing each call WeChat, and never inside a transaction: each runs under
// the account's advisory lock (db.LockMenu), which keeps two of them — in any process — from interleaving
// their WeChat calls and their records, and holds no row lock while WeChat answers. The rows are written
// in short transactions before and after the call; saving a draft meanwhile only waits for those.

func (s *Service) publish(ctx context.Context, acct *accounts.Account, userID int64, m *Menu) (State, error) {
	if m != nil {
		n := Normalize(*m)
		if err := n.Validate(); err != nil {
			return State{}, err
		}
		m = &n
	}
	var st State
	err := db.WithLock(ctx, s.store.db, db.LockMenu, acct.ID, func() error {
		text, err := s.draftToPublish(ctx, acct.ID, userID, &m)
		if err != nil {
			return err
		}
		if err := s.wx.CreateMenu(ctx, acct.AppID, toWire(*m)); err != nil {
			return wechatErr("publish menu", err) // the draft stays saved, unpublished
		}
		// WeChat shows the menu now: record it even if the caller has gone meanwhile.
		st, err = s.record(context.WithoutCancel(ctx), acct.ID, func(tx *gorm.DB, row *menuRow) error {
			at, by := s.timestamp(), userRef(userID)
			if err := setPublished(tx, acct.ID, &text, by, &at); err != nil {
				return err
			}
			if err := recordMenu(ctx, tx, "publishMenu", acct.ID, row.Published, &text); err != nil {
				return err
			}
			row.Published, row.PublishedAt, row.PublishedBy = &text, &at, by
			return addHistory(tx, acct.ID, ActionPublish, by, &text, at)
		})
		return err
	})
	if err != nil {
		return State{}, err
	}
	s.log.InfoContext(ctx, "menu published", "appid", acct.AppID, "user_id", userID)
	return st, nil
}

// draftToPublish settles what to publish: *m when given (then saved as the draft, if it differs), else the
// stored draft, validated again (an invalid menu never reaches WeChat). It answers the menu as stored.
func (s *Service) draftToPublish(ctx context.Context, accountID, userID int64, m **Menu) (string, error) {
	var text string
	err := s.store.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row, err := lock(tx, accountID)
		if err != nil {
			return err
		}
		current, err := decodeStored(row.Draft)
		if err != nil {
			return err
		}
		if *m == nil {
			if current == nil {
				return ErrNoDraft
			}
			n := Normalize(*current)
			if err := n.Validate(); err != nil {
				return err
			}
			*m = &n
		}
		if text, err = encode(**m); err != nil {
			return err
		}
		if current != nil && current.Equal(**m) {
			return nil
		}
		// What is published is also the draft.
		at, by := s.timestamp(), userRef(userID)
		if err := setDraft(tx, accountID, text, by, at); err != nil {
			return err
		}
		if err := recordMenu(ctx, tx, "saveMenu", accountID, row.Draft, &text); err != nil {
			return err
		}
		return addHistory(tx, accountID, ActionSave, by, &text, at)
	})
	return text, err
}

// record runs change on the account's locked row in a short transaction and answers the state after it.
func (s *Service) record(ctx context.Context, accountID int64, change func(tx *gorm.DB, row *menuRow) error) (State, error) {
	var st State
	err := s.store.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row, err := lock(tx, accountID)
		if err != nil {
			return err
		}
		if err := change(tx, row); err != nil {
			return err
		}
		st, err = stateOf(row)
		return err
	})
	return st, err
}

// Delete removes the live menu (cgi-bin/menu/delete, which also removes WeChat's personalised menus) and
// forgets it as published. The draft stays, to be published again.
func (s *Service) Delete(ctx context.Context, acct *accounts.Account, userID int64) (State, error) {
	var st State
	err := db.WithLock(ctx, s.store.db, db.LockMenu, acct.ID, func() error {
		if err := s.wx.DeleteMenu(ctx, acct.AppID); err != nil {
			return wechatErr("delete menu", err)
		}
		var err error
		st, err = s.record(context.WithoutCancel(ctx), acct.ID, func(tx *gorm.DB, row *menuRow) error {
			at, by := s.timestamp(), userRef(userID)
			if err := setPublished(tx, acct.ID, nil, nil, nil); err != nil {
				return err
			}
			// menu/delete removes the conditional menus too.
			if err := tx.Exec(`DELETE FROM wx_conditional_menus WHERE account_id = ?`, acct.ID).Error; err != nil {
				return fmt.Errorf("forget conditional menus: %w", err)
			}
			if err := addHistory(tx, acct.ID, ActionDelete, by, row.Published, at); err != nil {
				return err
			}
			if err := recordMenu(ctx, tx, "deleteMenu", acct.ID, row.Published, nil); err != nil {
				return err
			}
			row.Published, row.PublishedAt, row.PublishedBy = nil, nil, nil
			return nil
		})
		return err
	})
	if err != nil {
		return State{}, err
	}
	s.log.InfoContext(ctx, "menu deleted", "appid", acct.AppID, "user_id", userID)
	return st, nil
}

// Import reads the live menu from WeChat into the draft, and records it as the published menu (it is what
// WeChat shows). get_current_selfmenu_info is read first; cgi-bin/menu/get fills the fields it leaves
// out, or answers alone when the first call fails. Buttons only WeChat's admin can make are turned into
// the nearest API buttons, each with a Warning. A live menu that still breaks the rules is not imported:
// the 40000 names its first problem.
func (s *Service) Import(ctx context.Context, acct *accounts.Account, userID int64) (State, []Warning, error) {
	var (
		st       State
		warnings []Warning
	)
	err := db.WithLock(ctx, s.store.db, db.LockMenu, acct.ID, func() error {
		m, w, err := s.live(ctx, acct.AppID)
		if err != nil {
			return err
		}
		warnings = w
		m = Normalize(m)
		if p := m.Problems(); len(p) > 0 {
			return &apperr.Error{Kind: apperr.Invalid, Field: p[0].Field,
				Msg: "the live menu cannot be imported: " + p[0].Msg, Key: "err.menu.import_problem", Args: []any{p[0].Msg}}
		}
		text, err := encode(m)
		if err != nil {
			return err
		}
		st, err = s.record(ctx, acct.ID, func(tx *gorm.DB, row *menuRow) error {
			at, by := s.timestamp(), userRef(userID)
			if err := setDraft(tx, acct.ID, text, by, at); err != nil {
				return err
			}
			if err := setPublished(tx, acct.ID, &text, by, &at); err != nil {
				return err
			}
			if err := recordMenu(ctx, tx, "importMenu", acct.ID, row.Published, &text); err != nil {
				return err
			}
			row.Draft, row.DraftUpdatedAt, row.DraftUpdatedBy = &text, &at, by
			row.Published, row.PublishedAt, row.PublishedBy = &text, &at, by
			return addHistory(tx, acct.ID, ActionImport, by, &text, at)
		})
		return err
	})
	if err != nil {
		return State{}, nil, err
	}
	if warnings == nil {
		warnings = []Warning{}
	}
	s.log.InfoContext(ctx, "menu imported", "appid", acct.AppID, "user_id", userID, "warnings", len(warnings))
	return st, warnings, nil
}

// live reads the menu WeChat shows, converted to menu/create JSON.
func (s *Service) live(ctx context.Context, appid string) (Menu, []Warning, error) {
	info, err := s.wx.CurrentSelfMenu(ctx, appid)
	if err != nil {
		resp, gerr := s.wx.GetMenu(ctx, appid)
		if gerr != nil {
			s.log.InfoContext(ctx, "menu/get after get_current_selfmenu_info failed", "appid", appid, "err", gerr)
			return Menu{}, nil, wechatErr("import menu", err)
		}
		m := fromWire(resp.Menu.Button)
		if len(m.Button) == 0 {
			return Menu{}, nil, ErrNoLiveMenu
		}
		return m, nil, nil
	}
	m, warnings := fromSelfMenu(info)
	if len(m.Button) == 0 {
		return Menu{}, nil, ErrNoLiveMenu
	}
	if incomplete(m) {
		resp, gerr := s.wx.GetMenu(ctx, appid)
		if gerr == nil {
			m = fill(m, fromWire(resp.Menu.Button))
		} else {
			s.log.InfoContext(ctx, "menu/get to complete the live menu failed", "appid", appid, "err", gerr)
		}
	}
	return m, warnings, nil
}

// History answers the account's latest menu changes, newest first: limit of them (DefaultHistoryLimit
// when 0, at most MaxHistoryLimit).
func (s *Service) History(ctx context.Context, acct *accounts.Account, limit int) ([]HistoryEntry, error) {
	switch {
	case limit == 0:
		limit = DefaultHistoryLimit
	case limit < 0 || limit > MaxHistoryLimit:
		return nil, apperr.Invalidf("limit", "must be between 1 and %d", MaxHistoryLimit).WithKey("err.field.between", "limit", 1, MaxHistoryLimit)
	}
	rows, err := s.store.history(ctx, acct.ID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]HistoryEntry, 0, len(rows))
	for _, r := range rows {
		m, err := decodeStored(r.Menu)
		if err != nil {
			return nil, err
		}
		out = append(out, HistoryEntry{ID: r.ID, Action: r.Action, UserID: r.UserID, Menu: m, CreatedAt: r.CreatedAt.UTC()})
	}
	return out, nil
}

// ClickKeys answers the keys of the account's click buttons, each once: the draft's in menu order, then
// those of the published menu the draft no longer has (they still arrive as CLICK events until the draft
// is published). A keyword rule whose keyword is the key answers the click (contract §6), so the menu page
// offers to pick or create that rule.
func (s *Service) ClickKeys(ctx context.Context, accountID int64) ([]string, error) {
	row, err := s.store.get(ctx, accountID)
	if err != nil || row == nil {
		return []string{}, err
	}
	out := []string{}
	seen := map[string]bool{}
	for _, stored := range []*string{row.Draft, row.Published} {
		m, err := decodeStored(stored)
		if err != nil {
			return nil, fmt.Errorf("click keys: %w", err)
		}
		if m == nil {
			continue
		}
		for _, k := range m.ClickKeys() {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out, nil
}
