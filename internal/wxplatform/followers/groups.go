package followers

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"golang.org/x/sync/errgroup"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/audit"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// lookupConcurrency bounds the per-follower calls (tags/getidlist) one request makes at once.
const lookupConcurrency = 4

// Groups answers every group: 0 未分组, 1 黑名单, 2 星标组, then the account's tags by id. Tag counts are
// WeChat's (tags/get). Groups 0 and 1 have no count at WeChat: they come from the mirror once a sync
// has run; before that, 1 is the blacklist's total and 0 is estimated as the followers' total less the
// tagged and blacklisted ones (a follower carrying two tags makes it low).
func (s *Service) Groups(ctx context.Context, a *accounts.Account) ([]Group, error) {
	tags, err := s.wx.Tags(ctx, a.AppID)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	ungrouped, blacklisted, ok, err := s.store.mirrorCounts(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	if !ok {
		if ungrouped, blacklisted, err = s.estimateCounts(ctx, a.AppID, tags); err != nil {
			return nil, err
		}
	}
	out := []Group{
		{ID: GroupUngrouped, Name: reservedNames[GroupUngrouped], Count: ungrouped},
		{ID: GroupBlacklist, Name: reservedNames[GroupBlacklist], Count: blacklisted},
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].ID < tags[j].ID })
	hasStar := slices.ContainsFunc(tags, func(t wxclient.Tag) bool { return t.ID == GroupStarred })
	if !hasStar {
		out = append(out, Group{ID: GroupStarred, Name: reservedNames[GroupStarred]})
	}
	for _, t := range tags {
		if t.ID == GroupUngrouped || t.ID == GroupBlacklist {
			continue
		}
		out = append(out, Group{ID: t.ID, Name: t.Name, Count: t.Count})
	}
	return out, nil
}

func (s *Service) estimateCounts(ctx context.Context, appid string, tags []wxclient.Tag) (ungrouped, blacklisted int, err error) {
	all, err := s.wx.Followers(ctx, appid, "")
	if err != nil {
		return 0, 0, fmt.Errorf("count followers: %w", err)
	}
	bl, err := s.wx.Blacklist(ctx, appid, "")
	if err != nil {
		return 0, 0, fmt.Errorf("count blacklist: %w", err)
	}
	blacklisted = max(bl.Total, bl.Count)
	ungrouped = all.Total - blacklisted
	for _, t := range tags {
		ungrouped -= t.Count
	}
	return max(ungrouped, 0), blacklisted, nil
}

// findTag answers the account's tag with id, or ErrGroupNotFound.
func (s *Service) findTag(ctx context.Context, appid string, id int) (wxclient.Tag, []wxclient.Tag, error) {
	tags, err := s.wx.Tags(ctx, appid)
	if err != nil {
		return wxclient.Tag{}, nil, fmt.Errorf("list groups: %w", err)
	}
	for _, t := range tags {
		if t.ID == id {
			return t, tags, nil
		}
	}
	return wxclient.Tag{}, tags, apperr.Wrap(apperr.NotFound, fmt.Sprintf("groupId: no group %d", id), ErrGroupNotFound).WithKey("followers.err.no_group", id)
}

func nameTaken(tags []wxclient.Tag, name string, self int) bool {
	return slices.ContainsFunc(tags, func(t wxclient.Tag) bool { return t.Name == name && t.ID != self })
}

// CreateGroup creates a tag. A name already used (also by a reserved group) is 40900.
func (s *Service) CreateGroup(ctx context.Context, a *accounts.Account, name string) (Group, error) {
	name, err := CheckGroupName(name)
	if err != nil {
		return Group{}, err
	}
	tags, err := s.wx.Tags(ctx, a.AppID)
	if err != nil {
		return Group{}, fmt.Errorf("list groups: %w", err)
	}
	if nameTaken(tags, name, -1) {
		return Group{}, ErrGroupTaken
	}
	t, err := s.wx.CreateTag(ctx, a.AppID, name)
	if err != nil {
		return Group{}, fmt.Errorf("create group: %w", err)
	}
	if err := s.recordGroup(ctx, a, "createGroup", t.ID, "", t.Name); err != nil {
		return Group{}, err
	}
	return Group{ID: t.ID, Name: t.Name}, nil
}

