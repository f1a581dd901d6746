package reply

import "github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"

// MatchKindQRCode is the Match.Kind of an answer given by a QR code's own reply (contract §20), which
// wins over the subscribe and default replies.
const MatchKindQRCode = "qrcode"

// Passive renders c, a reply of type t, as the passive reply model (MsgType and body fields; the callback
// fills the addressing and CreateTime), with at most maxArticles articles. Other capabilities that answer
// in the callback's place (a QR code's reply) render through it, so every answer is rendered alike.
func (c Content) Passive(t ReplyType, maxArticles int) wxcrypto.Reply {
	return render(t, c, maxArticles)
}

// APIReply answers c, a reply of type t, in the API's shape for its type (contract §6), as listReply shows
// a rule's reply.
func (c Content) APIReply(t ReplyType) any { return apiReply(t, c) }
