package inspect

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/comethook/comethook/internal/record"
)

// The store keeps exactly the newest rows in seq order, late deliveries included, while its
// window slides along and is moved back in its array; its trigger counts follow.
func TestStoreSlidesAndKeepsOrder(t *testing.T) {
	const keep = 100
	st := store{keep: keep, keepFull: 10, full: map[int64]record.Record{}, triggers: map[string]int{}}
	order := make([]int64, 5000)
	for i := range order {
		order[i] = int64(i + 1)
		if i%7 == 6 { // a slow delivery, emitted after the next one
			order[i-1], order[i] = order[i], order[i-1]
		}
	}
	var all []int64
	for i, seq := range order {
		trig := fmt.Sprintf("t%d", seq%3)
		st.add(record.Record{Seq: seq, Trigger: trig}, row{Seq: seq, Trigger: trig})
		all = append(all, seq)
		sorted := slices.Sorted(slices.Values(all))
		want := sorted[max(0, len(sorted)-keep):]
		got := make([]int64, len(st.rows))
		counts := map[string]int{}
		for j, r := range st.rows {
			got[j] = r.Seq
			counts[r.Trigger]++
		}
		if !slices.Equal(got, want) {
			t.Fatalf("after %d adds: rows %v…, want %v…", i, got[:min(5, len(got))], want[:min(5, len(want))])
		}
		if fmt.Sprint(counts) != fmt.Sprint(st.triggers) {
			t.Fatalf("after %d adds: trigger counts %v, want %v", i, st.triggers, counts)
		}
		if len(st.full) > 10 {
			t.Fatalf("%d whole records kept, want 10", len(st.full))
		}
	}
	if cap(st.buf) > 4*keep {
		t.Errorf("the rows' array grew to %d for %d rows kept", cap(st.buf), keep)
	}
}

func BenchmarkStoreAdd(b *testing.B) {
	st := store{keep: 10000, keepFull: 500, full: map[int64]record.Record{}, triggers: map[string]int{}}
	b.ReportAllocs()
	var seq int64
	for b.Loop() {
		seq++
		st.add(record.Record{Seq: seq, Trigger: "message_sent"}, row{Seq: seq, Trigger: "message_sent", Text: "hello"})
	}
}

// Big deliveries are held whole within maxFullBytes, newest first; a single one bigger than
// the bound is still held (the newest always is).
func TestStoreBoundsWholeRecordsByBytes(t *testing.T) {
	st := store{keep: 1000, keepFull: 500, full: map[int64]record.Record{}, triggers: map[string]int{}}
	payload := json.RawMessage(`"` + strings.Repeat("x", 100<<10) + `"`)
	for seq := int64(1); seq <= 200; seq++ {
		st.add(record.Record{Seq: seq, Payload: payload}, row{Seq: seq})
	}
	if st.fullSize > maxFullBytes {
		t.Errorf("whole records hold %d bytes, want at most %d", st.fullSize, maxFullBytes)
	}
	if _, ok := st.get(200); !ok {
		t.Error("the newest record is not held")
	}
	if _, ok := st.get(1); ok {
		t.Error("the oldest of 200 100-KB records is still held whole")
	}
	if n := len(st.full); n < 50 || n > 90 {
		t.Errorf("%d records held whole, want about 80 (8 MiB of 100 KB)", n)
	}
	huge := json.RawMessage(`"` + strings.Repeat("y", 2*maxFullBytes) + `"`)
	st.add(record.Record{Seq: 201, Payload: huge}, row{Seq: 201})
	if _, ok := st.get(201); !ok || len(st.full) != 1 {
		t.Errorf("a record over the bound: held %v, %d in all; want it alone", ok, len(st.full))
	}
}
