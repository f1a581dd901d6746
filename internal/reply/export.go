package reply

import "encoding/json"

// DecodeReply reads a reply object of type typ (text image voice video music multitext, or the spec's
// wrapper carrying its own type) as addReply does, with one article at most: WeChat's rule for what is
// sent in answer to a message, which the customer-service API shares (contract §16). Errors name the
// field (40000).
func DecodeReply(typ string, raw json.RawMessage) (ReplyType, Content, error) {
	return decodeReply(typ, "", raw, MaxArticlesMessage)
}
