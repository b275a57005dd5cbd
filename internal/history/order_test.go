package history

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Records captured a few places out of seq order (answers written out of order) come out
// in seq order; one displaced further than the window is passed on where it is, and the
// window holds no more than its bound of bytes.
func TestInSeqOrder(t *testing.T) {
	var got []int64
	decode := func(b []byte) int64 { n, _ := strconv.ParseInt(string(b), 10, 64); return n }
	add, flush := InSeqOrder(func(b []byte) error { got = append(got, decode(b)); return nil })
	var in []int64
	for seq := int64(1); seq <= 5000; seq++ {
		in = append(in, seq)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i+8 <= len(in); i += 8 { // shuffled within groups of 8, as concurrent answers are
		rng.Shuffle(8, func(a, b int) { in[i+a], in[i+b] = in[i+b], in[i+a] })
	}
	for _, seq := range in {
		if err := add(seq, []byte(strconv.FormatInt(seq, 10))); err != nil {
			t.Fatal(err)
		}
	}
	if err := flush(); err != nil {
		t.Fatal(err)
	}
	if !slices.IsSorted(got) || len(got) != 5000 {
		t.Errorf("%d records, sorted %v", len(got), slices.IsSorted(got))
	}

	// Big ones: the window holds about OrderWindowBytes of them, not OrderWindow.
	got = nil
	add, flush = InSeqOrder(func(b []byte) error { got = append(got, 0); return nil })
	big := []byte(strings.Repeat("x", 1<<20))
	for seq := int64(100); seq >= 1; seq-- { // newest first: only the window can sort them
		add(seq, big)
	}
	if held := 100 - len(got); held > OrderWindowBytes/(1<<20)+1 {
		t.Errorf("%d 1-MiB records held, want at most %d", held, OrderWindowBytes/(1<<20)+1)
	}
	flush()
	if len(got) != 100 {
		t.Errorf("%d of 100 records came out", len(got))
	}
}
