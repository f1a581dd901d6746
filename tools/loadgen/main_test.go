package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestFlagsAreBounded(t *testing.T) {
	base := []string{"-appid", "wx0123456789abcdef", "-token", "tok", "-mode", "plain"}
	tests := []struct {
		name string
		args []string
		ok   bool
	}{
		{"defaults", nil, true},
		{"remote refused", []string{"-url", "http://203.0.113.5:8080"}, false},
		{"remote allowed", []string{"-url", "http://203.0.113.5:8080", "-allow-remote"}, true},
		{"too long", []string{"-d", "11m"}, false},
		{"too many", []string{"-n", "20000000"}, false},
		{"safe needs a key", []string{"-mode", "safe"}, false},
		{"bad concurrency", []string{"-c", "0"}, false},
	}
	for _, tc := range tests {
		cfg, err := parseFlags(append(append([]string{}, base...), tc.args...))
		if tc.ok != (err == nil) {
			t.Fatalf("%s: err = %v", tc.name, err)
		}
		if err == nil && (cfg.n <= 0 || cfg.d <= 0) {
			t.Fatalf("%s: unbounded run: n=%d d=%s", tc.name, cfg.n, cfg.d)
		}
	}
}

func TestPrint(t *testing.T) {
	var b bytes.Buffer
	r := &result{sent: 3, ok: 3, elapsed: 1e9}
	r.print(&b, &config{base: "http://127.0.0.1:8080", mode: "safe", concurrency: 1})
	if !strings.Contains(b.String(), "3 msg/s") {
		t.Fatal(b.String())
	}
}
