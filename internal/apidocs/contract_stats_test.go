package apidocs_test

import (
	"time"
)

// stats: syncStats pulls from the sandbox's emulator, getStats and exportStats answer the days, bad ranges
// are 400 (contract §19).
func (k *contract) stats(tok string) {
	p := "/apis/stats/"
	today := time.Now().In(shanghai()).Format(time.DateOnly)
	yesterday := time.Now().In(shanghai()).AddDate(0, 0, -1).Format(time.DateOnly)
	week := time.Now().In(shanghai()).AddDate(0, 0, -7).Format(time.DateOnly)
	k.do(call{name: "syncStats", method: "POST", path: p + "syncStats", token: tok, want: 200,
		json: map[string]any{"from": week, "to": yesterday}})
	k.do(call{name: "getStats", method: "POST", path: p + "getStats", token: tok, want: 200,
		json: map[string]any{"from": week, "to": today, "metrics": []string{"users", "messages", "interface", "articles"}}})
	k.do(call{name: "getStats (GET, two metrics)", method: "GET", path: p + "getStats?from=" + week + "&to=" + today + "&metrics=users,articles",
		token: tok, want: 200})
	k.do(call{name: "getStats from after to", method: "POST", path: p + "getStats", token: tok, want: 400,
		json: map[string]any{"from": today, "to": week}})
	k.do(call{name: "getStats over two years", method: "GET", path: p + "getStats?from=2020-01-01&to=" + today, token: tok, want: 400})
	k.do(call{name: "exportStats", method: "GET", path: p + "exportStats?from=" + week + "&to=" + today, token: tok, want: 200})
	k.do(call{name: "exportStats (POST)", method: "POST", path: p + "exportStats", token: tok, want: 200,
		json: map[string]any{"from": week}})
}

func shanghai() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}
