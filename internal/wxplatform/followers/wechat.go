package followers

import (
	"context"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// WeChat is what the package asks of WeChat's user and tag APIs. *wxclient.Client implements it; each
// call takes the official account's appid and answers WeChat's errors as *wxclient.Error.
type WeChat interface {
	Tags(ctx context.Context, appid string) ([]wxclient.Tag, error)
	CreateTag(ctx context.Context, appid, name string) (wxclient.Tag, error)
	UpdateTag(ctx context.Context, appid string, id int, name string) error
	DeleteTag(ctx context.Context, appid string, id int) error
	TagUsers(ctx context.Context, appid string, tagID int, nextOpenID string) (wxclient.FollowerList, error)
	BatchTagging(ctx context.Context, appid string, tagID int, openids []string) error
	BatchUntagging(ctx context.Context, appid string, tagID int, openids []string) error
	UserTags(ctx context.Context, appid, openid string) ([]int, error)
	Blacklist(ctx context.Context, appid, beginOpenID string) (wxclient.FollowerList, error)
	BatchBlacklist(ctx context.Context, appid string, openids []string) error
	BatchUnblacklist(ctx context.Context, appid string, openids []string) error
	Followers(ctx context.Context, appid, nextOpenID string) (wxclient.FollowerList, error)
	BatchUserInfo(ctx context.Context, appid string, openids []string, lang string) ([]wxclient.UserInfo, error)
	UpdateRemark(ctx context.Context, appid, openid, remark string) error
}

var _ WeChat = (*wxclient.Client)(nil)

// WeChat's batch sizes (wechat-protocol.md §9): every list sent to WeChat is cut to these.
const (
	batchUserInfo  = wxclient.MaxUserInfoBatch  // user/info/batchget
	batchTagging   = wxclient.MaxTaggingBatch   // tags/members/batchtagging, batchuntagging
	batchBlacklist = wxclient.MaxBlacklistBatch // tags/members/batchblacklist, batchunblacklist
	pageOpenIDs    = 10000                      // user/get, user/tag/get, getblacklist
)

// chunks cuts list into slices of at most n, sharing list's memory.
func chunks[T any](list []T, n int) [][]T {
	var out [][]T
	for len(list) > 0 {
		k := min(n, len(list))
		out = append(out, list[:k:k])
		list = list[k:]
	}
	return out
}

// pageIDs answers the openids of a page (nil when WeChat left out data).
func pageIDs(p wxclient.FollowerList) []string { return p.Data.OpenID }
