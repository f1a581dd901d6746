package wxcrypto

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The files in testdata/messages follow the samples of WeChat's documentation for each type (§3).
func TestParseMessageSamples(t *testing.T) {
	tests := map[string]Message{
		"text.xml": {ToUserName: "toUser", FromUserName: "fromUser", CreateTime: 1348831860, MsgType: "text",
			Content: "this is a test", MsgID: 1234567890123456, MsgDataID: "xxxx", Idx: "xxxx"},
		"image.xml": {ToUserName: "toUser", FromUserName: "fromUser", CreateTime: 1348831860, MsgType: "image",
			PicURL: "this is a url", MediaID: "media_id", MsgID: 1234567890123456},
		"voice.xml": {ToUserName: "toUser", FromUserName: "fromUser", CreateTime: 1357290913, MsgType: "voice",
			MediaID: "media_id", Format: "Format", Recognition: "腾讯微信团队", MsgID: 1234567890123456},
		"video.xml": {ToUserName: "toUser", FromUserName: "fromUser", CreateTime: 1357290913, MsgType: "video",
			MediaID: "media_id", ThumbMediaID: "thumb_media_id", MsgID: 1234567890123456},
		"shortvideo.xml": {ToUserName: "toUser", FromUserName: "fromUser", CreateTime: 1357290913, MsgType: "shortvideo",
			MediaID: "media_id", ThumbMediaID: "thumb_media_id", MsgID: 1234567890123456},
		"location.xml": {ToUserName: "toUser", FromUserName: "fromUser", CreateTime: 1351776360, MsgType: "location",
			LocationX: 23.134521, LocationY: 113.358803, Scale: 20, Label: "位置信息", MsgID: 1234567890123456},
		"link.xml": {ToUserName: "toUser", FromUserName: "fromUser", CreateTime: 1351776360, MsgType: "link",
			Title: "公众平台官网链接", Description: "公众平台官网链接", URL: "url", MsgID: 1234567890123456},
		"event_subscribe.xml": {ToUserName: "toUser", FromUserName: "FromUser", CreateTime: 123456789, MsgType: "event",
			Event: "subscribe"},
		"event_subscribe_qrscene.xml": {ToUserName: "toUser", FromUserName: "FromUser", CreateTime: 123456789, MsgType: "event",
			Event: "subscribe", EventKey: "qrscene_123123", Ticket: "TICKET"},
		"event_scan.xml": {ToUserName: "toUser", FromUserName: "FromUser", CreateTime: 123456789, MsgType: "event",
			Event: "SCAN", EventKey: "SCENE_VALUE", Ticket: "TICKET"},
		"event_location.xml": {ToUserName: "toUser", FromUserName: "fromUser", CreateTime: 123456789, MsgType: "event",
			Event: "LOCATION", Latitude: 23.137466, Longitude: 113.352425, Precision: 119.385040},
		"event_click.xml": {ToUserName: "toUser", FromUserName: "FromUser", CreateTime: 123456789, MsgType: "event",
			Event: "CLICK", EventKey: "EVENTKEY"},
		"event_view.xml": {ToUserName: "toUser", FromUserName: "FromUser", CreateTime: 123456789, MsgType: "event",
			Event: "VIEW", EventKey: "www.qq.com", MenuID: "MENUID"},
		"event_scancode_push.xml": {ToUserName: "gh_e136c6e50636", FromUserName: "oMgHVjngRipVsoxg6TuX3vz6glDg",
			CreateTime: 1408090502, MsgType: "event", Event: "scancode_push", EventKey: "6", ScanType: "qrcode", ScanResult: "1"},
		"event_pic_sysphoto.xml": {ToUserName: "gh_e136c6e50636", FromUserName: "oMgHVjngRipVsoxg6TuX3vz6glDg",
			CreateTime: 1408090651, MsgType: "event", Event: "pic_sysphoto", EventKey: "6",
			PicMD5Sums: []string{"1b5f7c23b5bf75682a53e7b6d163e185"}},
		"event_location_select.xml": {ToUserName: "gh_e136c6e50636", FromUserName: "oMgHVjngRipVsoxg6TuX3vz6glDg",
			CreateTime: 1408091189, MsgType: "event", Event: "location_select", EventKey: "6",
			LocationX: 23, LocationY: 113, Scale: 15, Label: " 广州市海珠区客村艺苑路 106号"},
		"event_templatesendjobfinish.xml": {ToUserName: "gh_7f083739789a", FromUserName: "oia2TjuEGTNoeX76QEjQNrcURxG8",
			CreateTime: 1395658920, MsgType: "event", Event: "TEMPLATESENDJOBFINISH", MsgID: 200163836, Status: "success"},
		"safe_mode.xml": {ToUserName: "toUser", Encrypt: vecBEncrypt},
	}
	files, err := filepath.Glob(filepath.Join("testdata", "messages", "*.xml"))
	require.NoError(t, err)
	require.Len(t, files, len(tests), "every sample file has an expectation and the reverse")

	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "messages", name))
			require.NoError(t, err)
			got, err := ParseMessage(data)
			require.NoError(t, err)
			want.XMLName = got.XMLName
			require.Equal(t, &want, got)

			again, err := ParseMessage(got.Marshal())
			require.NoError(t, err, "Marshal output:\n%s", got.Marshal())
			require.Equal(t, got, again)
		})
	}
}

