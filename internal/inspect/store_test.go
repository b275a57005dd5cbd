package inspect

import (
	"fmt"
	"slices"
	"testing"

	"github.com/comethook/comethook/internal/receiver"
)

// The store keeps exactly the newest rows in seq order, late deliveries included, while its
// window slides along and is moved back in its array; its trigger counts follow.
func TestStoreSlidesAndKeepsOrder(t *testing.T) {
	const keep = 100
	st := store{keep: keep, keepFull: 10, full: map[int64]receiver.Record{}, triggers: map[string]int{}}
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
		st.add(receiver.Record{Seq: seq, Trigger: trig}, row{Seq: seq, Trigger: trig})
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
	st := store{keep: 10000, keepFull: 500, full: map[int64]receiver.Record{}, triggers: map[string]int{}}
	b.ReportAllocs()
	var seq int64
	for b.Loop() {
		seq++
		st.add(receiver.Record{Seq: seq, Trigger: "message_sent"}, row{Seq: seq, Trigger: "message_sent", Text: "hello"})
	}
}
