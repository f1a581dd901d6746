package menu_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/wxplatform/menu"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// gatedWeChat holds every menu/create until the test lets it through, and counts how many are inside at
// once.
type gatedWeChat struct {
	menu.WeChat
	entered chan struct{}
	release chan struct{}
	inside  atomic.Int32
	most    atomic.Int32
}

func (g *gatedWeChat) CreateMenu(ctx context.Context, appid string, m wxclient.Menu) error {
	n := g.inside.Add(1)
	defer g.inside.Add(-1)
	if n > g.most.Load() {
		g.most.Store(n)
	}
	g.entered <- struct{}{}
	<-g.release
	return g.WeChat.CreateMenu(ctx, appid, m)
}

func oneClick(name, key string) menu.Menu {
	return menu.Menu{Button: []menu.Button{{Type: "click", Name: name, Key: key}}}
}

// TestPublishHoldsNoTransactionAcrossWeChat: while WeChat is answering a publish, no transaction is open
// on the database and the operator can still save the draft; a second publish of the same account waits
// for the first (in any process), so WeChat and the stored state end in the same order.
func TestPublishHoldsNoTransactionAcrossWeChat(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	g := &gatedWeChat{WeChat: f.WX, entered: make(chan struct{}), release: make(chan struct{})}
	svc := menu.NewService(f.DB, g, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()

	first := make(chan error, 1)
	go func() {
		_, err := svc.SaveAndPublish(ctx, f.acct, f.userID, oneClick("一", "ONE"))
		first <- err
	}()
	<-g.entered // the first publish is at WeChat

	var open int
	require.NoError(t, f.DB.Raw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
		AND state LIKE 'idle in transaction%'`).Scan(&open).Error)
	require.Zero(t, open, "no transaction waits on WeChat")
	st, err := svc.Save(ctx, f.acct, f.userID, oneClick("草稿", "DRAFT"))
	require.NoError(t, err, "saving the draft does not wait for WeChat")
	require.False(t, st.Published)

	second := make(chan error, 1)
	go func() {
		_, err := svc.SaveAndPublish(ctx, f.acct, f.userID, oneClick("二", "TWO"))
		second <- err
	}()
	g.release <- struct{}{} // the first publish goes through
	require.NoError(t, <-first)
	<-g.entered // only now does the second reach WeChat
	g.release <- struct{}{}
	require.NoError(t, <-second)
	require.EqualValues(t, 1, g.most.Load(), "one menu/create of the account at a time")

	st, err = svc.Get(ctx, f.acct)
	require.NoError(t, err)
	require.True(t, st.Published)
	require.Equal(t, "TWO", st.Menu.Button[0].Key)
	require.JSONEq(t, `{"button":[{"type":"click","name":"二","key":"TWO"}]}`, string(f.Emu.Menu(f.acct.AppID)))
	hist, err := svc.History(ctx, f.acct, 10)
	require.NoError(t, err)
	var actions []string
	for _, h := range hist {
		actions = append(actions, string(h.Action))
	}
	require.Equal(t, []string{"publish", "save", "publish", "save", "save"}, actions, "newest first")
}
