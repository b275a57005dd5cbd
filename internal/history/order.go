package history

import "container/heap"

// A capture holds deliveries in the order their answers were written, which under load is
// not quite seq order: #12 may be answered, and captured, before #11. Readers that list
// deliveries put them back in seq order through a bounded window of what they print.

// Reorder windows: how many deliveries, and how many bytes of their printed form, are held to
// put a capture back in seq order. A delivery answered more than that much later than the ones
// after it is printed where it is: a listing stays in bounded memory whatever the file.
const (
	OrderWindow      = 1024
	OrderWindowBytes = 4 << 20
)

// InSeqOrder returns a function that takes each delivery's printed form (its row, its JSON
// line) in file order and hands it to fn in seq order, within the window, and one that hands
// over what is still held, at the end. Holding the printed bytes, not the decoded records,
// keeps the window's memory what it says.
func InSeqOrder(fn func([]byte) error) (add func(seq int64, printed []byte) error, flush func() error) {
	h := &seqHeap{}
	size := 0
	pop := func() error {
		it := heap.Pop(h).(seqItem)
		size -= len(it.b)
		return fn(it.b)
	}
	add = func(seq int64, printed []byte) error {
		heap.Push(h, seqItem{seq, printed})
		size += len(printed)
		for h.Len() > OrderWindow || size > OrderWindowBytes && h.Len() > 1 {
			if err := pop(); err != nil {
				return err
			}
		}
		return nil
	}
	flush = func() error {
		for h.Len() > 0 {
			if err := pop(); err != nil {
				return err
			}
		}
		return nil
	}
	return add, flush
}

type seqItem struct {
	seq int64
	b   []byte
}

type seqHeap []seqItem

func (h seqHeap) Len() int           { return len(h) }
func (h seqHeap) Less(i, j int) bool { return h[i].seq < h[j].seq }
func (h seqHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *seqHeap) Push(x any)        { *h = append(*h, x.(seqItem)) }
func (h *seqHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = seqItem{}
	*h = old[:len(old)-1]
	return it
}
