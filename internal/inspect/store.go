package inspect

import (
	"sort"
	"sync"

	"github.com/comethook/comethook/internal/receiver"
)

// store keeps the newest deliveries sorted by seq. Deliveries are emitted when their answer
// is written, so a slow one can arrive after a later seq: add inserts in place (near the end).
type store struct {
	mu       sync.RWMutex
	keep     int
	recs     []receiver.Record // ascending seq
	triggers map[string]int    // trigger → deliveries kept
}

func (st *store) add(r receiver.Record) {
	st.mu.Lock()
	defer st.mu.Unlock()
	i := len(st.recs)
	for i > 0 && st.recs[i-1].Seq > r.Seq {
		i--
	}
	if i > 0 && st.recs[i-1].Seq == r.Seq { // the same delivery again: keep the newer record
		st.forget(st.recs[i-1].Trigger)
		st.recs[i-1] = r
		st.triggers[r.Trigger]++
		return
	}
	st.recs = append(st.recs, receiver.Record{})
	copy(st.recs[i+1:], st.recs[i:])
	st.recs[i] = r
	st.triggers[r.Trigger]++
	for len(st.recs) > st.keep {
		st.forget(st.recs[0].Trigger)
		st.recs[0] = receiver.Record{} // let the payload go
		st.recs = st.recs[1:]
	}
}

func (st *store) forget(trigger string) {
	if st.triggers[trigger]--; st.triggers[trigger] <= 0 {
		delete(st.triggers, trigger)
	}
}

func (st *store) len() int {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return len(st.recs)
}

func (st *store) get(seq int64) (receiver.Record, bool) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	i := sort.Search(len(st.recs), func(i int) bool { return st.recs[i].Seq >= seq })
	if i < len(st.recs) && st.recs[i].Seq == seq {
		return st.recs[i], true
	}
	return receiver.Record{}, false
}

// filter selects deliveries; empty fields match all.
type filter struct {
	trigger, outcome string
}

func (f filter) match(r *receiver.Record) bool {
	return (f.trigger == "" || r.Trigger == f.trigger) && (f.outcome == "" || r.Outcome == f.outcome)
}

// page returns up to limit deliveries matching f with a seq below before (0: the newest),
// newest first, and whether older ones match too.
func (st *store) page(before int64, limit int, f filter) (recs []receiver.Record, more bool, total int) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	i := len(st.recs)
	if before > 0 {
		i = sort.Search(len(st.recs), func(i int) bool { return st.recs[i].Seq >= before })
	}
	for i--; i >= 0; i-- {
		if !f.match(&st.recs[i]) {
			continue
		}
		if len(recs) == limit {
			more = true
			break
		}
		recs = append(recs, st.recs[i])
	}
	return recs, more, len(st.recs)
}

// triggerNames lists the triggers of the deliveries kept, sorted, for the filter.
func (st *store) triggerNames() []string {
	st.mu.RLock()
	defer st.mu.RUnlock()
	names := make([]string, 0, len(st.triggers))
	for t := range st.triggers {
		if t != "" {
			names = append(names, t)
		}
	}
	sort.Strings(names)
	return names
}
