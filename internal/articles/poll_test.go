package articles

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/jobs/jobstest"
)

func TestPollDelay(t *testing.T) {
	require.Equal(t, 3*time.Second, pollDelay(0))
	require.Equal(t, 3*time.Second, pollDelay(10*time.Second))
	require.Equal(t, 10*time.Second, pollDelay(40*time.Second))
	require.Equal(t, 2*time.Minute, pollDelay(20*time.Minute))
}

// TestPollJob: with no PUBLISHJOBFINISH arriving, the River job alone brings the outcome.
func TestPollJob(t *testing.T) {
	e := newEnv(t)
	q := jobstest.New(t, e.DB, e.DBURL)
	require.NoError(t, e.svc.RegisterJobs(q))
	require.NoError(t, q.Start(context.Background()))

	mediaID := e.call("saveDraft", map[string]any{"articles": []any{e.article("一", "<p>1</p>")}}).body["mediaId"].(string)
	pub := e.call("publishDraft", map[string]any{"mediaId": mediaID})
	require.Equal(t, 0, pub.code(), "%v", pub.body)
	publishID := pub.body["publishId"].(string)
	var jobs int64
	require.NoError(t, e.DB.Raw(`SELECT count(*) FROM river_job WHERE kind = 'articles_publish_poll'`).Scan(&jobs).Error)
	require.Equal(t, int64(1), jobs, "publishing enqueued its watch in the same transaction")

	require.True(t, e.Emu.CompletePublishing(e.appid, publishID)) // no callback set: no event comes
	require.Eventually(t, func() bool {
		var status string
		_ = e.DB.Raw(`SELECT status FROM article_publishes WHERE publish_id = ?`, publishID).Scan(&status).Error
		return status == StatusPublished
	}, 20*time.Second, 100*time.Millisecond)
	var source string
	require.NoError(t, e.DB.Raw(`SELECT source FROM article_publishes WHERE publish_id = ?`, publishID).Scan(&source).Error)
	require.Equal(t, "poll", source)
	require.Eventually(t, func() bool {
		var state string
		_ = e.DB.Raw(`SELECT state FROM river_job WHERE kind = 'articles_publish_poll'`).Scan(&state).Error
		return state == "completed"
	}, 10*time.Second, 100*time.Millisecond)
}
