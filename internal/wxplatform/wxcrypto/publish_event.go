package wxcrypto

import "strconv"

// PublishEventInfo is the body of the PUBLISHJOBFINISH event WeChat pushes when a freepublish/submit job
// ends, as WeChat sends it:
//
//	<PublishEventInfo>
//	  <publish_id>2247503051</publish_id>
//	  <publish_status>0</publish_status>
//	  <article_id><![CDATA[b5O2OUs25HBxRceL7hfReg-U9QGeq9zQjiDKQrB-Ujw]]></article_id>
//	  <article_detail><count>1</count><item><idx>1</idx><article_url><![CDATA[URL]]></article_url></item></article_detail>
//	</PublishEventInfo>
//
// A failed job carries <fail_idx> elements (one per failed article) instead of the article fields.
// publish_status: 0 published, 1 publishing, 2 original-content check failed, 3 failed, 4 rejected by
// review, 5 deleted after publishing, 6 banned after publishing.
type PublishEventInfo struct {
	PublishID     string
	PublishStatus int
	ArticleID     string
	Count         int
	Items         []PublishedArticle
	FailIdx       []int
}

// PublishedArticle is one item of article_detail.
type PublishedArticle struct {
	Idx        int
	ArticleURL string
}

// publishEnd reads the elements below <PublishEventInfo> (path[0] is "PublishEventInfo").
func (m *messageWalker) publishEnd(path []string, text []byte) error {
	if m.PublishEventInfo == nil {
		m.PublishEventInfo = &PublishEventInfo{}
	}
	p := m.PublishEventInfo
	var err error
	var v int64
	switch {
	case len(path) == 2 && path[1] == "publish_id":
		p.PublishID = string(text)
	case len(path) == 2 && path[1] == "publish_status":
		v, err = parseIntField(path[1], text, 32)
		p.PublishStatus = int(v)
	case len(path) == 2 && path[1] == "article_id":
		p.ArticleID = string(text)
	case len(path) == 2 && path[1] == "fail_idx":
		v, err = parseIntField(path[1], text, 32)
		p.FailIdx = append(p.FailIdx, int(v))
	case len(path) == 3 && path[1] == "article_detail" && path[2] == "count":
		v, err = parseIntField(path[2], text, 32)
		p.Count = int(v)
	case len(path) == 4 && path[1] == "article_detail" && path[2] == "item":
		switch path[3] {
		case "idx":
			v, err = parseIntField(path[3], text, 32)
			p.Items = append(p.Items, PublishedArticle{Idx: int(v)})
		case "article_url":
			if len(p.Items) == 0 {
				p.Items = append(p.Items, PublishedArticle{})
			}
			p.Items[len(p.Items)-1].ArticleURL = string(text)
		}
	}
	return err
}

// appendPublishEventInfo writes p in WeChat's layout.
func appendPublishEventInfo(b []byte, p *PublishEventInfo) []byte {
	b = append(b, "<PublishEventInfo>\n"...)
	if n, err := strconv.ParseInt(p.PublishID, 10, 64); err == nil && strconv.FormatInt(n, 10) == p.PublishID {
		b = appendIntElem(b, "publish_id", n) // bare digits, as WeChat writes it
	} else {
		b = appendCDATAElem(b, "publish_id", p.PublishID)
	}
	b = appendIntElem(b, "publish_status", int64(p.PublishStatus))
	if p.ArticleID != "" {
		b = appendCDATAElem(b, "article_id", p.ArticleID)
	}
	if p.Count > 0 || len(p.Items) > 0 {
		b = append(b, "<article_detail>\n"...)
		b = appendIntElem(b, "count", int64(p.Count))
		for _, it := range p.Items {
			b = append(b, "<item>\n"...)
			b = appendIntElem(b, "idx", int64(it.Idx))
			b = appendCDATAElem(b, "article_url", it.ArticleURL)
			b = append(b, "</item>\n"...)
		}
		b = append(b, "</article_detail>\n"...)
	}
	for _, i := range p.FailIdx {
		b = append(b, "<fail_idx>"...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, "</fail_idx>\n"...)
	}
	return append(b, "</PublishEventInfo>\n"...)
}
