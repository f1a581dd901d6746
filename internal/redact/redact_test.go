package redact

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestURL(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"no query":   {"/cgi-bin/menu/get", "/cgi-bin/menu/get"},
		"secrets":    {"/cgi-bin/token?appid=wx1&secret=s3cr3t&access_token=t0k", "/cgi-bin/token?access_token=REDACTED&appid=wx1&secret=REDACTED"},
		"unparsable": {"/x?a=%zz", "/x?(unparsable query)"},
	} {
		t.Run(name, func(t *testing.T) {
			u, err := url.Parse("http://h" + tc.in)
			if err != nil {
				u = &url.URL{Path: "/x", RawQuery: "a=%zz"}
			}
			require.Equal(t, tc.want, URL(u))
		})
	}
}

func TestField(t *testing.T) {
	for _, name := range []string{"Secret", "AppSecret", "app_secret", "EncodingAESKey", "encoding_aes_key", "access_token",
		"refreshToken", "AuthorizerRefreshToken", "MsdkKey", "password", "newPassword", "apiToken", "Token"} {
		require.True(t, Field(name), name)
	}
	for _, name := range []string{"name", "keyword", "jsDomains", "remark", "title", "appid", "tokens", "keywords", "key", "code"} {
		require.False(t, Field(name), name)
	}
}
