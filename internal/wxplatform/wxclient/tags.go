package wxclient

import (
	"context"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// Reserved tags: WeChat's own groups, which cannot be changed (45058).
const (
	TagUngrouped = 0
	TagBlacklist = 1
	TagStarred   = 2
	// MaxTagNameBytes is the longest tag name (45158 counts UTF-8 bytes).
	MaxTagNameBytes = 30
)

// Tag is one of the account's user tags (the console's "groups").
type Tag struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Count int    `json:"count"` // followers carrying it (tags/get only)
}

// TagFields is the "tag" object of tags/create, tags/update and tags/delete.
type TagFields struct {
	ID   int    `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// TagRequest is the body of tags/create, tags/update and tags/delete.
type TagRequest struct {
	Tag TagFields `json:"tag"`
}

// TagCreated is the answer of tags/create.
type TagCreated struct {
	Tag TagFields `json:"tag"`
}

// TagList is the answer of tags/get.
type TagList struct {
	Tags []Tag `json:"tags"`
}

// TagUsersRequest is the body of user/tag/get.
type TagUsersRequest struct {
	TagID      int    `json:"tagid"`
	NextOpenID string `json:"next_openid"`
}

// TaggingRequest is the body of tags/members/batchtagging and batchuntagging.
type TaggingRequest struct {
	OpenIDList []string `json:"openid_list"`
	TagID      int      `json:"tagid"`
}

// OpenIDRequest is the body of tags/getidlist.
type OpenIDRequest struct {
	OpenID string `json:"openid"`
}

// TagIDList is the answer of tags/getidlist.
type TagIDList struct {
	TagIDList []int `json:"tagid_list"`
}

// BlacklistRequest is the body of tags/members/getblacklist.
type BlacklistRequest struct {
	BeginOpenID string `json:"begin_openid"`
}

// OpenIDListRequest is the body of tags/members/batchblacklist and batchunblacklist.
type OpenIDListRequest struct {
	OpenIDList []string `json:"openid_list"`
}

// CreateTag calls POST cgi-bin/tags/create.
func (c *Client) CreateTag(ctx context.Context, appid, name string) (Tag, error) {
	if err := checkTagName(name); err != nil {
		return Tag{}, err
	}
	var out TagCreated
	err := c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/tags/create", body: TagRequest{Tag: TagFields{Name: name}}, auth: true}, &out)
	return Tag{ID: out.Tag.ID, Name: out.Tag.Name}, err
}

// Tags calls GET cgi-bin/tags/get: every tag of the account, with its follower count.
func (c *Client) Tags(ctx context.Context, appid string) ([]Tag, error) {
	var out TagList
	err := c.do(ctx, appid, request{method: "GET", path: "/cgi-bin/tags/get", auth: true}, &out)
	return out.Tags, err
}

// UpdateTag calls POST cgi-bin/tags/update (rename).
func (c *Client) UpdateTag(ctx context.Context, appid string, id int, name string) error {
	if err := checkTagName(name); err != nil {
		return err
	}
	if id <= 0 {
		return apperr.Invalidf("tag.id", "must be a tag id").WithKey("wxclient.err.tag_id", "tag.id")
	}
	return c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/tags/update", body: TagRequest{Tag: TagFields{ID: id, Name: name}}, auth: true}, nil)
}

// DeleteTag calls POST cgi-bin/tags/delete.
func (c *Client) DeleteTag(ctx context.Context, appid string, id int) error {
	if id <= 0 {
		return apperr.Invalidf("tag.id", "must be a tag id").WithKey("wxclient.err.tag_id", "tag.id")
	}
	return c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/tags/delete", body: TagRequest{Tag: TagFields{ID: id}}, auth: true}, nil)
}

// TagUsers calls POST cgi-bin/user/tag/get: up to 10,000 openids carrying the tag, after nextOpenID.
func (c *Client) TagUsers(ctx context.Context, appid string, tagID int, nextOpenID string) (FollowerList, error) {
	var out FollowerList
	err := c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/user/tag/get", body: TagUsersRequest{TagID: tagID, NextOpenID: nextOpenID}, auth: true}, &out)
	return out, err
}

// BatchTagging calls POST cgi-bin/tags/members/batchtagging for 1 to 50 followers.
func (c *Client) BatchTagging(ctx context.Context, appid string, tagID int, openids []string) error {
	if err := checkOpenIDs("openid_list", openids, MaxTaggingBatch); err != nil {
		return err
	}
	return c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/tags/members/batchtagging", body: TaggingRequest{OpenIDList: openids, TagID: tagID}, auth: true}, nil)
}

// BatchUntagging calls POST cgi-bin/tags/members/batchuntagging for 1 to 50 followers.
func (c *Client) BatchUntagging(ctx context.Context, appid string, tagID int, openids []string) error {
	if err := checkOpenIDs("openid_list", openids, MaxTaggingBatch); err != nil {
		return err
	}
	return c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/tags/members/batchuntagging", body: TaggingRequest{OpenIDList: openids, TagID: tagID}, auth: true}, nil)
}

// UserTags calls POST cgi-bin/tags/getidlist: the tag ids a follower carries.
func (c *Client) UserTags(ctx context.Context, appid, openid string) ([]int, error) {
	if openid == "" {
		return nil, apperr.Missing("openid")
	}
	var out TagIDList
	err := c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/tags/getidlist", body: OpenIDRequest{OpenID: openid}, auth: true}, &out)
	return out.TagIDList, err
}

// Blacklist calls POST cgi-bin/tags/members/getblacklist: up to 10,000 blacklisted openids from
// beginOpenID ("" from the start).
func (c *Client) Blacklist(ctx context.Context, appid, beginOpenID string) (FollowerList, error) {
	var out FollowerList
	err := c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/tags/members/getblacklist", body: BlacklistRequest{BeginOpenID: beginOpenID}, auth: true}, &out)
	return out, err
}

// BatchBlacklist calls POST cgi-bin/tags/members/batchblacklist for 1 to 20 followers.
func (c *Client) BatchBlacklist(ctx context.Context, appid string, openids []string) error {
	if err := checkOpenIDs("openid_list", openids, MaxBlacklistBatch); err != nil {
		return err
	}
	return c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/tags/members/batchblacklist", body: OpenIDListRequest{OpenIDList: openids}, auth: true}, nil)
}

// BatchUnblacklist calls POST cgi-bin/tags/members/batchunblacklist for 1 to 20 followers.
func (c *Client) BatchUnblacklist(ctx context.Context, appid string, openids []string) error {
	if err := checkOpenIDs("openid_list", openids, MaxBlacklistBatch); err != nil {
		return err
	}
	return c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/tags/members/batchunblacklist", body: OpenIDListRequest{OpenIDList: openids}, auth: true}, nil)
}

func checkTagName(name string) error {
	switch {
	case name == "":
		return apperr.Missing("tag.name")
	case len(name) > MaxTagNameBytes:
		return apperr.Invalidf("tag.name", "must be at most %d bytes of UTF-8", MaxTagNameBytes).WithKey("wxclient.err.tag_name", "tag.name", MaxTagNameBytes)
	}
	return nil
}
