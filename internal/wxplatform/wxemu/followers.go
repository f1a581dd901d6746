package wxemu

import (
	"math/rand/v2"
	"slices"
	"sort"
)

// Follower is a generated WeChat user of one official account, as Followers reports it.
type Follower struct {
	OpenID         string
	Nickname       string
	Sex            int // 1 male, 2 female, 0 unknown
	Language       string
	City           string
	Province       string
	Country        string
	HeadImgURL     string
	SubscribeTime  int64
	Subscribed     bool
	SubscribeScene string
	QRScene        int64
	QRSceneStr     string
	Remark         string
	TagIDs         []int
	Blacklisted    bool
}

// follower is the emulator's record of a user; seq orders subscriptions (user/get pages by it).
type follower struct {
	Follower
	seq int64
}

// AddFollowers generates n subscribed followers for appid and returns their openids, in subscription
// order. Openids are 28 characters sharing the account's 6-character prefix, as WeChat's do; nicknames
// mix Chinese and Latin. Unknown appid: nil.
func (e *Emulator) AddFollowers(appid string, n int) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	if acc == nil || n <= 0 {
		return nil
	}
	now := e.now().Unix()
	// Subscription times spread over the last three years, in order, ending before now.
	start := now - 3*365*24*3600
	if len(acc.order) > 0 {
		start = acc.order[len(acc.order)-1].SubscribeTime
	}
	step := max((now-start)/int64(n+1), 1)
	out := make([]string, 0, n)
	acc.order = slices.Grow(acc.order, n)
	for i := range n {
		f := &follower{Follower: randomProfile()}
		for {
			f.OpenID = acc.openidPrefix + randString(openidChars, 22)
			if _, dup := acc.followers[f.OpenID]; !dup {
				break
			}
		}
		f.Subscribed = true
		f.SubscribeTime = min(start+int64(i+1)*step+rand.Int64N(step), now)
		acc.subscribe(f)
		out = append(out, f.OpenID)
	}
	return out
}

// subscribe adds f at the end of the subscription order. The caller holds e.mu.
func (acc *account) subscribe(f *follower) {
	acc.nextSeq++
	f.seq = acc.nextSeq
	f.Subscribed = true
	acc.followers[f.OpenID] = f
	acc.order = append(acc.order, f)
	acc.addTags(f.TagIDs)
}

// unsubscribe removes f from the subscription order; WeChat keeps its tags and remark.
func (acc *account) unsubscribe(f *follower) {
	if !f.Subscribed {
		return
	}
	f.Subscribed = false
	acc.dropTags(f.TagIDs)
	i := acc.position(f.seq)
	if i < len(acc.order) && acc.order[i] == f {
		acc.order = slices.Delete(acc.order, i, i+1)
	}
}

// position is the index in acc.order of the follower with seq (or where it would be).
func (acc *account) position(seq int64) int {
	return sort.Search(len(acc.order), func(i int) bool { return acc.order[i].seq >= seq })
}

// subscribed returns the follower with openid when it follows the account, else nil.
func (acc *account) subscribed(openid string) *follower {
	if f := acc.followers[openid]; f != nil && f.Subscribed {
		return f
	}
	return nil
}

// Followers returns a copy of every follower of appid ever generated, subscribed ones first in
// subscription order.
func (e *Emulator) Followers(appid string) []Follower {
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	if acc == nil {
		return nil
	}
	out := make([]Follower, 0, len(acc.followers))
	for _, f := range acc.order {
		out = append(out, f.copy())
	}
	for _, f := range acc.followers {
		if !f.Subscribed {
			out = append(out, f.copy())
		}
	}
	return out
}

func (f *follower) copy() Follower {
	c := f.Follower
	c.TagIDs = slices.Clone(f.TagIDs)
	return c
}

// FollowerTags returns the tag ids of a follower (never the blacklist, see Blacklisted).
func (e *Emulator) FollowerTags(appid, openid string) []int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if acc := e.account(appid); acc != nil {
		if f := acc.followers[openid]; f != nil {
			return slices.Clone(f.TagIDs)
		}
	}
	return nil
}

// Blacklisted reports whether the account blacklisted the follower.
func (e *Emulator) Blacklisted(appid, openid string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if acc := e.account(appid); acc != nil {
		if f := acc.followers[openid]; f != nil {
			return f.Blacklisted
		}
	}
	return false
}

// Remark returns the remark the account set on the follower.
func (e *Emulator) Remark(appid, openid string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if acc := e.account(appid); acc != nil {
		if f := acc.followers[openid]; f != nil {
			return f.Remark
		}
	}
	return ""
}

