package wxcrypto

// The vectors of wechat-protocol.md §1 and §2.3, from WeChat's official samples and SDK test suites.

const (
	officialKey    = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG" // non-zero spare bits: needs lenient Base64
	officialKeyHex = "69b71d79f8218a39259a7a29aabb2dbafc31cb3d35db7e39ebbf3d0010831051"

	// Vector A: official WXBizMsgCrypt Python sample.
	vecAToken     = "spamtest"
	vecAAppID     = "wx2c2769f8efd9abc2"
	vecATimestamp = "1409735669"
	vecANonce     = "1320562132"
	vecAMsgSig    = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
	vecAEncrypt   = "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
	vecARandom    = "89465c840c5f116f"
	vecAMsg       = "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n" +
		"<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n" +
		"<CreateTime>1409735668</CreateTime>\n" +
		"<MsgType><![CDATA[text]]></MsgType>\n" +
		"<Content><![CDATA[abcdteT]]></Content>\n" +
		"<MsgId>6054768590064713728</MsgId>\n" +
		"</xml>"

	// Vector B: official Java sample test, deterministic encryption.
	vecBToken     = "pamtest"
	vecBAppID     = "wxb11529c136998cb6"
	vecBTimestamp = "1409304348"
	vecBNonce     = "xxxxxx"
	vecBRandom    = "aaaabbbbccccdddd"
	vecBMsg       = "我是中文abcd123"
	vecBEncrypt   = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
	vecBMsgSig    = "82c962d39941aa48552f90ef55aa323dc620cc10"
	vecB2Msg      = "<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName><FromUserName><![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime><MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId><Title><![CDATA[testCallBackReplyVideo]]></Title><Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>"
	vecB2Encrypt  = "jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkupqcEcW7ZQweImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb3tYPKAlHF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04sq7KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9OxchWVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb"

	// Vector C: chanxuehong/wechat; its plaintext ends in one whole block of padding (pad = 32).
	vecCToken     = "token1234567890"
	vecCKey       = "AdiqDDDvUNCeE1ZW5XJmjf9fqNBJpGBs4vL4cHKmHBS"
	vecCAppID     = "wx45f133bf6fce646e"
	vecCTimestamp = "1458864389"
	vecCNonce     = "2066297436"
	vecCSignature = "f9c725922f6844701ba71e98031978e40023c09f" // §1: the URL signature of the same token, timestamp, nonce
	vecCMsgSig    = "247dea54e9ca03ab1e75d03430d205a5b967c44d"
	vecCEncrypt   = "u0KvD5kCUzGq9QmWTsSRcolKAH92oiMZDBJ840OqXXFhzUFsBZtdDv6Fv2W9zlrP3Rx3jQGiNXY8sV0kWgzdcefN3WznfM0TGArGowC9bgHE+4QKGrkly0wQ6ouQe7UrKDvkfMy3t8t8njawTl2z0MvgIsaVAvllB3vDWzY/Oo1P1Q9PLdIsgbQjyrJVObZMgFK4KN175ygxBWkb4fdiIAIXSpxN/48LYixSkgohbAcUGlDP8FD3mPTDppz1yI4fGY8jHCYy3s2CsylkE/1+/6zAtv/8160FvB/C6CwRd7Q4OypAW2JKDOekWULMhahY+43C8GQaKWWbsmOHdiEoL6N8jCyrquvCBnvekZTrRY/CTuyqmpo/5LrDXXORwKDdK0uSVU/9N1Lpz9waEWMFqIPSnYC+MgelLzE9hBlnJ+5qC6O0GXrm6QmrncijD2SvdOhfT6OKIDiYJUM2cHHMcg=="
	vecCRandom    = "4a89afe3aeedee3b"

	// Vector E: EasyWeChat's decrypt test (its message is not in WeChat's layout: a stray <URL>, one line).
	vecEToken     = "pamtest"
	vecEAppID     = "wxb11529c136998cb6"
	vecETimestamp = "1458300676"
	vecENonce     = "260774613"
	vecEMsgSig    = "4f3ad57b6989f09f4eb392acce4f9e93942ed890"
	vecEEncrypt   = "rTNFcsut4LfGuAFKEUVVpwcaCOTJzOd9twZdIW910jb3k+iicx2uvhttIZ3Qg9Qgty3BEF2xbOrz6boTfb30dMomcgrkTqdFPwnhqbk+kIQ7rZiwny9D7NUrTgA5kpX3KsZvrXzUZyP2x9YOlxbgm572lmxKvM7HAQQhIQ/p6HBmoY30bGXFK0BtIu1pW9TjhOYrLQoU18nWYjWqDA1ynkmOytpv7QRI1P1+0NoxL0q2zO1DgeSvnE8CZGo/o5Ap/WHK5W2RAsinpzN4/LjPnmB6U01I5XCoJoC0GK/yMZycd2Oh8Nq6+wBkC1U85oy0ktOY4nLvsQMLrourmMGdZHuTbqpeJ8Ao/5PRYJ+WBvRUwPfGKBL2+2IKZF49vAJqkcGWSHGE76ZN2erXeuNazf/o9o3lIE3q739o4c8t9QGPe31GT2Go/rOz1BsrASwvauNulCh+++yz+CQzBIuikA=="
	vecEMsg       = "<xml><URL><![CDATA[http://wechat.laravel.so/server]]></URL><ToUserName><![CDATA[asdasdasd]]></ToUserName><FromUserName><![CDATA[asdasdasdsadasd]]></FromUserName><CreateTime>1234567898</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hello]]></Content><MsgId>12345</MsgId></xml>"
)
