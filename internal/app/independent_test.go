package app_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/app/apptest"
	"github.com/socialinzen/socialinzen/internal/testenv"
)

// This file plays WeChat with an implementation of its crypto that shares nothing with the console's:
// SHA-1 from the standard library, AES-256-CBC from the openssl command, and the message layout, padding
// and envelopes written out here from the protocol's description. The emulator's simulator uses the
// console's own wxcrypto package, so it alone could not catch a mistake made the same way on both sides.

func wxSign(parts ...string) string {
	sort.Strings(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	return hex.EncodeToString(sum[:])
}

func opensslAES(t *testing.T, key []byte, decrypt bool, in []byte) []byte {
	t.Helper()
	args := []string{"enc", "-aes-256-cbc", "-nopad", "-K", hex.EncodeToString(key), "-iv", hex.EncodeToString(key[:16])}
	if decrypt {
		args = append(args, "-d")
	}
	cmd := exec.Command("openssl", args...)
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	require.NoError(t, err)
	return out
}

func independentEncrypt(t *testing.T, key []byte, appid string, msg []byte) string {
	random := make([]byte, 16)
	_, _ = rand.Read(random)
	var plain bytes.Buffer
	plain.Write(random)
	_ = binary.Write(&plain, binary.BigEndian, uint32(len(msg)))
	plain.Write(msg)
	plain.WriteString(appid)
	pad := 32 - plain.Len()%32
	plain.Write(bytes.Repeat([]byte{byte(pad)}, pad))
	return base64.StdEncoding.EncodeToString(opensslAES(t, key, false, plain.Bytes()))
}

func independentDecrypt(t *testing.T, key []byte, appid, b64 string) []byte {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	require.NoError(t, err)
	plain := opensslAES(t, key, true, raw)
	pad := int(plain[len(plain)-1])
	require.True(t, pad >= 1 && pad <= 32, "PKCS#7 with block 32")
	plain = plain[:len(plain)-pad]
	n := binary.BigEndian.Uint32(plain[16:20])
	require.Equal(t, appid, string(plain[20+n:]), "the appid closes the plaintext")
	return plain[20 : 20+n]
}

type passiveReply struct {
	ToUserName, FromUserName, MsgType, Content string
	CreateTime                                 int64
	Image                                      struct{ MediaId string }
	Voice                                      struct{ MediaId string }
	Video                                      struct{ MediaId, Title, Description string }
	Music                                      struct{ Title, MusicUrl, ThumbMediaId string }
	ArticleCount                               int
	Articles                                   struct {
		Item []struct{ Title, Description, PicUrl, Url string } `xml:"item"`
	}
}

// TestIndependentWeChatGetsEveryReplyTypeInEveryMode: six reply types × plaintext, compatible and safe.
func TestIndependentWeChatGetsEveryReplyTypeInEveryMode(t *testing.T) {
	testenv.RequireTool(t, "openssl")
	con := apptest.Start(t, apptest.Options{})
	c := newClient(t, con.URL)
	_, out := c.postJSON("/apis/user/login", map[string]string{"username": "demo", "password": "demo-password"}, nil)
	tok := url.QueryEscape(out["access_token"].(string))
	rules := map[string]map[string]any{
		"text":      {"content": "文字回复"},
		"image":     {"mediaId": "MEDIA_IMAGE"},
		"voice":     {"mediaId": "MEDIA_VOICE"},
		"video":     {"title": "视频", "description": "说明", "mediaId": "MEDIA_VIDEO"},
		"music":     {"title": "歌", "musicUrl": "https://example.com/a.mp3", "thumbMediaId": "MEDIA_THUMB"},
		"multitext": {"title": "图文", "description": "摘要", "picurl": "https://example.com/p.png", "url": "https://example.com/"},
	}
	// Plaintext mode is an account bound without an EncodingAESKey (with one, plaintext is refused).
	keyless := con.Emulator().NewAccount("明文号 Plaintext")
	code, out := c.postJSON("/apis/wxplatform/authorize?access_token="+tok, map[string]any{"appid": keyless.AppID,
		"secret": keyless.Secret, "token": keyless.Token}, nil)
	require.Equal(t, 200, code, "%v", out)
	for _, appid := range []string{con.Emulator().Demo().AppID, keyless.AppID} {
		for typ, r := range rules {
			code, out := c.postJSON("/apis/wxreplymanage/addReply?appid="+appid+"&access_token="+tok, map[string]any{"type": typ, "request": "kw-" + typ, "reply": r}, nil)
			require.Equal(t, 200, code, "%s: %v", typ, out)
		}
	}

	safeDemo := con.Emulator().Demo()
	key, err := base64.StdEncoding.DecodeString(safeDemo.EncodingAESKey + "=")
	require.NoError(t, err)
	msgID := time.Now().UnixNano()
	for _, mode := range []string{"plain", "compat", "safe"} {
		for typ := range rules {
			msgID++
			demo := safeDemo
			if mode == "plain" {
				demo = keyless
			}
			t.Run(mode+"/"+typ, func(t *testing.T) {
				ts := strconv.FormatInt(time.Now().Unix(), 10)
				nonce := strconv.FormatInt(msgID%1_000_000_000, 10)
				fields := fmt.Sprintf("<ToUserName><![CDATA[gh_demo]]></ToUserName><FromUserName><![CDATA[o_independent]]></FromUserName>"+
					"<CreateTime>%s</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[kw-%s]]></Content><MsgId>%d</MsgId>", ts, typ, msgID)
				q := url.Values{"signature": {wxSign(demo.Token, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}, "openid": {"o_independent"}}
				body := "<xml>" + fields + "</xml>"
				if mode != "plain" {
					enc := independentEncrypt(t, key, demo.AppID, []byte(body))
					q.Set("encrypt_type", "aes")
					q.Set("msg_signature", wxSign(demo.Token, ts, nonce, enc))
					if mode == "safe" {
						body = "<xml><ToUserName><![CDATA[gh_demo]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
					} else {
						body = "<xml>" + fields + "<Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
					}
				}
				resp, err := http.Post(con.URL+"/wxplatform/callback/"+demo.AppID+"?"+q.Encode(), "text/xml", strings.NewReader(body))
				require.NoError(t, err)
				answer, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				require.Equal(t, 200, resp.StatusCode, string(answer))

				if mode != "plain" {
					var env struct{ Encrypt, MsgSignature, TimeStamp, Nonce string }
					require.NoError(t, xml.Unmarshal(answer, &env), string(answer))
					require.Equal(t, wxSign(demo.Token, env.TimeStamp, env.Nonce, env.Encrypt), env.MsgSignature, "the reply's msg_signature holds")
					answer = independentDecrypt(t, key, demo.AppID, env.Encrypt)
				}
				var r passiveReply
				require.NoError(t, xml.Unmarshal(answer, &r), string(answer))
				require.Equal(t, "o_independent", r.ToUserName)
				require.Equal(t, "gh_demo", r.FromUserName)
				switch typ {
				case "text":
					require.Equal(t, "text", r.MsgType)
					require.Equal(t, "文字回复", r.Content)
				case "image":
					require.Equal(t, "MEDIA_IMAGE", r.Image.MediaId)
				case "voice":
					require.Equal(t, "MEDIA_VOICE", r.Voice.MediaId)
				case "video":
					require.Equal(t, "MEDIA_VIDEO", r.Video.MediaId)
					require.Equal(t, "视频", r.Video.Title)
				case "music":
					require.Equal(t, "https://example.com/a.mp3", r.Music.MusicUrl)
					require.Equal(t, "MEDIA_THUMB", r.Music.ThumbMediaId)
				case "multitext":
					require.Equal(t, "news", r.MsgType)
					require.Equal(t, 1, r.ArticleCount)
					require.Len(t, r.Articles.Item, 1)
					require.Equal(t, "图文", r.Articles.Item[0].Title)
				}
				if typ != "multitext" {
					require.Equal(t, typ, r.MsgType)
				}
			})
		}
	}
}
