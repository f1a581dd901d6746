package followers

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// The groups of the spec are WeChat's user tags. Three ids are WeChat's own: 0 (未分组, followers without
// a tag: WeChat lists no such tag, the console counts them in its mirror), 1 (黑名单, the blacklist: its
// own calls, never a tag) and 2 (星标组, a real tag that tags/get lists). Tags the operator creates are
// numbered from 100.
const (
	GroupUngrouped = 0
	GroupBlacklist = 1
	GroupStarred   = 2
)

// Names of the reserved groups, as WeChat's admin shows them.
var reservedNames = map[int]string{GroupUngrouped: "未分组", GroupBlacklist: "黑名单", GroupStarred: "星标组"}

// Limits of the package.
const (
	maxGroupNameBytes = 30 // WeChat's 45158 counts UTF-8 bytes: 10 Chinese characters
	maxRemarkRunes    = 30 // contract §7: characters
	maxMoveOpenIDs    = 500
	maxOpenIDLen      = 64
)

// Group is a group as the API shows it.
type Group struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Errors of the package.
var (
	// ErrReservedGroup answers renaming or deleting 0, 1 or 2. It is 40300 ("not allowed"), not 40000: the
	// request is well formed, the group is simply WeChat's own, as WeChat's 45058 says.
	ErrReservedGroup = apperr.New(apperr.Forbidden, "groups 0 (未分组), 1 (黑名单) and 2 (星标组) are WeChat's own and cannot be renamed or deleted").WithKey("followers.err.reserved")
	ErrGroupNotFound = apperr.New(apperr.NotFound, "no such group").WithKey("followers.err.group_not_found")
	ErrGroupTaken    = apperr.New(apperr.Conflict, "a group with this name already exists").WithKey("followers.err.group_taken")
)

var openIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// checkOpenID validates one openid as WeChat issues them (28 characters of letters, digits, - and _;
// up to 64 accepted).
func checkOpenID(field, openid string) error {
	switch {
	case openid == "":
		return apperr.Missing(field)
	case len(openid) > maxOpenIDLen || !openIDPattern.MatchString(openid):
		return apperr.Invalidf(field, "is not an openid (letters, digits, - and _)").WithKey("followers.err.openid", field)
	}
	return nil
}

// CheckGroupName validates a new group name: 1 to 30 bytes of UTF-8 (WeChat's 45158), printable, not the
// name of a reserved group.
func CheckGroupName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", apperr.Missing("groupName")
	case !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", apperr.Invalidf("groupName", "must be printable text").WithKey("err.field.printable", "groupName")
	case len(name) > maxGroupNameBytes:
		return "", apperr.Invalidf("groupName", "must be at most %d bytes of UTF-8 (WeChat's limit: 30 letters or 10 Chinese characters), got %d", maxGroupNameBytes, len(name)).WithKey("followers.err.group_name_long", "groupName", maxGroupNameBytes, len(name))
	}
	for _, r := range reservedNames {
		if r == name {
			return "", ErrGroupTaken
		}
	}
	return name, nil
}

// CheckRemark validates a follower's remark: at most 30 characters (an empty remark clears it).
func CheckRemark(remark string) (string, error) {
	remark = strings.TrimSpace(remark)
	switch {
	case !utf8.ValidString(remark) || strings.IndexFunc(remark, unicode.IsControl) >= 0:
		return "", apperr.Invalidf("remark", "must be printable text").WithKey("err.field.printable", "remark")
	case utf8.RuneCountInString(remark) > maxRemarkRunes:
		return "", apperr.Invalidf("remark", "must be at most %d characters", maxRemarkRunes).WithKey("err.field.max_chars", "remark", maxRemarkRunes)
	}
	return remark, nil
}

// checkGroupID validates a group id as sent: a non-negative integer.
func checkGroupID(id int64) (int, error) {
	if id < 0 || id > 1<<31-1 {
		return 0, apperr.Invalidf("groupId", "must be a group id (0 or more)").WithKey("followers.err.group_id", "groupId")
	}
	return int(id), nil
}

// groupOf is the group the spec reports for a follower: 1 while blacklisted, else the first tag, else 0.
func groupOf(blacklisted bool, tags []int) int {
	switch {
	case blacklisted:
		return GroupBlacklist
	case len(tags) > 0:
		return tags[0]
	}
	return GroupUngrouped
}
