package history

import (
	"os"
	"path/filepath"
	"testing"
)

// A follower reads what is appended after it started, a line at a time once complete, and
// starts over when the file is rotated.
func TestFollow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.jsonl")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w.Add(recordN(1))
	w.Flush()
	f := Follow(path)
	if recs, err := f.Next(); err != nil || len(recs) != 0 {
		t.Fatalf("before anything new: %v, %v", recs, err)
	}
	w.Add(recordN(2))
	w.Add(recordN(3))
	w.Flush()
	recs, err := f.Next()
	if err != nil || len(recs) != 2 || recs[0].Seq != 2 || recs[1].Seq != 3 {
		t.Fatalf("after two: %+v, %v", recs, err)
	}
	// Half a line waits for its end.
	line, _ := recordN(4).AppendLine(nil)
	file, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	file.Write(line[:10])
	if recs, _ := f.Next(); len(recs) != 0 {
		t.Fatalf("half a line read as %+v", recs)
	}
	file.Write(line[10:])
	file.Close()
	if recs, _ := f.Next(); len(recs) != 1 || recs[0].Seq != 4 {
		t.Fatalf("the completed line: %+v", recs)
	}
	// Rotated: a new, shorter file is read from its start.
	os.WriteFile(path, mustLine(t, 5), 0o600)
	if recs, _ := f.Next(); len(recs) != 1 || recs[0].Seq != 5 {
		t.Fatalf("after rotation: %+v", recs)
	}
	w.Close()
}

func mustLine(t *testing.T, seq int64) []byte {
	b, err := recordN(seq).AppendLine(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
