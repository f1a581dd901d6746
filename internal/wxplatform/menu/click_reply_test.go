package menu_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// TestClickKeysAnsweredByKeywordRules: each click key the menu service lists is answered by the exact
// keyword rule of the same keyword (contract §6), as the callback would ask the reply service.
func TestClickKeysAnsweredByKeywordRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	_, out := f.call("publishMenu", body(`{"button":[{"type":"click","name":"今日歌曲","key":"V1001_TODAY_MUSIC"},
	  {"name":"菜单","sub_button":[{"type":"click","name":"赞一下我们","key":"V1001_GOOD"},
	  {"type":"view","name":"搜索","url":"http://www.soso.com/"}]}]}`))
	require.Equal(t, true, out["published"], "%v", out)

	replies := reply.NewService(f.DB, reply.Options{})
	t.Cleanup(replies.Close)
	keys, err := f.svc.ClickKeys(ctx, f.acct.ID)
	require.NoError(t, err)
	require.Equal(t, []string{"V1001_TODAY_MUSIC", "V1001_GOOD"}, keys)
	for _, k := range keys {
		_, err := replies.Add(ctx, f.acct.ID, reply.Input{Type: reply.TypeText, Request: k,
			Content: reply.Content{Content: "answer to " + k}})
		require.NoError(t, err)
	}
	for _, k := range keys {
		m, err := replies.Match(ctx, f.acct.ID, &wxcrypto.Message{MsgType: "event", Event: "CLICK", EventKey: k,
			FromUserName: "o_follower", ToUserName: "gh_account"})
		require.NoError(t, err)
		require.NotNil(t, m, "the click on %s is answered", k)
		require.Equal(t, reply.MatchKindClick, m.Kind)
		require.Equal(t, k, m.Keyword)
	}
}
