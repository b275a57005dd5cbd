package receiver

import (
	"sync"

	"github.com/comethook/comethook/internal/webhook"
	"github.com/comethook/comethook/simulate"
)

// dedupWindow is how many recent events are remembered for duplicate detection:
// CometChat retries within 40 s, far fewer deliveries than this even under load, and the
// bound keeps memory flat however long listen runs.
const dedupWindow = 10000

// seen remembers the deduplication keys of recent events.
type seen struct {
	mu   sync.Mutex
	seq  map[string]int64 // key → the first delivery that carried it
	ring []string         // keys in arrival order, oldest evicted first
	next int
}

// check returns the first delivery with the same key, or 0, and remembers key for seq.
func (s *seen) check(key string, seq int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if first, ok := s.seq[key]; ok {
		return first
	}
	if s.seq == nil {
		s.seq = make(map[string]int64)
		s.ring = make([]string, dedupWindow)
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.seq, old)
	}
	s.ring[s.next] = key
	s.next = (s.next + 1) % dedupWindow
	s.seq[key] = seq
	return 0
}

// markDuplicate sets DuplicateOf when an earlier delivery carried the same event.
func (h *Handler) markDuplicate(d *Delivery) {
	if d.Event == nil || d.Outcome == simulate.Rejected {
		return
	}
	key, inferred := webhook.DedupKey(d.Event)
	if key == "" {
		return
	}
	d.DedupKey, d.DedupInferred = key, inferred
	d.DuplicateOf = h.seen.check(key, d.Seq)
}
