package broadcasts

import (
	"encoding/json"
	"strings"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
)

// Handler serves /apis/broadcasts/... (contract §18).
type Handler struct {
	Service *Service
}

// Routes mounts the endpoints on a group that runs RequireAuth and accounts.Scope.
func (h *Handler) Routes(g httpapi.Group) {
	g.WriteJSON("/massSend", h.massSend)
	g.WriteJSON("/massPreview", h.massPreview)
	g.WriteJSON("/deleteMassArticle", h.deleteMassArticle)
	g.WriteJSON("/syncTemplates", h.syncTemplates)
	g.ReadJSON("/listTemplates", h.listTemplates)
	g.WriteJSON("/addTemplate", h.addTemplate)
	g.WriteJSON("/deleteTemplate", h.deleteTemplate)
	g.WriteJSON("/sendTemplate", h.sendTemplate)
	g.WriteJSON("/approveBroadcast", h.approve, httpapi.MinRole("admin"))
	g.WriteJSON("/rejectBroadcast", h.reject, httpapi.MinRole("admin"))
	g.ReadJSON("/getBroadcast", h.get)
	g.ReadJSON("/listBroadcasts", h.list)
	g.ReadJSON("/broadcastRecipients", h.recipients)
	g.WriteJSON("/cancelBroadcast", h.cancel)
	g.ReadJSON("/getSettings", h.getSettings)
	g.WriteJSON("/updateSettings", h.updateSettings, httpapi.MinRole("admin"))
	g.ReadJSON("/targetCount", h.targetCount)
}

// target reads the target object.
func target(b *httpapi.Body) (Target, error) {
	raw, err := b.JSON("target")
	if err != nil {
		return Target{}, err
	}
	if raw == nil {
		return Target{}, apperr.Invalidf("target", "is empty: give all, tagId or openids").WithKey("err.broadcast.target_empty", "target")
	}
	var t struct {
		All     any             `json:"all"`
		TagID   json.RawMessage `json:"tagId"`
		OpenIDs []string        `json:"openids"`
		OpenID  string          `json:"openid"`
	}
	if err := json.Unmarshal(raw, &t); err != nil {
		return Target{}, apperr.Invalidf("target", "must be {all: true}, {tagId}, {openids: [...]} or {openid}").WithKey("err.broadcast.target_shape", "target")
	}
	out := Target{OpenIDs: t.OpenIDs, OpenID: strings.TrimSpace(t.OpenID)}
	switch v := t.All.(type) {
	case bool:
		out.All = v
	case string:
		out.All = v == "true" || v == "1"
	case float64:
		out.All = v != 0
	}
	if len(t.TagID) > 0 && string(t.TagID) != "null" {
		var n json.Number
		if err := json.Unmarshal([]byte(strings.Trim(string(t.TagID), `"`)), &n); err != nil {
			return Target{}, apperr.Invalidf("target.tagId", "must be an integer").WithKey("err.field.integer", "target.tagId")
		}
		id, err := n.Int64()
		if err != nil {
			return Target{}, apperr.Invalidf("target.tagId", "must be an integer").WithKey("err.field.integer", "target.tagId")
		}
		tag := int(id)
		out.TagID = &tag
	}
	if t.OpenIDs != nil && len(t.OpenIDs) == 0 {
		return Target{}, apperr.Invalidf("target.openids", "is empty").WithKey("err.field.empty", "target.openids")
	}
	return out, nil
}

func broadcastID(b *httpapi.Body) (int64, error) {
	id, ok, err := b.Int("broadcastId")
	if err != nil {
		return 0, err
	}
	if !ok || id <= 0 {
		return 0, apperr.Missing("broadcastId")
	}
	return id, nil
}

func page(b *httpapi.Body, def int64) (int, int, error) {
	off, _, err := b.Int("offset")
	if err != nil {
		return 0, 0, err
	}
	lim, ok, err := b.Int("limit")
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		lim = def
	}
	if off < 0 {
		return 0, 0, apperr.Invalidf("offset", "must not be negative").WithKey("err.field.negative", "offset")
	}
	if lim < 1 || lim > 1000 {
		return 0, 0, apperr.Invalidf("limit", "must be between 1 and 1000").WithKey("err.field.between", "limit", 1, 1000)
	}
	return int(off), int(lim), nil
}