func TestMessageMarshalMatchesWeChat(t *testing.T) {
	m, err := ParseMessage([]byte(vecAMsg))
	require.NoError(t, err)
	require.Equal(t, vecAMsg, string(m.Marshal()))

	require.Equal(t, "<xml><CreateTime>0</CreateTime>\n</xml>", string((&Message{}).Marshal()),
		"CreateTime is always written, empty strings and a zero MsgId never")
}

func TestParseMessageCompatMode(t *testing.T) {
	body := strings.Replace(vecAMsg, "</xml>", "<Encrypt><![CDATA["+vecAEncrypt+"]]></Encrypt>\n</xml>", 1)
	m, err := ParseMessage([]byte(body))
	require.NoError(t, err)
	require.Equal(t, "abcdteT", m.Content)
	require.Equal(t, vecAEncrypt, m.Encrypt)
	require.Equal(t, body, string(m.Marshal()))
}

func TestMessageCDATASafety(t *testing.T) {
	for _, content := range []string{
		"a]]>b", "]]>", "]]]]>>", "]", "]]", "x]]", "<![CDATA[nested]]>", "line\r\nbreak\rcr", "&amp; <b> \"q\" 'a'",
		"<!DOCTYPE html>", "tab\tnewline\n", "emoji 😀 and 中文",
	} {
		t.Run(content, func(t *testing.T) {
			m := &Message{ToUserName: "gh_x", FromUserName: "o_x", CreateTime: 1, MsgType: "text", Content: content, MsgID: 7}
			got, err := ParseMessage(m.Marshal())
			require.NoError(t, err, "%s", m.Marshal())
			require.Equal(t, content, got.Content)
		})
	}
	t.Run("characters XML cannot carry become U+FFFD", func(t *testing.T) {
		m := &Message{Content: "a\x00b\x1bc\xffd\uFFFEe"}
		got, err := ParseMessage(m.Marshal())
		require.NoError(t, err)
		require.Equal(t, "a\uFFFDb\uFFFDc\uFFFDd\uFFFDe", got.Content)
	})
}

