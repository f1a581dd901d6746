package wxcrypto

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The PUBLISHJOBFINISH event as WeChat's documentation and developers' captures show it.
const publishFinished = `<xml> <ToUserName><![CDATA[gh_4d00ed8d6399]]></ToUserName> <FromUserName><![CDATA[oV5CrjpxgaGXNHIQigzNlgLTnwic]]></FromUserName> <CreateTime>1636448595</CreateTime> <MsgType><![CDATA[event]]></MsgType> <Event><![CDATA[PUBLISHJOBFINISH]]></Event> <PublishEventInfo> <publish_id>2247503051</publish_id> <publish_status>0</publish_status> <article_id><![CDATA[b5O2OUs25HBxRceL7hfReg-U9QGeq9zQjiDKQrB-Ujw]]></article_id> <article_detail> <count>2</count> <item> <idx>1</idx> <article_url><![CDATA[http://mp.weixin.qq.com/s?__biz=a&mid=1&idx=1]]></article_url> </item> <item> <idx>2</idx> <article_url><![CDATA[http://mp.weixin.qq.com/s?__biz=a&mid=1&idx=2]]></article_url> </item> </article_detail> </PublishEventInfo> </xml>`

const publishFailed = `<xml><ToUserName><![CDATA[gh_4d00ed8d6399]]></ToUserName><FromUserName><![CDATA[oV5CrjpxgaGXNHIQigzNlgLTnwic]]></FromUserName><CreateTime>1481013459</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[PUBLISHJOBFINISH]]></Event><PublishEventInfo><publish_id>2247503051</publish_id><publish_status>2</publish_status><fail_idx>1</fail_idx><fail_idx>2</fail_idx></PublishEventInfo></xml>`

func TestPublishEventInfo(t *testing.T) {
	m, err := ParseMessage([]byte(publishFinished))
	require.NoError(t, err)
	require.Equal(t, "PUBLISHJOBFINISH", m.Event)
	require.Equal(t, &PublishEventInfo{PublishID: "2247503051", PublishStatus: 0,
		ArticleID: "b5O2OUs25HBxRceL7hfReg-U9QGeq9zQjiDKQrB-Ujw", Count: 2,
		Items: []PublishedArticle{{1, "http://mp.weixin.qq.com/s?__biz=a&mid=1&idx=1"}, {2, "http://mp.weixin.qq.com/s?__biz=a&mid=1&idx=2"}}},
		m.PublishEventInfo)
	again, err := ParseMessage(m.Marshal())
	require.NoError(t, err)
	require.Equal(t, m, again)

	f, err := ParseMessage([]byte(publishFailed))
	require.NoError(t, err)
	require.Equal(t, &PublishEventInfo{PublishID: "2247503051", PublishStatus: 2, FailIdx: []int{1, 2}}, f.PublishEventInfo)
	again, err = ParseMessage(f.Marshal())
	require.NoError(t, err)
	require.Equal(t, f, again)

	plain, err := ParseMessage([]byte(`<xml><MsgType>text</MsgType><Content>hi</Content></xml>`))
	require.NoError(t, err)
	require.Nil(t, plain.PublishEventInfo)
}