func (h *Handler) massSend(r *httpapi.Request) (httpapi.Answer, error) {
	t, err := target(r.Body)
	if err != nil {
		return nil, err
	}
	content, err := r.Body.JSON("content")
	if err != nil {
		return nil, err
	}
	if content == nil {
		return nil, apperr.Missing("content")
	}
	ignore, _, err := r.Body.Bool("sendIgnoreReprint")
	if err != nil {
		return nil, err
	}
	id, err := h.Service.MassSend(r.Ctx, r.Account, r.UserID(), MassInput{Target: t, Type: strings.TrimSpace(r.Body.Str("type")),
		Content: content, SendIgnoreReprint: ignore})
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"broadcastId": id}, nil
}

func (h *Handler) massPreview(r *httpapi.Request) (httpapi.Answer, error) {
	content, err := r.Body.JSON("content")
	if err != nil {
		return nil, err
	}
	if content == nil {
		return nil, apperr.Missing("content")
	}
	if r.Body.Has("openids") {
		var ids []string
		raw, _ := r.Body.JSON("openids")
		_ = json.Unmarshal(raw, &ids)
		if len(ids) > MaxOpenIDs {
			return nil, apperr.Invalidf("openids", "at most %d openids", MaxOpenIDs).WithKey("err.broadcast.openids_max", "openids", MaxOpenIDs)
		}
		return nil, apperr.Invalidf("openids", "a preview goes to one openid or wxname").WithKey("err.broadcast.preview_one", "openids")
	}
	msgID, err := h.Service.Preview(r.Ctx, r.Account, r.Body.Str("openid"), r.Body.Str("wxname"), strings.TrimSpace(r.Body.Str("type")), content)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"msgId": msgID}, nil
}

func (h *Handler) deleteMassArticle(r *httpapi.Request) (httpapi.Answer, error) {
	id, err := broadcastID(r.Body)
	if err != nil {
		return nil, err
	}
	idx, _, err := r.Body.Int("index")
	if err != nil {
		return nil, err
	}
	return nil, h.Service.DeleteMassArticle(r.Ctx, r.Account, id, int(idx))
}

func (h *Handler) syncTemplates(r *httpapi.Request) (httpapi.Answer, error) {
	list, err := h.Service.SyncTemplates(r.Ctx, r.Account)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"templates": list}, nil
}

func (h *Handler) listTemplates(r *httpapi.Request) (httpapi.Answer, error) {
	list, err := h.Service.Templates(r.Ctx, r.Account.ID)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"templates": list}, nil
}

func (h *Handler) addTemplate(r *httpapi.Request) (httpapi.Answer, error) {
	var names []string
	raw, err := r.Body.JSON("keywordNames")
	if err != nil {
		return nil, err
	}
	if raw != nil {
		if err := json.Unmarshal(raw, &names); err != nil {
			var one string
			if json.Unmarshal(raw, &one) != nil {
				return nil, apperr.Invalidf("keywordNames", "must be an array of names").WithKey("err.broadcast.keyword_names", "keywordNames")
			}
			for _, n := range strings.Split(one, ",") {
				if n = strings.TrimSpace(n); n != "" {
					names = append(names, n)
				}
			}
		}
	}
	id, err := h.Service.AddTemplate(r.Ctx, r.Account, r.Body.Str("shortId"), names)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"templateId": id}, nil
}

func (h *Handler) deleteTemplate(r *httpapi.Request) (httpapi.Answer, error) {
	return nil, h.Service.DeleteTemplate(r.Ctx, r.Account, r.Body.Str("templateId"))
}