// UpdateGroup renames a tag. Reserved groups are 40300, unknown ones 40400, a name in use 40900.
func (s *Service) UpdateGroup(ctx context.Context, a *accounts.Account, id int, name string) (Group, error) {
	if _, reserved := reservedNames[id]; reserved {
		return Group{}, ErrReservedGroup
	}
	name, err := CheckGroupName(name)
	if err != nil {
		return Group{}, err
	}
	t, tags, err := s.findTag(ctx, a.AppID, id)
	if err != nil {
		return Group{}, err
	}
	if nameTaken(tags, name, id) {
		return Group{}, ErrGroupTaken
	}
	if t.Name != name {
		if err := s.wx.UpdateTag(ctx, a.AppID, id, name); err != nil {
			return Group{}, fmt.Errorf("rename group: %w", err)
		}
		if err := s.recordGroup(ctx, a, "updateGroup", id, t.Name, name); err != nil {
			return Group{}, err
		}
	}
	return Group{ID: id, Name: name, Count: t.Count}, nil
}

// DeleteGroup deletes a tag; WeChat removes it from its followers, and so does the mirror.
func (s *Service) DeleteGroup(ctx context.Context, a *accounts.Account, id int) error {
	if _, reserved := reservedNames[id]; reserved {
		return ErrReservedGroup
	}
	t, _, err := s.findTag(ctx, a.AppID, id)
	if err != nil {
		return err
	}
	if err := s.wx.DeleteTag(ctx, a.AppID, id); err != nil {
		return fmt.Errorf("delete group: %w", err)
	}
	return s.store.inTx(ctx, func(st store, tx *gorm.DB) error {
		if err := st.dropTag(ctx, a.ID, id); err != nil {
			return err
		}
		return recordFollowers(ctx, tx, a, "deleteGroup", audit.Target("group", id), audit.Deleted(map[string]any{"name": t.Name}))
	})
}

// WhichGroup answers a follower's group: 1 when blacklisted (as the mirror knows, the console being
// the one that blacklists), else their first tag at WeChat (tags/getidlist), else 0.
func (s *Service) WhichGroup(ctx context.Context, a *accounts.Account, openid string) (int, error) {
	if err := checkOpenID("openid", openid); err != nil {
		return 0, err
	}
	tags, err := s.wx.UserTags(ctx, a.AppID, openid)
	if err != nil {
		return 0, fmt.Errorf("read follower's groups: %w", err)
	}
	known, err := s.store.knownState(ctx, a.ID, []string{openid})
	if err != nil {
		return 0, err
	}
	bl := known[openid]
	if err := s.store.setTags(ctx, a.ID, openid, tags, bl); err != nil {
		return 0, err
	}
	return groupOf(bl, tags), nil
}

// MoveUsers puts followers in a group, as WeChat's old groups did (a follower is in one group):
//   - group 1 blacklists them (batchblacklist, 20 at a time); their tags stay, and come back into view
//     when they leave the blacklist;
//   - any other group takes them off the blacklist first (batchunblacklist) when the mirror says they are
//     on it or does not know them;
//   - group 0 removes every tag they carry (batchuntagging, 50 at a time per tag);
//   - a tag replaces the tags they carry with that one (batchuntagging, then batchtagging).
//
// It runs in four phases: check the request, read where the followers stand (mirror and WeChat), plan the
// WeChat calls (pure), make them, then record the result in the mirror in batched writes.
func (s *Service) MoveUsers(ctx context.Context, a *accounts.Account, groupID int, openids []string) error {
	openids, err := s.checkMove(ctx, a, groupID, openids)
	if err != nil {
		return err
	}
	known, err := s.store.knownState(ctx, a.ID, openids)
	if err != nil {
		return err
	}
	current, err := s.userTags(ctx, a.AppID, openids)
	if err != nil {
		return err
	}
	p := planMove(groupID, openids, known, current)
	if err := s.applyMove(ctx, a.AppID, groupID, p); err != nil {
		return err
	}
	return s.store.inTx(ctx, func(st store, tx *gorm.DB) error {
		if err := st.setTagsMany(ctx, a.ID, p.record); err != nil {
			return err
		}
		return recordMove(ctx, tx, a, groupID, current, p.record)
	})
}

// checkMove validates a move and answers its openids sorted and without repeats.
func (s *Service) checkMove(ctx context.Context, a *accounts.Account, groupID int, openids []string) ([]string, error) {
	if len(openids) == 0 {
		return nil, apperr.Missing("openid")
	}
	if len(openids) > maxMoveOpenIDs {
		return nil, apperr.Invalidf("openid", "at most %d followers at once", maxMoveOpenIDs).WithKey("followers.err.too_many", "openid", maxMoveOpenIDs)
	}
	openids = slices.Clone(openids)
	slices.Sort(openids)
	openids = slices.Compact(openids)
	for _, o := range openids {
		if err := checkOpenID("openid", o); err != nil {
			return nil, err
		}
	}
	if groupID != GroupUngrouped && groupID != GroupBlacklist {
		if _, _, err := s.findTag(ctx, a.AppID, groupID); err != nil {
			return nil, err
		}
	}
	return openids, nil
}

