package followers

import (
	"context"
	"strconv"
	"strings"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// Observer keeps the mirror current between syncs; it implements callback.EventObserver. The callback
// calls it asynchronously once the event is stored, so it may take a database round trip.
type Observer struct{ s *Service }

// Observer answers the service's callback.EventObserver.
func (s *Service) Observer() *Observer { return &Observer{s: s} }

// OnEvent applies subscribe, unsubscribe and SCAN events to the mirror:
//   - subscribe marks the follower subscribed at the event's time (their remark and groups stay, as WeChat
//     keeps them), with the QR scene when they came by a parametric QR code (EventKey qrscene_…);
//   - unsubscribe marks them unsubscribed;
//   - SCAN comes from a follower: one the mirror lacks is added.
//
// An event older than the last one applied to the follower changes nothing, so a late retry cannot undo
// a newer event. Profiles are not fetched: since December 2021 user/info carries no nickname anyway; the
// next sync fills the rest.
func (o *Observer) OnEvent(ctx context.Context, accountID int64, msg *wxcrypto.Message) {
	if msg == nil || msg.FromUserName == "" || checkOpenID("openid", msg.FromUserName) != nil {
		return
	}
	var err error
	st := o.s.store
	switch strings.ToLower(msg.Event) {
	case "subscribe":
		scene, sceneID, sceneStr := "", int64(0), ""
		if key, ok := strings.CutPrefix(msg.EventKey, "qrscene_"); ok && key != "" {
			scene = "ADD_SCENE_QR_CODE"
			if n, perr := strconv.ParseInt(key, 10, 64); perr == nil {
				sceneID = n
			} else {
				sceneStr = key
			}
		}
		err = st.subscribed(ctx, accountID, msg.FromUserName, msg.CreateTime, scene, sceneID, sceneStr)
	case "unsubscribe":
		err = st.unsubscribed(ctx, accountID, msg.FromUserName, msg.CreateTime)
	case "scan":
		err = st.seen(ctx, accountID, msg.FromUserName)
	default:
		return
	}
	if err != nil {
		o.s.log.WarnContext(ctx, "follower mirror: event not applied", "account_id", accountID, "event", msg.Event, "err", err)
	}
}

// Tagged records in the mirror that WeChat put tagID on the follower (a QR code's action, contract §20),
// so the follower lists show it before the next sync. A follower the mirror lacks is left to the sync.
func (s *Service) Tagged(ctx context.Context, accountID int64, openid string, tagID int) error {
	return s.store.addTag(ctx, accountID, openid, tagID)
}
