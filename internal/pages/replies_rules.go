package pages

import (
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/reply"
)

// The rule form's fields of contract §20: more keywords (a textarea of one keyword per line), the text
// replies after the first (reply2 … reply5), the reply mode and the schedule.
var ruleExtraFields = []string{"requestMore", "replyMode", "activeFrom", "activeTo", "hours",
	"reply2", "reply3", "reply4", "reply5"}

// replyModes are the reply modes the form offers.
var replyModes = []string{"random", "all"}

// extraReplyFields names the text replies after the first, in order.
var extraReplyFields = []string{"reply2", "reply3", "reply4", "reply5"}

// postedRuleExtras adds the §20 fields to a posted rule form: the keywords after the first (every
// "request" field after the first, one keyword per line), the replies, the mode and the schedule.
func postedRuleExtras(c *gin.Context, f map[string]string) {
	// The textarea, and any further "request" fields (a form sending several as the API names them).
	more := []string{c.PostForm("requestMore")}
	if all := c.PostFormArray("request"); len(all) > 1 {
		more = append(more, all[1:]...)
	}
	f["requestMore"] = strings.TrimSpace(strings.Join(more, "\n"))
	for _, k := range ruleExtraFields[1:] {
		f[k] = strings.TrimSpace(c.PostForm(k))
	}
	// Empty replies are left out: the others move up, so that replies[i] of an error is the i+1-th field.
	var texts []string
	for _, k := range extraReplyFields {
		if f[k] != "" {
			texts = append(texts, f[k])
		}
	}
	for i, k := range extraReplyFields {
		f[k] = ""
		if i < len(texts) {
			f[k] = texts[i]
		}
	}
}

// formKeywords answers the form's keywords: the first field, then one per line of the second.
func formKeywords(f map[string]string) []string {
	kws := []string{f["request"]}
	for _, line := range strings.Split(f["requestMore"], "\n") {
		if line = strings.TrimSpace(line); line != "" {
			kws = append(kws, line)
		}
	}
	return kws
}

// formSchedule reads the form's active dates and hours.
func formSchedule(f map[string]string) (reply.Schedule, error) {
	var s reply.Schedule
	var err error
	if s.From, err = reply.ParseDate("activeFrom", f["activeFrom"]); err != nil {
		return s, err
	}
	if s.To, err = reply.ParseDate("activeTo", f["activeTo"]); err != nil {
		return s, err
	}
	if s.Hours, err = reply.ParseHours("hours", f["hours"]); err != nil {
		return s, err
	}
	return s, s.Validate()
}

// formReplies answers the form's replies: the first of the form's type, then its non-empty text replies.
func formReplies(f map[string]string, first reply.Reply) []reply.Reply {
	out := []reply.Reply{first}
	for _, k := range extraReplyFields {
		if s := f[k]; s != "" {
			out = append(out, reply.Reply{Type: reply.TypeText, Content: reply.Content{Content: s}})
		}
	}
	return out
}

// ruleFormExtras puts a rule's §20 fields into its edit form. Replies after the first that are not text
// (set through the API) cannot be edited here: keep says so, and saving the form leaves them as they are.
func ruleFormExtras(f map[string]string, r *reply.Rule) (keep bool) {
	if len(r.Keywords) > 1 {
		f["requestMore"] = strings.Join(r.Keywords[1:], "\n")
	}
	f["replyMode"] = string(r.Mode)
	f["activeFrom"], f["activeTo"], f["hours"] = r.Schedule.From.String(), r.Schedule.To.String(), r.Schedule.Hours.String()
	for i, rp := range r.Replies {
		if i == 0 {
			continue
		}
		if rp.Type != reply.TypeText || i > len(extraReplyFields) {
			keep = true
			continue
		}
		f[extraReplyFields[i-1]] = rp.Content.Content
	}
	return keep
}

// ruleFieldOf maps a service error's field to the form's: request[0] is the first keyword field, the
// others the textarea; replies[0].x the first reply's x, replies[i].content the i+1-th text reply.
func ruleFieldOf(field string) string {
	if rest, ok := strings.CutPrefix(field, "request["); ok {
		if strings.HasPrefix(rest, "0]") {
			return "request"
		}
		return "requestMore"
	}
	if rest, ok := strings.CutPrefix(field, "replies["); ok {
		i, sub, _ := strings.Cut(rest, "]")
		n, _ := strconv.Atoi(i)
		sub = strings.TrimPrefix(sub, ".")
		if n == 0 {
			if sub == "" {
				return "type"
			}
			return sub
		}
		if n-1 < len(extraReplyFields) {
			return extraReplyFields[n-1]
		}
	}
	if field == "replies" {
		return "reply5"
	}
	return field
}

// lastHit is how the list shows when a rule last answered, in the operators' time zone.
func lastHit(t *time.Time, loc *time.Location) string {
	if t == nil {
		return ""
	}
	return t.In(loc).Format("2006-01-02 15:04")
}