// movePlan is what a move asks of WeChat, in order, and what the mirror records afterwards.
type movePlan struct {
	blacklist []string         // batchblacklist (moves to group 1 only)
	unblock   []string         // batchunblacklist
	untag     []int            // tags to take off, in order…
	carriers  map[int][]string // …from these followers
	tag       []string         // batchtagging with the target group
	record    []tagState       // the followers' groups afterwards
}

// tagState is a follower's tags and blacklisting as the mirror records them.
type tagState struct {
	OpenID      string
	Tags        []int
	Blacklisted bool
}

// planMove decides a move from where the followers stand: known is the mirror's blacklisting of the
// followers it knows, current their tags at WeChat.
func planMove(groupID int, openids []string, known map[string]bool, current map[string][]int) movePlan {
	var p movePlan
	if groupID == GroupBlacklist {
		p.blacklist = openids
		for _, o := range openids {
			p.record = append(p.record, tagState{OpenID: o, Tags: current[o], Blacklisted: true})
		}
		return p
	}
	for _, o := range openids {
		if bl, ok := known[o]; bl || !ok {
			p.unblock = append(p.unblock, o)
		}
	}
	// Untag: for each tag other than the target, the followers carrying it.
	p.carriers = map[int][]string{}
	for _, o := range openids {
		for _, t := range current[o] {
			if t == groupID {
				continue
			}
			if p.carriers[t] == nil {
				p.untag = append(p.untag, t)
			}
			p.carriers[t] = append(p.carriers[t], o)
		}
	}
	slices.Sort(p.untag)
	final := []int{}
	if groupID != GroupUngrouped {
		final = []int{groupID}
		for _, o := range openids {
			if !slices.Contains(current[o], groupID) {
				p.tag = append(p.tag, o)
			}
		}
	}
	for _, o := range openids {
		p.record = append(p.record, tagState{OpenID: o, Tags: final})
	}
	return p
}

// applyMove makes a plan's WeChat calls at WeChat's batch sizes.
func (s *Service) applyMove(ctx context.Context, appid string, groupID int, p movePlan) error {
	for _, part := range chunks(p.blacklist, batchBlacklist) {
		if err := s.wx.BatchBlacklist(ctx, appid, part); err != nil {
			return fmt.Errorf("blacklist: %w", err)
		}
	}
	for _, part := range chunks(p.unblock, batchBlacklist) {
		if err := s.wx.BatchUnblacklist(ctx, appid, part); err != nil {
			return fmt.Errorf("take off the blacklist: %w", err)
		}
	}
	for _, t := range p.untag {
		for _, part := range chunks(p.carriers[t], batchTagging) {
			if err := s.wx.BatchUntagging(ctx, appid, t, part); err != nil {
				return fmt.Errorf("remove group %d: %w", t, err)
			}
		}
	}
	for _, part := range chunks(p.tag, batchTagging) {
		if err := s.wx.BatchTagging(ctx, appid, groupID, part); err != nil {
			return fmt.Errorf("add to group %d: %w", groupID, err)
		}
	}
	return nil
}

// userTags asks WeChat the tags of each follower, a few at a time.
func (s *Service) userTags(ctx context.Context, appid string, openids []string) (map[string][]int, error) {
	out := make(map[string][]int, len(openids))
	res := make([][]int, len(openids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(lookupConcurrency)
	for i, o := range openids {
		g.Go(func() error {
			tags, err := s.wx.UserTags(gctx, appid, o)
			if err != nil {
				return fmt.Errorf("read groups of %s: %w", o, err)
			}
			res[i] = tags
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i, o := range openids {
		out[o] = res[i]
	}
	return out, nil
}

// UpdateRemark sets a follower's remark at WeChat and in the mirror.
func (s *Service) UpdateRemark(ctx context.Context, a *accounts.Account, openid, remark string) error {
	if err := checkOpenID("openid", openid); err != nil {
		return err
	}
	remark, err := CheckRemark(remark)
	if err != nil {
		return err
	}
	if err := s.wx.UpdateRemark(ctx, a.AppID, openid, remark); err != nil {
		return fmt.Errorf("update remark: %w", err)
	}
	return s.store.setRemarkRecorded(ctx, a, openid, remark)
}
