package materials

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
)

// ArticleImage is a picture inside an article's content, sent to WeChat with media/uploadimg rather than
// kept as a permanent material: jpg or png, at most 1 MB.
const ArticleImage Kind = "articleimage"

// ImageUpload is an article image read from a request and checked, ready to forward.
type ImageUpload struct {
	// Body holds the request's text fields (appid), the query underneath.
	Body *httpapi.Body
	// Filename is the sanitised name with the extension of the detected format.
	Filename    string
	ContentType string
	Data        []byte
}

// ReadArticleImage reads a multipart/form-data request {file} holding an article image with the bounds
// every upload has (the body and the file limited while reading, never buffered beyond 1 MB plus the
// form's margin) and checks the file by its bytes: over 1 MB is 41300, anything but jpg or png 41500, no
// file 40000. The caller closes the connection after a failure (the body may be unread).
func ReadArticleImage(w http.ResponseWriter, r *http.Request) (*ImageUpload, error) {
	form, err := readUpload(w, r, uploadSpec{fileFields: []string{"file", "media"}, maxFile: ArticleImage.Limit(),
		kindOf: fixed(ArticleImage)})
	if err != nil {
		return nil, err
	}
	if form.data == nil {
		return nil, ErrMissingFile
	}
	up := Upload{Kind: ArticleImage, Filename: form.filename, Data: form.data}
	f, err := up.Check()
	if err != nil {
		return nil, err
	}
	return &ImageUpload{Body: form.body, Filename: nameFor(form.filename, f), ContentType: f.contentType, Data: form.data}, nil
}

// CheckArticleImage checks bytes already in hand as an article image (size, then format by the bytes),
// answering the name to send them under and their content type.
func CheckArticleImage(filename string, data []byte) (name, contentType string, err error) {
	up := Upload{Kind: ArticleImage, Filename: filename, Data: data}
	f, err := up.Check()
	if err != nil {
		return "", "", err
	}
	return nameFor(filename, f), f.contentType, nil
}

// ErrMissingFile answers an upload without its file.
var ErrMissingFile = apperr.Missing("file")

// Cover answers the account's kept permanent image (or thumb) with mediaID: what an article's cover must
// be. Anything else is ErrNotFound.
func (s *Service) Cover(ctx context.Context, accountID int64, mediaID string) (*Material, error) {
	r, err := s.store.cover(ctx, accountID, mediaID)
	if err != nil {
		return nil, err
	}
	m := r.material()
	return &m, nil
}

func (s *store) cover(ctx context.Context, accountID int64, mediaID string) (*materialRow, error) {
	var r materialRow
	err := s.db.WithContext(ctx).Select(listColumns).
		Where("account_id = ? AND media_id = ? AND kind IN ('image', 'thumb')", accountID, mediaID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read cover: %w", err)
	}
	return &r, nil
}
