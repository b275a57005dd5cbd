package history

import (
	"container/heap"

	"github.com/comethook/comethook/internal/receiver"
)

// A capture holds deliveries in the order their answers were written, which under load is
// not quite seq order: #12 may be answered, and captured, before #11. Readers that list
// deliveries put them back in seq order through a bounded window.

// Reorder windows: how many records, and about how many bytes of them, are held to put a
// capture back in seq order. A delivery answered more than that much later than the ones
// after it is passed on where it is: a listing stays in bounded memory whatever the file.
const (
	OrderWindow      = 1024
	OrderWindowBytes = 16 << 20
)

// InSeqOrder returns a function that takes records in file order and hands them to fn in seq
// order (within the window), and one that hands over what is still held, at the end.
func InSeqOrder(fn func(receiver.Record) error) (add func(receiver.Record) error, flush func() error) {
	h := &seqHeap{}
	size := 0
	pop := func() error {
		r := heap.Pop(h).(receiver.Record)
		size -= r.ApproxSize()
		return fn(r)
	}
	add = func(r receiver.Record) error {
		heap.Push(h, r)
		size += r.ApproxSize()
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

type seqHeap []receiver.Record

func (h seqHeap) Len() int           { return len(h) }
func (h seqHeap) Less(i, j int) bool { return h[i].Seq < h[j].Seq }
func (h seqHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *seqHeap) Push(x any)        { *h = append(*h, x.(receiver.Record)) }
func (h *seqHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	old[len(old)-1] = receiver.Record{}
	*h = old[:len(old)-1]
	return r
}
