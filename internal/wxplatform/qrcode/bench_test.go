package qrcode

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// snapshotOf builds a snapshot of n codes with a text reply and a tag, spread over 10 accounts.
func snapshotOf(tb testing.TB, n int) *snapshot {
	tb.Helper()
	content, _ := json.Marshal(reply.Content{Content: "欢迎"})
	typ := string(reply.TypeText)
	rows := make([]actionRow, n)
	now := time.Now()
	for i := range rows {
		rows[i] = codeRow{ID: int64(i + 1), AccountID: int64(i%10 + 1), Scene: "scene-" + strconv.Itoa(i), Ticket: "ticket-" + strconv.Itoa(i),
			CreatedAt: now.Add(-time.Hour), TagIDs: db.Int64Array{100}, ReplyType: &typ, Reply: content, ActionsVersion: int64(i + 1)}
	}
	s, err := emptySnapshot().with(rows)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestSnapshotLookup(t *testing.T) {
	s := &Service{}
	s.snap.Store(snapshotOf(t, 100))
	msg := &wxcrypto.Message{MsgType: "event", Event: "SCAN", EventKey: "scene-7", Ticket: "ticket-7", CreateTime: time.Now().Unix()}
	if a := s.lookup(8, msg); a == nil || a.id != 8 {
		t.Fatalf("by ticket: %+v", a)
	}
	msg.Ticket = ""
	if a := s.lookup(8, msg); a == nil || a.id != 8 {
		t.Fatalf("by scene: %+v", a)
	}
	msg.Event, msg.EventKey = "subscribe", "qrscene_scene-7"
	if a := s.lookup(8, msg); a == nil || a.id != 8 {
		t.Fatalf("subscribe: %+v", a)
	}
	if a := s.lookup(9, msg); a != nil {
		t.Fatal("another account's code")
	}
	msg.EventKey = "scene-7" // a plain follow whose key is not qrscene_
	if a := s.lookup(8, msg); a != nil {
		t.Fatal("a subscribe without qrscene_")
	}
	// Removing a code's actions removes it from the snapshot.
	next, err := s.snap.Load().with([]actionRow{{ID: 8, AccountID: 8, Scene: "scene-7", Ticket: "ticket-7", ActionsVersion: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	s.snap.Store(next)
	msg.Event, msg.EventKey, msg.Ticket = "SCAN", "scene-7", "ticket-7"
	if a := s.lookup(8, msg); a != nil {
		t.Fatal("a code without actions still answers")
	}
}

// BenchmarkLookup is the callback's cost of a QR event among 100,000 codes with actions.
func BenchmarkLookup(b *testing.B) {
	s := &Service{}
	s.snap.Store(snapshotOf(b, 100_000))
	byTicket := &wxcrypto.Message{MsgType: "event", Event: "SCAN", EventKey: "scene-5000", Ticket: "ticket-5000", CreateTime: time.Now().Unix()}
	byScene := &wxcrypto.Message{MsgType: "event", Event: "subscribe", EventKey: "qrscene_scene-5000", CreateTime: time.Now().Unix()}
	text := &wxcrypto.Message{MsgType: "text", Content: "hello"}
	b.Run("ticket", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if s.lookup(1, byTicket) == nil {
				b.Fatal("miss")
			}
		}
	})
	b.Run("scene", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if s.lookup(1, byScene) == nil {
				b.Fatal("miss")
			}
		}
	})
	b.Run("text", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.lookup(1, text)
		}
	})
}

// BenchmarkApplyChange is the cost of applying one change to a snapshot of 100,000 codes (every process
// does it once per change).
func BenchmarkApplyChange(b *testing.B) {
	snap := snapshotOf(b, 100_000)
	content, _ := json.Marshal(reply.Content{Content: "x"})
	typ := string(reply.TypeText)
	row := []actionRow{{ID: 100_001, AccountID: 1, Scene: "new", Ticket: "new", ReplyType: &typ, Reply: content, ActionsVersion: 100_001}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := snap.with(row); err != nil {
			b.Fatal(err)
		}
	}
}