// SetOAuthUser chooses who logs in when /connect/oauth2/authorize consents automatically
// (Options.AutoConsent); by default it is the account's first follower.
func (e *Emulator) SetOAuthUser(appid, openid string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if acc := e.account(appid); acc != nil {
		acc.oauthUser = openid
	}
}

// ensureUser returns the follower record of openid, creating a non-subscribed user with a profile when
// the account never saw it (a visitor of an OAuth page, a new subscriber). The caller holds e.mu.
func (acc *account) ensureUser(openid string) *follower {
	if f := acc.followers[openid]; f != nil {
		return f
	}
	f := &follower{Follower: randomProfile()}
	f.OpenID = openid
	if f.OpenID == "" {
		f.OpenID = acc.openidPrefix + randString(openidChars, 22)
	}
	acc.followers[f.OpenID] = f
	return f
}

// randomProfile draws a plausible user: mostly Chinese, some Latin, some mixed nicknames.
func randomProfile() Follower {
	p := Follower{
		Sex:            rand.IntN(3),
		Language:       "zh_CN",
		Country:        "中国",
		SubscribeScene: pick(subscribeScenes),
		HeadImgURL:     "http://thirdwx.qlogo.cn/mmopen/vi_32/" + randString(alnum, 78) + "/132",
	}
	switch r := rand.IntN(100); {
	case r < 50:
		p.Nickname = pick(cnNicknames)
		if rand.IntN(3) == 0 {
			p.Nickname += pick(cnSuffixes)
		}
	case r < 80:
		p.Nickname = pick(latinNames)
		if rand.IntN(2) == 0 {
			p.Nickname += pick(latinSuffixes)
		}
	default:
		p.Nickname = pick(latinNames) + pick(cnSurnames)
	}
	if rand.IntN(10) == 0 {
		p.Language = "en"
	}
	if rand.IntN(20) == 0 {
		loc := pick(abroad)
		p.Country, p.Province, p.City = loc[0], loc[1], loc[2]
	} else {
		loc := pick(cnPlaces)
		p.Province, p.City = loc[0], loc[1]
	}
	return p
}

func pick[T any](s []T) T { return s[rand.IntN(len(s))] }

var (
	cnNicknames = []string{"小明", "晓雨", "阿杰", "星辰大海", "一只猫", "柠檬不酸", "风清扬", "木子", "阿狸",
		"糖糖", "小鱼儿", "北极熊", "向日葵", "老王", "安静的美男子", "吃货一枚", "追风少年", "云淡风轻", "橘子汽水",
		"小太阳", "知足常乐", "海阔天空", "阿飞", "小胖", "暖暖", "大白", "芒果布丁", "月亮船", "晴天", "山间小路",
		"陈小春", "李雷", "韩梅梅", "张伟", "王芳", "刘洋", "赵敏", "周周", "吴小姐", "郑先生"}
	cnSuffixes    = []string{"🌸", "😊", "~", "呀", "同学", "酱", "001", "_88", "☀️"}
	latinNames    = []string{"Kevin", "Lily", "Tommy", "Amy", "Jason", "Coco", "Leo", "Vivian", "Eric", "Sunny", "Mia", "Jack", "Lucas", "Nina", "Alex", "Cindy", "Bruce", "Grace", "Tony", "Zoe"}
	latinSuffixes = []string{"_88", " Z", "Wang", "2024", ".Chen", " L", "666", "_sh"}
	cnSurnames    = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴"}
	cnPlaces      = [][2]string{{"广东", "广州"}, {"广东", "深圳"}, {"北京", "朝阳"}, {"上海", "浦东新区"}, {"浙江", "杭州"},
		{"江苏", "南京"}, {"四川", "成都"}, {"湖北", "武汉"}, {"陕西", "西安"}, {"福建", "厦门"}, {"山东", "青岛"}, {"湖南", "长沙"},
		{"重庆", "渝中"}, {"天津", "和平"}, {"云南", "昆明"}, {"", ""}}
	abroad = [][3]string{{"United States", "California", "San Francisco"}, {"Singapore", "", ""},
		{"United Kingdom", "England", "London"}, {"Japan", "Tokyo", "Shinjuku"}, {"Australia", "New South Wales", "Sydney"}}
	subscribeScenes = []string{"ADD_SCENE_SEARCH", "ADD_SCENE_ACCOUNT_MIGRATION", "ADD_SCENE_PROFILE_CARD",
		"ADD_SCENE_QR_CODE", "ADD_SCENE_PROFILE_LINK", "ADD_SCENE_PROFILE_ITEM", "ADD_SCENE_PAID",
		"ADD_SCENE_WECHAT_ADVERTISEMENT", "ADD_SCENE_REPRINT", "ADD_SCENE_LIVESTREAM", "ADD_SCENE_CHANNELS",
		"ADD_SCENE_OTHERS"}
)
