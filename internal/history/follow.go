package history

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"

	"github.com/comethook/comethook/internal/record"
)

// Follower reads the records a running listen appends to its capture file, from where the
// follower started: what comethook trigger waits on.
type Follower struct {
	path    string
	offset  int64
	partial []byte      // a line not yet complete
	last    os.FileInfo // the file read last: another one is a rotation
}

// Follow starts following the capture at path from its current end: only records written
// from now on are read.
func Follow(path string) *Follower {
	f := &Follower{path: path}
	if fi, err := os.Stat(path); err == nil {
		f.offset, f.last = fi.Size(), fi
	}
	return f
}

// maxFollowRead bounds one read: the rest waits for the next call.
const maxFollowRead = 16 << 20

// Next returns the records appended since the last call (none when nothing was). When the
// file was rotated (it is shorter than what was read of it), reading starts again at its
// beginning: what went to the older part in between is not read. A new file at the path
// (rotation renames the old one away) is read from its beginning too. Lines that are not records
// are skipped.
func (f *Follower) Next() ([]record.Record, error) {
	file, err := OpenFile(f.path, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // rotated away this instant, or not yet created
	}
	if err != nil {
		return nil, err
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() < f.offset || f.last != nil && !os.SameFile(f.last, fi) {
		f.offset, f.partial = 0, nil
	}
	f.last = fi
	if _, err := file.Seek(f.offset, io.SeekStart); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(file, maxFollowRead))
	if err != nil {
		return nil, err
	}
	f.offset += int64(len(b))
	b = append(f.partial, b...)
	end := bytes.LastIndexByte(b, '\n')
	if end < 0 {
		f.partial = b
		return nil, nil
	}
	f.partial = append([]byte(nil), b[end+1:]...)
	var recs []record.Record
	for line := range bytes.SplitSeq(b[:end], []byte("\n")) {
		if rec, err := decodeRecord(line); err == nil {
			recs = append(recs, rec)
		}
	}
	return recs, nil
}
