package inspect

import (
	"sort"
	"sync"

	"github.com/comethook/comethook/internal/record"
)

// store keeps a list row for each of the newest deliveries (small: the list pages through
// thousands) and the whole record for the newest few (what a detail view opens). Older
// records are read back from the capture file through Options.Lookup. Deliveries are
// emitted when their answer is written, so a slow one can arrive after a later seq: add
// inserts in place (near the end).
type store struct {
	mu       sync.RWMutex
	keep     int                     // rows kept
	keepFull int                     // whole records kept
	rows     []row                   // ascending seq: a window sliding along buf
	buf      []row                   // rows' backing array, whole
	full     map[int64]record.Record // the newest keepFull records, within maxFullBytes
	order    []int64                 // seqs in full, oldest first
	fullSize int                     // about how many bytes the records in full hold
	triggers map[string]int          // trigger → rows kept
}

func (st *store) add(r record.Record, w row) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if old, ok := st.full[r.Seq]; ok {
		st.fullSize -= old.ApproxSize()
	} else {
		st.order = append(st.order, r.Seq)
	}
	st.full[r.Seq] = r
	st.fullSize += r.ApproxSize()
	// Big deliveries make room sooner: 500 records of 60 KB would be 30 MB, and more to the
	// collector. The newest is always kept.
	for len(st.order) > st.keepFull || st.fullSize > maxFullBytes && len(st.order) > 1 {
		st.fullSize -= st.full[st.order[0]].ApproxSize()
		delete(st.full, st.order[0])
		st.order = st.order[1:]
	}
	i := len(st.rows)
	for i > 0 && st.rows[i-1].Seq > w.Seq {
		i--
	}
	if i > 0 && st.rows[i-1].Seq == w.Seq { // the same delivery again: keep the newer row
		st.forget(st.rows[i-1].Trigger)
		st.rows[i-1] = w
		st.triggers[w.Trigger]++
		return
	}
	if len(st.rows) == cap(st.rows) && len(st.rows) < len(st.buf) {
		// The window has slid to the end of buf: move it back to the start rather than
		// let append allocate a new array (and the collector scan the old one).
		n := copy(st.buf, st.rows)
		clear(st.buf[n:])
		st.rows = st.buf[:n]
	}
	st.rows = append(st.rows, row{})
	if cap(st.rows) > len(st.buf) {
		st.buf = st.rows[:cap(st.rows)]
	}
	copy(st.rows[i+1:], st.rows[i:])
	st.rows[i] = w
	st.triggers[w.Trigger]++
	for len(st.rows) > st.keep {
		st.forget(st.rows[0].Trigger)
		st.rows[0] = row{} // its strings can go
		st.rows = st.rows[1:]
	}
}

// maxFullBytes bounds the whole records held in memory; the others are read back from the
// capture when opened.
const maxFullBytes = 8 << 20

func (st *store) forget(trigger string) {
	if st.triggers[trigger]--; st.triggers[trigger] <= 0 {
		delete(st.triggers, trigger)
	}
}

func (st *store) len() int {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return len(st.rows)
}

// get returns a whole record still held in memory.
func (st *store) get(seq int64) (record.Record, bool) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	r, ok := st.full[seq]
	return r, ok
}

// filter selects deliveries; empty fields match all.
type filter struct {
	trigger, outcome string
}

func (f filter) match(w *row) bool {
	return (f.trigger == "" || w.Trigger == f.trigger) && (f.outcome == "" || w.Outcome == f.outcome)
}

// page returns up to limit rows matching f with a seq below before (0: the newest),
// newest first, and whether older ones match too.
func (st *store) page(before int64, limit int, f filter) (rows []row, more bool, total int) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	i := len(st.rows)
	if before > 0 {
		i = sort.Search(len(st.rows), func(i int) bool { return st.rows[i].Seq >= before })
	}
	for i--; i >= 0; i-- {
		if !f.match(&st.rows[i]) {
			continue
		}
		if len(rows) == limit {
			more = true
			break
		}
		rows = append(rows, st.rows[i])
	}
	return rows, more, len(st.rows)
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
