package followers

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// UserView is a follower as the group users call answers it: WeChat's user/info fields, the account's
// appid (as the spec's example shows), and the follower's group.
type UserView struct {
	AppID          string `json:"appid"`
	Subscribe      int    `json:"subscribe"`
	OpenID         string `json:"openid"`
	Nickname       string `json:"nickname"`
	Sex            int    `json:"sex"`
	Language       string `json:"language"`
	City           string `json:"city"`
	Province       string `json:"province"`
	Country        string `json:"country"`
	HeadImgURL     string `json:"headimgurl"`
	SubscribeTime  int64  `json:"subscribe_time"`
	UnionID        string `json:"unionid,omitempty"`
	Remark         string `json:"remark"`
	GroupID        int    `json:"groupid"`
	TagIDList      []int  `json:"tagid_list"`
	SubscribeScene string `json:"subscribe_scene"`
	QRScene        int64  `json:"qr_scene"`
	QRSceneStr     string `json:"qr_scene_str"`
}

func viewFromInfo(appid string, u wxclient.UserInfo, blacklisted bool) UserView {
	tags := u.TagIDList
	if tags == nil {
		tags = []int{}
	}
	return UserView{AppID: appid, Subscribe: u.Subscribe, OpenID: u.OpenID, Nickname: u.Nickname, Sex: u.Sex,
		Language: u.Language, City: u.City, Province: u.Province, Country: u.Country, HeadImgURL: u.HeadImgURL,
		SubscribeTime: u.SubscribeTime, UnionID: u.UnionID, Remark: u.Remark, GroupID: groupOf(blacklisted, tags),
		TagIDList: tags, SubscribeScene: u.SubscribeScene, QRScene: u.QRScene, QRSceneStr: u.QRSceneStr}
}

func viewFromRow(appid string, r followerRow) UserView {
	sub := 0
	if r.Subscribed {
		sub = 1
	}
	return UserView{AppID: appid, Subscribe: sub, OpenID: r.OpenID, Nickname: r.Nickname, Sex: r.Sex,
		Language: r.Language, City: r.City, Province: r.Province, Country: r.Country, HeadImgURL: r.HeadImgURL,
		SubscribeTime: r.SubscribeTime, UnionID: r.UnionID, Remark: r.Remark, GroupID: r.GroupID,
		TagIDList: toInts(r.TagIDList), SubscribeScene: r.SubscribeScene, QRScene: r.QRScene, QRSceneStr: r.QRSceneStr}
}

// Page bounds of the group users call.
const (
	defaultGroupUsers = 100
	maxGroupUsers     = 1000
)

// GroupUsers answers the followers of a group, in WeChat's order, from offset, at most limit of them.
// Tags and the blacklist are read live from WeChat (user/tag/get or getblacklist, then batchget 100 at a
// time); group 0 has no WeChat call and comes from the mirror (it needs a sync).
func (s *Service) GroupUsers(ctx context.Context, a *accounts.Account, groupID, offset, limit int) ([]UserView, error) {
	if groupID == GroupUngrouped {
		rows, err := s.store.ungroupedPage(ctx, a.ID, offset, limit)
		if err != nil {
			return nil, err
		}
		out := make([]UserView, len(rows))
		for i, r := range rows {
			out[i] = viewFromRow(a.AppID, r)
		}
		return out, nil
	}
	var next func(cursor string) (wxclient.FollowerList, error)
	if groupID == GroupBlacklist {
		next = func(cursor string) (wxclient.FollowerList, error) { return s.wx.Blacklist(ctx, a.AppID, cursor) }
	} else {
		if _, _, err := s.findTag(ctx, a.AppID, groupID); err != nil {
			return nil, err
		}
		next = func(cursor string) (wxclient.FollowerList, error) {
			return s.wx.TagUsers(ctx, a.AppID, groupID, cursor)
		}
	}
	ids, err := collect(next, offset+limit)
	if err != nil {
		return nil, fmt.Errorf("list group %d: %w", groupID, err)
	}
	if offset >= len(ids) {
		return []UserView{}, nil
	}
	ids = ids[offset:min(len(ids), offset+limit)]
	infos, err := s.infos(ctx, a.AppID, ids)
	if err != nil {
		return nil, err
	}
	out := make([]UserView, len(infos))
	for i, u := range infos {
		out[i] = viewFromInfo(a.AppID, u, groupID == GroupBlacklist)
	}
	return out, nil
}

// collect pages through a WeChat follower list until it holds want openids or ends.
func collect(next func(cursor string) (wxclient.FollowerList, error), want int) ([]string, error) {
	var ids []string
	cursor := ""
	for len(ids) < want {
		p, err := next(cursor)
		if err != nil {
			return nil, err
		}
		page := pageIDs(p)
		ids = append(ids, page...)
		if len(page) == 0 || p.NextOpenID == "" || p.NextOpenID == cursor {
			break
		}
		cursor = p.NextOpenID
	}
	return ids, nil
}

// infos asks WeChat the profiles of openids, 100 per batchget, a few calls at once, in order.
func (s *Service) infos(ctx context.Context, appid string, openids []string) ([]wxclient.UserInfo, error) {
	parts := chunks(openids, batchUserInfo)
	res := make([][]wxclient.UserInfo, len(parts))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(lookupConcurrency)
	for i, part := range parts {
		g.Go(func() error {
			infos, err := s.wx.BatchUserInfo(gctx, appid, part, wxclient.LangZhCN)
			if err != nil {
				return fmt.Errorf("read followers' profiles: %w", err)
			}
			res[i] = infos
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make([]wxclient.UserInfo, 0, len(openids))
	for _, r := range res {
		out = append(out, r...)
	}
	return out, nil
}

// Search answers a page of the mirror's subscribed followers matching q, newest first, and the number
// of matches.
func (s *Service) Search(ctx context.Context, a *accounts.Account, q Query) ([]Follower, int64, error) {
	rows, total, err := s.store.search(ctx, a.ID, q)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Follower, len(rows))
	for i, r := range rows {
		out[i] = Follower{OpenID: r.OpenID, Nickname: r.Nickname, Remark: r.Remark, GroupID: r.GroupID,
			TagIDList: toInts(r.TagIDList), SubscribeTime: r.SubscribeTime}
	}
	return out, total, nil
}
