package history

import (
	"errors"
	"io/fs"
	"os"
	"strings"
)

// A capture file is bounded: when it passes half of its bound, the Writer moves it aside to
// its older part (OlderPart) and starts the file afresh, replacing an earlier older part. The
// two files together hold the newest deliveries and stay within the bound, whatever a flood
// of deliveries does; readers (Scan, Stream, Find) read the older part first, then the file,
// so `events` and `replay` see one capture.

// olderInfix marks the older part of a capture file: listen-….jsonl → listen-….older.jsonl.
const olderInfix = ".older"

// OlderPart is where path's older deliveries go when the Writer rotates it.
func OlderPart(path string) string {
	if base, ok := strings.CutSuffix(path, runSuffix); ok {
		return base + olderInfix + runSuffix
	}
	return path + olderInfix
}

// parts returns the files holding path's deliveries, oldest first: its older part when there
// is one, then path.
func parts(path string) []string {
	if info, err := os.Lstat(OlderPart(path)); err == nil && info.Mode().IsRegular() {
		return []string{OlderPart(path), path}
	}
	return []string{path}
}

// rotate moves the file aside to its older part and opens a new, empty one in its place. On
// failure the Writer has no file; the next Flush tries to open one again.
func (w *Writer) rotate() error {
	err := w.f.Close()
	w.f = nil
	older := OlderPart(w.path)
	if rerr := os.Remove(older); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	if rerr := os.Rename(w.path, older); rerr != nil {
		err = errors.Join(err, rerr)
	}
	if oerr := w.open(); oerr != nil || err != nil {
		return errors.Join(err, oerr)
	}
	w.rotations++
	w.dropped += w.inOlder
	w.inOlder, w.inFile = w.inFile, 0
	if w.OnRotate != nil {
		w.OnRotate(older)
	}
	return nil
}
