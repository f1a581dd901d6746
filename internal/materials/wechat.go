package materials

import (
	"context"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// WeChat is what the package asks of WeChat's API (wechat-protocol.md §10); *wxclient.Client implements
// it. Errors that are WeChat's answers implement apperr.WeChatError.
type WeChat interface {
	// AddMaterial sends a permanent material (cgi-bin/material/add_material, multipart field "media";
	// a video carries its description). The answer's URL is set for images only.
	AddMaterial(ctx context.Context, appid, typ string, f wxclient.File, video *wxclient.VideoDescription) (wxclient.AddMaterialResponse, error)
	// DeleteMaterial deletes one (cgi-bin/material/del_material).
	DeleteMaterial(ctx context.Context, appid, mediaID string) error
	// MaterialCount counts them by type (cgi-bin/material/get_materialcount).
	MaterialCount(ctx context.Context, appid string) (wxclient.MaterialCount, error)
	// BatchGetMaterial lists a page of one type, newest first (cgi-bin/material/batchget_material).
	BatchGetMaterial(ctx context.Context, appid, typ string, offset, count int) (wxclient.MaterialList, error)
}

var _ WeChat = (*wxclient.Client)(nil)

// RemoteList is a page of WeChat's list of one type of material, joined with the console's copies.
type RemoteList struct {
	TotalCount int
	ItemCount  int
	Items      []RemoteItem
}

// RemoteItem is one material as WeChat lists it, with the console's copy when it keeps one.
type RemoteItem struct {
	wxclient.MaterialItem
	Local *Material
}
