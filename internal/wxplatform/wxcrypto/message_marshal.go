package wxcrypto

// Marshal writes the message the way WeChat posts it: CDATA for strings, bare numbers, one element per line
// (the layout of the official samples), empty strings left out and MsgId only when non-zero. Number fields a
// type always carries (a location's coordinates, a LOCATION event's position) are written even when zero.
// ParseMessage reads the output back to an equal Message.
func (m *Message) Marshal() []byte {
	w := lineWriter{b: make([]byte, 0, 256+len(m.Content)+len(m.Encrypt))}
	w.b = append(w.b, "<xml>"...)

	w.cdata("ToUserName", m.ToUserName)
	w.cdata("FromUserName", m.FromUserName)
	w.int("CreateTime", m.CreateTime, true)
	w.cdata("MsgType", m.MsgType)
	w.cdata("Content", m.Content)
	w.cdata("PicUrl", m.PicURL)
	w.cdata("MediaId", m.MediaID)
	w.cdata("Format", m.Format)
	w.cdata("Recognition", m.Recognition)
	w.cdata("ThumbMediaId", m.ThumbMediaID)

	if m.Event == "location_select" || m.Poiname != "" {
		w.b = append(w.b, "<SendLocationInfo>"...)
		w.b = appendFloatElem(w.b, "Location_X", m.LocationX)
		w.b = appendFloatElem(w.b, "Location_Y", m.LocationY)
		w.b = appendIntElem(w.b, "Scale", int64(m.Scale))
		w.b = appendCDATAElem(w.b, "Label", m.Label)
		w.b = appendCDATAElem(w.b, "Poiname", m.Poiname)
		w.b = append(w.b, "</SendLocationInfo>\n"...)
	} else {
		located := m.MsgType == "location"
		w.float("Location_X", m.LocationX, located)
		w.float("Location_Y", m.LocationY, located)
		w.int("Scale", int64(m.Scale), located)
		w.cdata("Label", m.Label)
	}

	w.cdata("Title", m.Title)
	w.cdata("Description", m.Description)
	w.cdata("Url", m.URL)
	w.cdata("Event", m.Event)
	w.cdata("EventKey", m.EventKey)
	w.cdata("Ticket", m.Ticket)
	reported := m.Event == "LOCATION"
	w.float("Latitude", m.Latitude, reported)
	w.float("Longitude", m.Longitude, reported)
	w.float("Precision", m.Precision, reported)
	w.cdata("MenuId", m.MenuID)

	if m.ScanType != "" || m.ScanResult != "" {
		w.b = append(w.b, "<ScanCodeInfo>"...)
		w.b = appendCDATAElem(w.b, "ScanType", m.ScanType)
		w.b = appendCDATAElem(w.b, "ScanResult", m.ScanResult)
		w.b = append(w.b, "</ScanCodeInfo>\n"...)
	}
	if len(m.PicMD5Sums) > 0 {
		w.b = append(w.b, "<SendPicsInfo>"...)
		w.b = appendIntElem(w.b, "Count", int64(len(m.PicMD5Sums)))
		w.b = append(w.b, "<PicList>"...)
		for _, sum := range m.PicMD5Sums {
			w.b = append(w.b, "<item>"...)
			w.b = appendCDATAElem(w.b, "PicMd5Sum", sum)
			w.b = append(w.b, "</item>"...)
		}
		w.b = append(w.b, "</PicList></SendPicsInfo>\n"...)
	}
	w.cdata("Status", m.Status)
	if m.PublishEventInfo != nil {
		w.b = appendPublishEventInfo(w.b, m.PublishEventInfo)
	}

	w.int("MsgId", m.MsgID, false)
	w.cdata("MsgDataId", m.MsgDataID)
	w.cdata("Idx", m.Idx)
	w.cdata("Encrypt", m.Encrypt)
	return append(w.b, "</xml>"...)
}

// lineWriter writes the top-level elements of an inbound message, each followed by a newline as in WeChat's
// samples, and leaves out the empty ones.
type lineWriter struct{ b []byte }

func (w *lineWriter) cdata(name, v string) {
	if v != "" {
		w.b = append(appendCDATAElem(w.b, name, v), '\n')
	}
}

func (w *lineWriter) int(name string, v int64, always bool) {
	if always || v != 0 {
		w.b = append(appendIntElem(w.b, name, v), '\n')
	}
}

func (w *lineWriter) float(name string, v float64, always bool) {
	if always || v != 0 {
		w.b = append(appendFloatElem(w.b, name, v), '\n')
	}
}
