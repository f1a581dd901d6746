package wxclient

import (
	"context"
	"net/url"
	"strings"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// Material types of material/add_material and batchget_material.
const (
	MaterialImage = "image"
	MaterialVoice = "voice"
	MaterialVideo = "video"
	MaterialThumb = "thumb"
	MaterialNews  = "news" // batchget_material only
)

// MaxMaterialBatch is the largest count of batchget_material.
const MaxMaterialBatch = 20

var (
	errMissingMedia    = apperr.Missing("media")
	errMissingFilename = apperr.Invalidf("media", "needs a file name").WithKey("wxclient.err.filename", "media")
	errUploadSize      = apperr.New(apperr.TooLarge, "the file is larger than WeChat accepts").WithKey("wxclient.err.file_size")
)

// VideoDescription is the "description" field of a video upload.
type VideoDescription struct {
	Title        string `json:"title"`
	Introduction string `json:"introduction"`
}

// AddMaterialResponse is the answer of material/add_material; URL is set for images only (and works on
// Tencent's domains only).
type AddMaterialResponse struct {
	MediaID string `json:"media_id"`
	URL     string `json:"url,omitempty"`
}

// MediaIDRequest is the body of material/del_material.
type MediaIDRequest struct {
	MediaID string `json:"media_id"`
}

// MaterialCount is the answer of material/get_materialcount.
type MaterialCount struct {
	VoiceCount int `json:"voice_count"`
	VideoCount int `json:"video_count"`
	ImageCount int `json:"image_count"`
	NewsCount  int `json:"news_count"`
}

// BatchGetMaterialRequest is the body of material/batchget_material.
type BatchGetMaterialRequest struct {
	Type   string `json:"type"`
	Offset int    `json:"offset"`
	Count  int    `json:"count"`
}

// MaterialList is its answer.
type MaterialList struct {
	TotalCount int            `json:"total_count"`
	ItemCount  int            `json:"item_count"`
	Item       []MaterialItem `json:"item"`
}

// MaterialItem is one material: a file (name, url) or, for news, articles (content).
type MaterialItem struct {
	MediaID    string       `json:"media_id"`
	Name       string       `json:"name,omitempty"`
	UpdateTime int64        `json:"update_time"`
	URL        string       `json:"url,omitempty"`
	Content    *NewsContent `json:"content,omitempty"`
}

// NewsContent holds the articles of a news material.
type NewsContent struct {
	NewsItem []NewsItem `json:"news_item"`
}

// NewsItem is one article.
type NewsItem struct {
	Title            string `json:"title"`
	ThumbMediaID     string `json:"thumb_media_id"`
	ShowCoverPic     int    `json:"show_cover_pic"`
	Author           string `json:"author"`
	Digest           string `json:"digest"`
	Content          string `json:"content"`
	URL              string `json:"url"`
	ContentSourceURL string `json:"content_source_url"`
}

// UploadImageResponse is the answer of media/uploadimg.
type UploadImageResponse struct {
	URL string `json:"url"`
}

// AddMaterial calls POST cgi-bin/material/add_material?type=, streaming f as the multipart field
// "media"; a video also needs its description (title and introduction). The file's limits (size, type)
// are the caller's to enforce before: this only bounds the size at 20 MB.
func (c *Client) AddMaterial(ctx context.Context, appid, typ string, f File, video *VideoDescription) (AddMaterialResponse, error) {
	switch typ {
	case MaterialImage, MaterialVoice, MaterialThumb, MaterialVideo:
	default:
		return AddMaterialResponse{}, apperr.Invalidf("type", "must be image, voice, video or thumb").WithKey("wxclient.err.material_type", "type")
	}
	if err := f.validate(); err != nil {
		return AddMaterialResponse{}, err
	}
	var fields [][2]string
	if typ == MaterialVideo {
		if video == nil || strings.TrimSpace(video.Title) == "" {
			return AddMaterialResponse{}, apperr.Missing("title")
		}
		desc, err := marshalJSON(video)
		if err != nil {
			return AddMaterialResponse{}, err
		}
		fields = append(fields, [2]string{"description", string(desc)})
	}
	var out AddMaterialResponse
	req := request{method: "POST", path: "/cgi-bin/material/add_material", query: url.Values{"type": {typ}},
		upload: newUpload("media", f, fields...), auth: true}
	err := c.do(ctx, appid, req, &out)
	return out, err
}

// UploadImage calls POST cgi-bin/media/uploadimg: a jpg or png under 1 MB for use inside articles;
// answers its URL.
func (c *Client) UploadImage(ctx context.Context, appid string, f File) (string, error) {
	if err := f.validate(); err != nil {
		return "", err
	}
	var out UploadImageResponse
	req := request{method: "POST", path: "/cgi-bin/media/uploadimg", upload: newUpload("media", f), auth: true}
	err := c.do(ctx, appid, req, &out)
	return out.URL, err
}

// DeleteMaterial calls POST cgi-bin/material/del_material.
func (c *Client) DeleteMaterial(ctx context.Context, appid, mediaID string) error {
	if mediaID == "" {
		return apperr.Missing("media_id")
	}
	return c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/material/del_material", body: MediaIDRequest{MediaID: mediaID}, auth: true}, nil)
}

// MaterialCount calls GET cgi-bin/material/get_materialcount.
func (c *Client) MaterialCount(ctx context.Context, appid string) (MaterialCount, error) {
	var out MaterialCount
	err := c.do(ctx, appid, request{method: "GET", path: "/cgi-bin/material/get_materialcount", auth: true}, &out)
	return out, err
}

// BatchGetMaterial calls POST cgi-bin/material/batchget_material: count (1 to 20) materials of a type
// from offset, newest first.
func (c *Client) BatchGetMaterial(ctx context.Context, appid, typ string, offset, count int) (MaterialList, error) {
	switch typ {
	case MaterialImage, MaterialVoice, MaterialVideo, MaterialNews:
	default:
		return MaterialList{}, apperr.Invalidf("type", "must be image, voice, video or news").WithKey("wxclient.err.list_type", "type")
	}
	if offset < 0 {
		return MaterialList{}, apperr.Invalidf("offset", "must not be negative").WithKey("err.field.negative", "offset")
	}
	if count < 1 || count > MaxMaterialBatch {
		return MaterialList{}, apperr.Invalidf("count", "must be between 1 and %d", MaxMaterialBatch).WithKey("err.field.between", "count", 1, MaxMaterialBatch)
	}
	var out MaterialList
	body := BatchGetMaterialRequest{Type: typ, Offset: offset, Count: count}
	err := c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/material/batchget_material", body: body, auth: true}, &out)
	return out, err
}
