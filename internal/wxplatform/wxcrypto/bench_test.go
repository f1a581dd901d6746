package wxcrypto

import "testing"

// The callback runs VerifySignature (or VerifyMsgSignature), Decrypt and ParseMessage on every message, and
// Reply.Marshal plus Encrypt on every encrypted answer.

func BenchmarkVerifySignature(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if !VerifySignature(vecCToken, vecCTimestamp, vecCNonce, vecCSignature) {
			b.Fatal("signature rejected")
		}
	}
}

func BenchmarkVerifyMsgSignature(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if !VerifyMsgSignature(vecAToken, vecATimestamp, vecANonce, vecAEncrypt, vecAMsgSig) {
			b.Fatal("signature rejected")
		}
	}
}

func BenchmarkDecrypt(b *testing.B) {
	c := mustCipher(b, officialKey, vecAAppID)
	b.SetBytes(int64(len(vecAMsg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decrypt(vecAEncrypt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncrypt(b *testing.B) {
	c := mustCipher(b, officialKey, vecAAppID)
	msg := []byte(vecAMsg)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Encrypt(msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseMessage(b *testing.B) {
	data := []byte(vecAMsg)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseMessage(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReplyMarshal(b *testing.B) {
	r := &Reply{ToUserName: "oyORnuP8q7ou2gfYjqLzSIWZf0rs", FromUserName: "gh_10f6c3c3ac5a", CreateTime: 1409735668,
		MsgType: "text", Content: "感谢关注，回复 1 查看菜单。"}
	b.ReportAllocs()
	for b.Loop() {
		_ = r.Marshal()
	}
}
