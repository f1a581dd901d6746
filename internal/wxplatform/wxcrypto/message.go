package wxcrypto

import (
	"encoding/xml"
	"strconv"
)

// Message is one inbound callback body (§3): every field of every message and event type in one flat
// struct, so the callback can parse before it knows the type. Fields a type does not use stay zero. The xml
// tags are WeChat's element names; ParseMessage and Marshal follow them without reflection.
type Message struct {
	XMLName xml.Name `xml:"xml"`

	ToUserName   string `xml:"ToUserName"`   // the account's original id, gh_…
	FromUserName string `xml:"FromUserName"` // the sender's OpenID
	CreateTime   int64  `xml:"CreateTime"`   // Unix seconds
	MsgType      string `xml:"MsgType"`      // text image voice video shortvideo location link event

	Content   string `xml:"Content"`
	MsgID     int64  `xml:"MsgId"` // also read from MsgID, the spelling of the *JOBFINISH events
	MsgDataID string `xml:"MsgDataId"`
	Idx       string `xml:"Idx"`

	PicURL       string `xml:"PicUrl"`
	MediaID      string `xml:"MediaId"`
	Format       string `xml:"Format"`
	Recognition  string `xml:"Recognition"`
	ThumbMediaID string `xml:"ThumbMediaId"`

	// Location messages carry these at the top level; the location_select menu event nests them, with
	// Poiname, in SendLocationInfo. Both read into the same fields.
	LocationX float64 `xml:"Location_X"`
	LocationY float64 `xml:"Location_Y"`
	Scale     int     `xml:"Scale"`
	Label     string  `xml:"Label"`
	Poiname   string  `xml:"SendLocationInfo>Poiname"`

	Title       string `xml:"Title"`
	Description string `xml:"Description"`
	URL         string `xml:"Url"`

	Event     string  `xml:"Event"`
	EventKey  string  `xml:"EventKey"`
	Ticket    string  `xml:"Ticket"`
	Latitude  float64 `xml:"Latitude"`
	Longitude float64 `xml:"Longitude"`
	Precision float64 `xml:"Precision"`
	MenuID    string  `xml:"MenuId"`

	// Menu events of the scancode_* and pic_* buttons.
	ScanType   string   `xml:"ScanCodeInfo>ScanType"`
	ScanResult string   `xml:"ScanCodeInfo>ScanResult"`
	PicMD5Sums []string `xml:"SendPicsInfo>PicList>item>PicMd5Sum"`

	// Status is the outcome of TEMPLATESENDJOBFINISH and MASSSENDJOBFINISH events.
	Status string `xml:"Status"`

	// PublishEventInfo is the outcome of a PUBLISHJOBFINISH event (freepublish/submit); nil otherwise.
	PublishEventInfo *PublishEventInfo `xml:"-"`

	// Encrypt is present in compatible and safe modes; in safe mode it is the only field besides ToUserName.
	Encrypt string `xml:"Encrypt"`
}

// ParseMessage reads an inbound body. Anything that is not one well-formed <xml> element, a DOCTYPE, or a
// number field that does not parse gives an error wrapping ErrMalformedXML. Unknown elements are ignored, as
// WeChat adds fields over time. The size is the caller's to limit.
func ParseMessage(data []byte) (*Message, error) {
	m := new(Message)
	if err := walkDocument(data, (*messageWalker)(m)); err != nil {
		return nil, err
	}
	return m, nil
}

// messageWalker fills a Message from walkDocument's callbacks.
type messageWalker Message

func (m *messageWalker) start([]string) {}

func (m *messageWalker) end(path []string, text []byte) error {
	var err error
	if path[0] == "PublishEventInfo" {
		if len(path) > 1 {
			return m.publishEnd(path, text)
		}
		if m.PublishEventInfo == nil {
			m.PublishEventInfo = &PublishEventInfo{}
		}
		return nil
	}
	switch len(path) {
	case 1:
		err = m.topLevel(path[0], text)
	case 2:
		switch path[0] {
		case "ScanCodeInfo":
			switch path[1] {
			case "ScanType":
				m.ScanType = string(text)
			case "ScanResult":
				m.ScanResult = string(text)
			}
		case "SendLocationInfo":
			if path[1] == "Poiname" {
				m.Poiname = string(text)
			} else {
				err = m.topLevel(path[1], text)
			}
		}
	case 4:
		if path[0] == "SendPicsInfo" && path[1] == "PicList" && path[2] == "item" && path[3] == "PicMd5Sum" {
			m.PicMD5Sums = append(m.PicMD5Sums, string(text))
		}
	}
	return err
}

// topLevel sets the field named by a direct child of <xml>. Only the location fields can also come from
// SendLocationInfo, and only those reach here from there.
func (m *messageWalker) topLevel(name string, text []byte) error {
	var err error
	switch name {
	case "ToUserName":
		m.ToUserName = string(text)
	case "FromUserName":
		m.FromUserName = string(text)
	case "CreateTime":
		m.CreateTime, err = parseIntField(name, text, 64)
	case "MsgType":
		m.MsgType = string(text)
	case "Content":
		m.Content = string(text)
	case "MsgId", "MsgID":
		m.MsgID, err = parseIntField(name, text, 64)
	case "MsgDataId":
		m.MsgDataID = string(text)
	case "Idx":
		m.Idx = string(text)
	case "PicUrl":
		m.PicURL = string(text)
	case "MediaId":
		m.MediaID = string(text)
	case "Format":
		m.Format = string(text)
	case "Recognition":
		m.Recognition = string(text)
	case "ThumbMediaId":
		m.ThumbMediaID = string(text)
	case "Location_X":
		m.LocationX, err = parseFloatField(name, text)
	case "Location_Y":
		m.LocationY, err = parseFloatField(name, text)
	case "Scale":
		var v int64
		v, err = parseIntField(name, text, strconv.IntSize)
		m.Scale = int(v)
	case "Label":
		m.Label = string(text)
	case "Title":
		m.Title = string(text)
	case "Description":
		m.Description = string(text)
	case "Url":
		m.URL = string(text)
	case "Event":
		m.Event = string(text)
	case "EventKey":
		m.EventKey = string(text)
	case "Ticket":
		m.Ticket = string(text)
	case "Latitude":
		m.Latitude, err = parseFloatField(name, text)
	case "Longitude":
		m.Longitude, err = parseFloatField(name, text)
	case "Precision":
		m.Precision, err = parseFloatField(name, text)
	case "MenuId":
		m.MenuID = string(text)
	case "Status":
		m.Status = string(text)
	case "Encrypt":
		m.Encrypt = string(text)
	}
	return err
}
