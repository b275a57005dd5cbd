package history

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/comethook/comethook/internal/record"
)

// fileSize is the size of path, 0 when it does not exist.
func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

// A flood of deliveries leaves the capture within its bound, holding the newest of them in
// order, and readers see the older part and the file as one capture.
func TestWriterRotates(t *testing.T) {
	dir := t.TempDir()
	path := NewRunPath(dir, time.Now())
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	const max = 64 << 10
	w.SetMax(max)
	var rotatedTo []string
	w.OnRotate = func(older string) { rotatedTo = append(rotatedTo, older) }
	line, _ := recordN(1).AppendLine(nil)
	n := int64(10 * max / len(line)) // ten times what the bound holds
	for seq := int64(1); seq <= n; seq++ {
		if err := w.Add(recordN(seq)); err != nil {
			t.Fatal(err)
		}
		if seq%7 == 0 { // batches of several lines, as listen writes them
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	older := OlderPart(path)
	if len(rotatedTo) < 5 || rotatedTo[0] != older || w.Rotations() != len(rotatedTo) {
		t.Fatalf("rotations %v (Rotations %d), want about 10, each to %s", rotatedTo, w.Rotations(), older)
	}
	// One batch of 7 lines may pass the half-bound before it rotates.
	if got, limit := fileSize(t, path)+fileSize(t, older), int64(max+7*len(line)); got > limit {
		t.Errorf("the capture is %d bytes on disk, want at most %d (the bound and one batch)", got, limit)
	}
	recs, warnings := scanAll(t, path)
	if len(warnings) > 0 {
		t.Errorf("warnings: %v", warnings)
	}
	seqs := seqsOf(recs)
	if len(seqs) < int(max/2/int64(len(line))) || seqs[len(seqs)-1] != n {
		t.Fatalf("read %d records ending with #%d, want at least half the bound's worth ending with #%d", len(seqs), seqs[len(seqs)-1], n)
	}
	if got := int64(len(seqs)) + w.Dropped(); got != n {
		t.Errorf("%d records kept and %d dropped, want them to add up to the %d written", len(seqs), w.Dropped(), n)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Fatalf("records out of order or missing across the parts: #%d after #%d", seqs[i], seqs[i-1])
		}
	}
	// A delivery of the older part is found, and the run is still the latest.
	if rec, _, err := Find(path, seqs[0]); err != nil || rec.Seq != seqs[0] {
		t.Errorf("Find(#%d, in the older part) = #%d, %v", seqs[0], rec.Seq, err)
	}
	if got, err := Latest(dir); err != nil || got != path {
		t.Errorf("Latest = %q, %v, want the run's file %s, not its older part", got, err, path)
	}
}

// Pruning counts a run's older part with it, removes it with it, and never touches the
// current run's.
func TestPruneOlderParts(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	oldRun := touch(t, dir, filepath.Base(NewRunPath(dir, old)), 100, old)
	oldPart := touch(t, dir, filepath.Base(OlderPart(oldRun)), 100, old)
	cur := touch(t, dir, filepath.Base(NewRunPath(dir, time.Now())), 100, time.Now())
	curPart := touch(t, dir, filepath.Base(OlderPart(cur)), 100, time.Now())
	removed, err := Prune(dir, 250, cur)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 2 || removed[0] != oldPart || removed[1] != oldRun {
		t.Errorf("removed %v, want the old run's older part then the run", removed)
	}
	for _, p := range []string{cur, curPart} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s (the current run): %v", p, err)
		}
	}
}

// Older parts are named beside their file and known as a run's; a capture without one reads
// as before.
func TestOlderPartName(t *testing.T) {
	for in, want := range map[string]string{
		"/c/listen-20261130-101010-42.jsonl": "/c/listen-20261130-101010-42.older.jsonl",
		"/tmp/mine.json":                     "/tmp/mine.json.older",
	} {
		if got := OlderPart(in); got != want {
			t.Errorf("OlderPart(%q) = %q, want %q", in, got, want)
		}
	}
	if _, _, ok := parseRunName("listen-20261130-101010-42.older.jsonl"); !ok {
		t.Error("an older part is not recognised as a run's file")
	}
	path := filepath.Join(t.TempDir(), "c.jsonl")
	writeAll(t, path, recordN(1), recordN(2))
	var seqs []int64
	if err := Stream(path, func(r record.Record) error { seqs = append(seqs, r.Seq); return nil }, func(w string) { t.Error(w) }); err != nil || len(seqs) != 2 {
		t.Errorf("read %v, %v; want #1 and #2", seqs, err)
	}
}
