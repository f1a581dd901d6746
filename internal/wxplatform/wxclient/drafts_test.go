package wxclient

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

func TestDraftsAndPublishing(t *testing.T) {
	e := newTestEnv(t)
	c := e.client()
	ctx := ctxT(t)
	app := e.demo.AppID
	e.emu.SetPublishOutcome(app, wxemu.PublishOutcome{})

	cover, err := c.AddMaterial(ctx, app, MaterialImage, File{Filename: "c.jpg", ContentType: "image/jpeg",
		Body: bytes.NewReader(jpegBytes), Size: int64(len(jpegBytes))}, nil)
	require.NoError(t, err)
	url, err := c.UploadImage(ctx, app, File{Filename: "in.jpg", Body: bytes.NewReader(jpegBytes), Size: int64(len(jpegBytes))})
	require.NoError(t, err)

	a := DraftArticle{Title: "标题", Author: "作者", Content: `<p>x</p><img src="` + url + `">`, ThumbMediaID: cover.MediaID, NeedOpenComment: 1}
	mediaID, err := c.AddDraft(ctx, app, []DraftArticle{a, a})
	require.NoError(t, err)
	require.Contains(t, string(e.last("/cgi-bin/draft/add").Body), `"need_open_comment":1`)
	require.Contains(t, string(e.last("/cgi-bin/draft/add").Body), `<img src=\"`+url, "no HTML escaping of the content")

	a.Title = "改"
	require.NoError(t, c.UpdateDraft(ctx, app, mediaID, 1, a))
	items, err := c.GetDraft(ctx, app, mediaID)
	require.NoError(t, err)
	require.Len(t, items, 2)
	require.Equal(t, "改", items[1].Title)
	n, err := c.DraftCount(ctx, app)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	list, err := c.BatchGetDrafts(ctx, app, 0, 20, true)
	require.NoError(t, err)
	require.Equal(t, mediaID, list.Item[0].MediaID)
	_, err = c.BatchGetDrafts(ctx, app, 0, 21, true)
	require.Error(t, err)

	sub, err := c.SubmitPublish(ctx, app, mediaID)
	require.NoError(t, err)
	st, err := c.GetPublish(ctx, app, sub.PublishID)
	require.NoError(t, err)
	require.Equal(t, 1, st.PublishStatus)
	require.True(t, e.emu.CompletePublishing(app, sub.PublishID))
	st, err = c.GetPublish(ctx, app, sub.PublishID)
	require.NoError(t, err)
	require.Equal(t, 0, st.PublishStatus)
	require.Len(t, st.ArticleDetail.Item, 2)
	pub, err := c.BatchGetPublished(ctx, app, 0, 10, false)
	require.NoError(t, err)
	require.Equal(t, st.ArticleID, pub.Item[0].ArticleID)
	arts, err := c.GetPublishedArticle(ctx, app, st.ArticleID)
	require.NoError(t, err)
	require.False(t, arts[0].IsDeleted)
	require.NoError(t, c.DeletePublished(ctx, app, st.ArticleID, 0))

	_, err = c.GetDraft(ctx, app, "nope")
	require.Equal(t, CodeInvalidMediaID, Code(err))
	e.emu.SetFault("/cgi-bin/freepublish/submit", wxemu.Fault{Errcode: 53503, Times: 1})
	_, err = c.SubmitPublish(ctx, app, "whatever")
	require.Equal(t, CodeDraftNotChecked, Code(err))
	var we *Error
	require.ErrorAs(t, err, &we)
	require.Contains(t, we.Explanation(), "publishing check")
	require.NoError(t, c.DeleteDraft(ctx, app, func() string {
		id, err := c.AddDraft(ctx, app, []DraftArticle{a})
		require.NoError(t, err)
		return id
	}()))
}