func TestParseMessageAccepts(t *testing.T) {
	tests := []struct {
		name, data string
		check      func(t *testing.T, m *Message)
	}{
		{"xml declaration", `<?xml version="1.0" encoding="UTF-8"?><xml><Content>hi</Content></xml>`,
			func(t *testing.T, m *Message) { require.Equal(t, "hi", m.Content) }},
		{"byte order mark", "\xef\xbb\xbf<xml><Content>hi</Content></xml>",
			func(t *testing.T, m *Message) { require.Equal(t, "hi", m.Content) }},
		{"comments and surrounding whitespace", "\n<!-- c --><xml><!-- c --><Content>hi</Content></xml>\n<!-- c -->\n",
			func(t *testing.T, m *Message) { require.Equal(t, "hi", m.Content) }},
		{"self-closing root", `<xml/>`, func(t *testing.T, m *Message) { require.Equal(t, &Message{XMLName: m.XMLName}, m) }},
		{"unknown elements are skipped", `<xml><Future><Deep><Deeper>x</Deeper></Deep></Future><Content>hi</Content></xml>`,
			func(t *testing.T, m *Message) { require.Equal(t, "hi", m.Content) }},
		{"DOCTYPE text inside CDATA is just text", `<xml><Content><![CDATA[<!DOCTYPE x>]]></Content></xml>`,
			func(t *testing.T, m *Message) { require.Equal(t, "<!DOCTYPE x>", m.Content) }},
		{"escaped text without CDATA", `<xml><Content>a &lt;b&gt; &amp; &#x4e2d;</Content></xml>`,
			func(t *testing.T, m *Message) { require.Equal(t, "a <b> & 中", m.Content) }},
		{"numbers padded with whitespace", "<xml><CreateTime>\n 42 </CreateTime><MsgId> 9 </MsgId></xml>",
			func(t *testing.T, m *Message) {
				require.Equal(t, int64(42), m.CreateTime)
				require.Equal(t, int64(9), m.MsgID)
			}},
		{"empty number", `<xml><CreateTime></CreateTime><Scale/></xml>`,
			func(t *testing.T, m *Message) { require.Zero(t, m.CreateTime) }},
		{"largest MsgId", `<xml><MsgId>9223372036854775807</MsgId></xml>`,
			func(t *testing.T, m *Message) { require.Equal(t, int64(9223372036854775807), m.MsgID) }},
		{"a later duplicate wins", `<xml><Content>a</Content><Content>b</Content></xml>`,
			func(t *testing.T, m *Message) { require.Equal(t, "b", m.Content) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMessage([]byte(tt.data))
			require.NoError(t, err)
			tt.check(t, m)
		})
	}
}

func TestParseMessageRejects(t *testing.T) {
	tests := []struct{ name, data string }{
		{"empty", ""},
		{"whitespace only", " \n "},
		{"not xml", "hello"},
		{"json", `{"MsgType":"text"}`},
		{"unclosed root", `<xml><Content>hi</Content>`},
		{"unclosed child", `<xml><Content>hi</xml>`},
		{"mismatched tags", `<xml><Content>hi</MsgType></xml>`},
		{"wrong root", `<message><Content>hi</Content></message>`},
		{"namespaced root", `<a:xml xmlns:a="urn:x"></a:xml>`},
		{"two roots", `<xml></xml><xml></xml>`},
		{"text after the root", `<xml></xml>trailing`},
		{"text before the root", `junk<xml></xml>`},
		{"doctype", `<!DOCTYPE xml><xml></xml>`},
		{"doctype with entities", `<!DOCTYPE xml [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><xml><Content>&b;</Content></xml>`},
		{"external entity", `<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Content>&x;</Content></xml>`},
		{"directive inside the root", `<xml><!DOCTYPE x><Content>hi</Content></xml>`},
		{"undefined entity", `<xml><Content>&nbsp;</Content></xml>`},
		{"non-UTF-8 encoding declared", `<?xml version="1.0" encoding="GBK"?><xml></xml>`},
		{"invalid UTF-8", "<xml><Content>\xff</Content></xml>"},
		{"control character", "<xml><Content>\x01</Content></xml>"},
		{"CreateTime not a number", `<xml><CreateTime>soon</CreateTime></xml>`},
		{"MsgId overflows int64", `<xml><MsgId>9223372036854775808</MsgId></xml>`},
		{"MsgID (JOBFINISH spelling) not a number", `<xml><MsgID>x</MsgID></xml>`},
		{"Location_X not a number", `<xml><Location_X>north</Location_X></xml>`},
		{"Scale not a number", `<xml><Scale>1.5</Scale></xml>`},
		{"nested location not a number", `<xml><SendLocationInfo><Location_Y>y</Location_Y></SendLocationInfo></xml>`},
		{"Latitude not a number", `<xml><Latitude>1,5</Latitude></xml>`},
		{"too deep", "<xml>" + strings.Repeat("<a>", maxDepth+1) + strings.Repeat("</a>", maxDepth+1) + "</xml>"},
		{"attribute without quotes", `<xml a=1></xml>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMessage([]byte(tt.data))
			require.ErrorIs(t, err, ErrMalformedXML)
			require.Nil(t, m)
		})
	}
}
