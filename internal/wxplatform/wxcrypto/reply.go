package wxcrypto

import "fmt"

// Article is one item of a news reply.
type Article struct {
	Title, Description, PicURL, URL string
}

// Reply is a passive reply (§4), the body the callback answers a message with. Only the fields of MsgType are
// written; the others are ignored.
type Reply struct {
	ToUserName   string // the follower's OpenID: the inbound FromUserName
	FromUserName string // the account's original id: the inbound ToUserName
	CreateTime   int64
	MsgType      string // text image voice video music news

	Content string // text

	MediaID string // image, voice, video

	Title, Description string // video (both optional), music

	MusicURL, HQMusicURL, ThumbMediaID string // music

	// Articles of a news reply. WeChat shows one article in answer to a message and up to eight in answer to
	// an event, dropping the rest; choosing is the caller's business, Marshal writes them all.
	Articles []Article
}

// Marshal writes the reply in WeChat's layout for its type, on one line: CDATA for strings (split where a
// value contains "]]>"), CreateTime and ArticleCount as bare integers. An unknown MsgType gets only the
// common fields, which is what a transfer_customer_service reply needs.
func (r *Reply) Marshal() []byte {
	b := make([]byte, 0, 256+len(r.Content)+len(r.Articles)*256)
	b = append(b, "<xml>"...)
	b = appendCDATAElem(b, "ToUserName", r.ToUserName)
	b = appendCDATAElem(b, "FromUserName", r.FromUserName)
	b = appendIntElem(b, "CreateTime", r.CreateTime)
	b = appendCDATAElem(b, "MsgType", r.MsgType)
	switch r.MsgType {
	case "text":
		b = appendCDATAElem(b, "Content", r.Content)
	case "image":
		b = appendMediaBlock(b, "Image", r.MediaID)
	case "voice":
		b = appendMediaBlock(b, "Voice", r.MediaID)
	case "video":
		b = append(b, "<Video>"...)
		b = appendCDATAElem(b, "MediaId", r.MediaID)
		b = appendCDATAElemIf(b, "Title", r.Title)
		b = appendCDATAElemIf(b, "Description", r.Description)
		b = append(b, "</Video>"...)
	case "music":
		b = append(b, "<Music>"...)
		b = appendCDATAElem(b, "Title", r.Title)
		b = appendCDATAElem(b, "Description", r.Description)
		b = appendCDATAElem(b, "MusicUrl", r.MusicURL)
		b = appendCDATAElem(b, "HQMusicUrl", r.HQMusicURL)
		b = appendCDATAElem(b, "ThumbMediaId", r.ThumbMediaID)
		b = append(b, "</Music>"...)
	case "news":
		b = appendIntElem(b, "ArticleCount", int64(len(r.Articles)))
		b = append(b, "<Articles>"...)
		for _, a := range r.Articles {
			b = append(b, "<item>"...)
			b = appendCDATAElem(b, "Title", a.Title)
			b = appendCDATAElem(b, "Description", a.Description)
			b = appendCDATAElem(b, "PicUrl", a.PicURL)
			b = appendCDATAElem(b, "Url", a.URL)
			b = append(b, "</item>"...)
		}
		b = append(b, "</Articles>"...)
	}
	return append(b, "</xml>"...)
}

// appendMediaBlock writes <Image><MediaId>…</MediaId></Image> and its voice twin.
func appendMediaBlock(b []byte, block, mediaID string) []byte {
	b = appendOpen(b, block)
	b = appendCDATAElem(b, "MediaId", mediaID)
	return appendClose(b, block)
}

// ParseReply reads a passive reply back, as the emulator does with what the console answers. Only the fields
// of its MsgType are kept, mirroring Marshal. A news reply whose ArticleCount differs from its items is
// refused, since WeChat would show nothing.
func ParseReply(data []byte) (*Reply, error) {
	var w replyWalker
	if err := walkDocument(data, &w); err != nil {
		return nil, err
	}
	r := &Reply{
		ToUserName:   w.toUserName,
		FromUserName: w.fromUserName,
		CreateTime:   w.createTime,
		MsgType:      w.msgType,
	}
	switch r.MsgType {
	case "text":
		r.Content = w.content
	case "image":
		r.MediaID = w.image.mediaID
	case "voice":
		r.MediaID = w.voice.mediaID
	case "video":
		r.MediaID, r.Title, r.Description = w.video.mediaID, w.video.title, w.video.description
	case "music":
		r.Title, r.Description = w.music.title, w.music.description
		r.MusicURL, r.HQMusicURL, r.ThumbMediaID = w.music.musicURL, w.music.hqMusicURL, w.music.thumbMediaID
	case "news":
		if w.articleCount != int64(len(w.articles)) {
			return nil, fmt.Errorf("%w: ArticleCount %d but %d items", ErrMalformedXML, w.articleCount, len(w.articles))
		}
		r.Articles = w.articles
	}
	return r, nil
}

// replyBlock holds the children of <Image>, <Voice>, <Video> or <Music>, which share names.
type replyBlock struct {
	mediaID, title, description, musicURL, hqMusicURL, thumbMediaID string
}

// replyWalker gathers every element a reply of any type may have; ParseReply keeps those of its MsgType.
type replyWalker struct {
	toUserName, fromUserName, msgType, content string
	createTime, articleCount                   int64
	image, voice, video, music                 replyBlock
	articles                                   []Article
}

func (w *replyWalker) start(path []string) {
	if len(path) == 2 && path[0] == "Articles" && path[1] == "item" {
		w.articles = append(w.articles, Article{})
	}
}

func (w *replyWalker) end(path []string, text []byte) error {
	var err error
	switch len(path) {
	case 1:
		switch path[0] {
		case "ToUserName":
			w.toUserName = string(text)
		case "FromUserName":
			w.fromUserName = string(text)
		case "CreateTime":
			w.createTime, err = parseIntField(path[0], text, 64)
		case "MsgType":
			w.msgType = string(text)
		case "Content":
			w.content = string(text)
		case "ArticleCount":
			w.articleCount, err = parseIntField(path[0], text, 64)
		}
	case 2:
		var blk *replyBlock
		switch path[0] {
		case "Image":
			blk = &w.image
		case "Voice":
			blk = &w.voice
		case "Video":
			blk = &w.video
		case "Music":
			blk = &w.music
		default:
			return nil
		}
		switch path[1] {
		case "MediaId":
			blk.mediaID = string(text)
		case "Title":
			blk.title = string(text)
		case "Description":
			blk.description = string(text)
		case "MusicUrl":
			blk.musicURL = string(text)
		case "HQMusicUrl":
			blk.hqMusicURL = string(text)
		case "ThumbMediaId":
			blk.thumbMediaID = string(text)
		}
	case 3:
		if path[0] != "Articles" || path[1] != "item" || len(w.articles) == 0 {
			return nil
		}
		a := &w.articles[len(w.articles)-1]
		switch path[2] {
		case "Title":
			a.Title = string(text)
		case "Description":
			a.Description = string(text)
		case "PicUrl":
			a.PicURL = string(text)
		case "Url":
			a.URL = string(text)
		}
	}
	return err
}