func (h *Handler) sendTemplate(r *httpapi.Request) (httpapi.Answer, error) {
	t, err := target(r.Body)
	if err != nil {
		return nil, err
	}
	in := TemplateInput{TemplateID: r.Body.Str("templateId"), Target: t, URL: strings.TrimSpace(r.Body.Str("url")), Data: map[string]string{}}
	raw, err := r.Body.JSON("data")
	if err != nil {
		return nil, err
	}
	if raw != nil {
		var data map[string]any
		if err := json.Unmarshal(raw, &data); err != nil {
			return nil, apperr.Invalidf("data", "must be an object of field: value").WithKey("err.broadcast.data_shape", "data")
		}
		for k, v := range data {
			switch x := v.(type) {
			case string:
				in.Data[k] = x
			case float64, bool:
				b, _ := json.Marshal(x)
				in.Data[k] = string(b)
			case map[string]any:
				s, _ := x["value"].(string)
				in.Data[k] = s
			default:
				return nil, apperr.Invalidf("data."+k, "must be text").WithKey("err.field.text", "data."+k)
			}
		}
	}
	if raw, err := r.Body.JSON("miniprogram"); err != nil {
		return nil, err
	} else if raw != nil {
		var mp MiniProgram
		if err := json.Unmarshal(raw, &mp); err != nil {
			return nil, apperr.Invalidf("miniprogram", "must be {appid, pagepath}").WithKey("err.broadcast.miniprogram", "miniprogram")
		}
		in.MiniProgram = &mp
	}
	msgID, id, err := h.Service.SendTemplate(r.Ctx, r.Account, r.UserID(), in)
	if err != nil {
		return nil, err
	}
	if id == 0 {
		return httpapi.Fields{"msgid": msgID}, nil
	}
	return httpapi.Fields{"broadcastId": id}, nil
}

func (h *Handler) approve(r *httpapi.Request) (httpapi.Answer, error) {
	id, err := broadcastID(r.Body)
	if err != nil {
		return nil, err
	}
	return nil, h.Service.Approve(r.Ctx, r.Account.ID, r.UserID(), id)
}

func (h *Handler) reject(r *httpapi.Request) (httpapi.Answer, error) {
	id, err := broadcastID(r.Body)
	if err != nil {
		return nil, err
	}
	return nil, h.Service.Reject(r.Ctx, r.Account.ID, r.UserID(), id)
}

func (h *Handler) get(r *httpapi.Request) (httpapi.Answer, error) {
	id, err := broadcastID(r.Body)
	if err != nil {
		return nil, err
	}
	b, err := h.Service.Get(r.Ctx, r.Account.ID, id)
	if err != nil {
		return nil, err
	}
	return fieldsOf(b), nil
}

// fieldsOf answers a broadcast's fields at the top level, as the contract's answers are.
func fieldsOf(b Broadcast) httpapi.Fields {
	raw, _ := json.Marshal(b)
	var f httpapi.Fields
	_ = json.Unmarshal(raw, &f)
	return f
}

func (h *Handler) list(r *httpapi.Request) (httpapi.Answer, error) {
	off, lim, err := page(r.Body, 20)
	if err != nil {
		return nil, err
	}
	list, total, err := h.Service.List(r.Ctx, r.Account.ID, off, lim)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"total": total, "broadcasts": list}, nil
}

func (h *Handler) recipients(r *httpapi.Request) (httpapi.Answer, error) {
	id, err := broadcastID(r.Body)
	if err != nil {
		return nil, err
	}
	off, lim, err := page(r.Body, 100)
	if err != nil {
		return nil, err
	}
	list, total, err := h.Service.Recipients(r.Ctx, r.Account.ID, id, strings.TrimSpace(r.Body.Str("status")), off, lim)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"total": total, "recipients": list}, nil
}

func (h *Handler) cancel(r *httpapi.Request) (httpapi.Answer, error) {
	id, err := broadcastID(r.Body)
	if err != nil {
		return nil, err
	}
	return nil, h.Service.Cancel(r.Ctx, r.Account.ID, id)
}

func (h *Handler) getSettings(r *httpapi.Request) (httpapi.Answer, error) {
	on, err := h.Service.ApprovalSetting(r.Ctx, r.Account.ID)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"broadcastApproval": on}, nil
}

func (h *Handler) updateSettings(r *httpapi.Request) (httpapi.Answer, error) {
	on, ok, err := r.Body.Bool("broadcastApproval")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, apperr.Missing("broadcastApproval")
	}
	if err := h.Service.SetApproval(r.Ctx, r.Account.ID, r.UserID(), on); err != nil {
		return nil, err
	}
	return httpapi.Fields{"broadcastApproval": on}, nil
}

func (h *Handler) targetCount(r *httpapi.Request) (httpapi.Answer, error) {
	t, err := target(r.Body)
	if err != nil {
		return nil, err
	}
	if err := checkTarget(&t, true); err != nil {
		return nil, err
	}
	n, err := h.Service.TargetCount(r.Ctx, r.Account.ID, t)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"count": n}, nil
}
