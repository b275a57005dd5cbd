package history

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/comethook/comethook/internal/record"
)

// Writer appends records to a capture file as JSON lines.
//
// Each record goes to the file in one write of a complete line, so a crash loses at most the
// delivery being written, and a reader (`comethook events` while listen runs) sees whole
// records, or, at worst, a last line still being written, which Scan reports as truncated.
// Records are not synced to disk one by one: a crash of comethook loses nothing the kernel
// already has, and an fsync per webhook would slow a burst of deliveries for little.
//
// A Writer is not safe for concurrent use: one goroutine (listen's capture sink) calls Write.
type Writer struct {
	f       *os.File
	path    string
	pending []byte // encoded records not written yet
	// newline says the file ends in the middle of a line (an earlier run crashed while
	// writing, or a write of ours failed half-way), so the next record starts a line first
	// instead of being glued to the broken one.
	newline  bool
	pendingN int   // records in pending
	lost     int64 // records that never reached the file (a full disk, say)

	// max bounds the file and its older part together (see SetMax); 0 is no bound.
	max int64
	// size is the file's size as written; rotateAt is the size past which it rotates.
	size, rotateAt int64
	rotations      int
	// inFile and inOlder count this Writer's records in the file and in its older part;
	// dropped counts those a rotation removed to make room.
	inFile, inOlder, dropped int64
	// OnRotate, when set, is called with the older part's path after each rotation (listen
	// says so, once).
	OnRotate func(older string)
}

// SetMax bounds the capture to max bytes on disk (0: no bound): past half of it the file
// moves to its older part (OlderPart) and starts again, so the two hold the newest
// deliveries, at most max bytes (one batch more at worst).
func (w *Writer) SetMax(max int64) {
	w.max = max
	w.rotateAt = max / 2
}

// Lost is how many records never reached the file: counted, so that listen can say so
// rather than claim a complete capture.
func (w *Writer) Lost() int64 { return w.lost }

// maxKeptBuffer is the largest encoding buffer kept between writes: a 20 MiB delivery should
// not pin 20 MiB for the rest of the run.
const maxKeptBuffer = 1 << 20

// Create opens path for appending records, creating it with mode 0600 (and its directory with
// mode 0700) when missing. An existing file is appended to and keeps its mode.
//
// Nothing planted at path is written through: a new file is created exclusively, and an
// existing one is opened without following a symbolic link and only when it is a regular
// file of the user's with one name (see OpenFile); anything else is an *UnsafeError.
func Create(path string) (*Writer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the capture directory: %w", err)
	}
	w := &Writer{path: path}
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

// open opens the file (created, or appended to) and learns its size and whether it ends
// mid-line.
func (w *Writer) open() error {
	f, err := OpenFile(w.path, os.O_RDWR|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if errors.Is(err, fs.ErrExist) { // --capture FILE of an earlier run: appended to
		f, err = OpenFile(w.path, os.O_RDWR|os.O_APPEND, 0)
	}
	if err != nil {
		return fmt.Errorf("opening the capture file: %w", err)
	}
	if w.size, w.newline, err = sizeAndEnd(f); err != nil {
		f.Close()
		return fmt.Errorf("opening the capture file: %w", err)
	}
	w.f = f
	return nil
}

// sizeAndEnd returns f's size and whether it is not empty and does not end with a newline.
func sizeAndEnd(f *os.File) (int64, bool, error) {
	info, err := f.Stat()
	if err != nil || info.Size() == 0 {
		return 0, false, err
	}
	var last [1]byte
	if _, err := f.ReadAt(last[:], info.Size()-1); err != nil && err != io.EOF {
		return 0, false, err
	}
	return info.Size(), last[0] != '\n', nil
}

// Path is the capture file's path.
func (w *Writer) Path() string { return w.path }

// Write appends one record and writes it at once, as one complete line.
func (w *Writer) Write(r record.Record) error {
	if err := w.Add(r); err != nil {
		return err
	}
	return w.Flush()
}

// Add encodes a record into the pending buffer without writing it: listen adds the
// deliveries that queue up during a burst and flushes once the queue is empty, one write
// for many lines. Records already queued in memory are no safer than buffered ones.
func (w *Writer) Add(r record.Record) error {
	line, err := r.AppendLine(nil)
	if err != nil {
		line = nil
	}
	return w.AddLine(r.Seq, line)
}

// AddLine is Add for a record already encoded by record.Record.AppendLine (listen encodes
// each record once, on its request's goroutine, for every sink). A nil line is a record that
// could not be encoded: counted lost.
func (w *Writer) AddLine(seq int64, line []byte) error {
	if line == nil {
		w.lost++
		return fmt.Errorf("capturing delivery #%d: the record could not be encoded", seq)
	}
	if w.newline && len(w.pending) == 0 {
		w.pending = append(w.pending, '\n') // the file ends mid-line: start a fresh one
	}
	w.pending = append(w.pending, line...)
	w.pendingN++
	if len(w.pending) >= flushAt { // a long burst: write as we go, memory stays flat
		return w.Flush()
	}
	return nil
}

// flushAt is how much Add buffers before it writes by itself.
const flushAt = 64 << 10

// Flush writes the pending records in one write call.
func (w *Writer) Flush() error {
	if len(w.pending) == 0 {
		return nil
	}
	var rotateErr error
	if w.max > 0 && w.f != nil && w.size > 0 && w.size+int64(len(w.pending)) > w.rotateAt {
		if rotateErr = w.rotate(); rotateErr != nil {
			// Not rotated (a reader holding the file open on Windows, say): try again only
			// after another half of the bound, not at every write.
			w.rotateAt = w.size + w.max/2
			rotateErr = fmt.Errorf("rotating the capture file: %w", rotateErr)
		} else {
			w.rotateAt = w.max / 2
		}
	}
	if w.f == nil { // a rotation that could not open the new file: try again now
		if err := w.open(); err != nil {
			w.lost += int64(w.pendingN)
			w.pending, w.pendingN = w.pending[:0], 0
			return errors.Join(rotateErr, err)
		}
	}
	if !w.newline && w.pending[0] == '\n' {
		w.pending = w.pending[1:] // rotated: the new file does not end mid-line
	}
	n, err := w.f.Write(w.pending)
	w.size += int64(n)
	if err != nil {
		// The lines written whole are in the file; the rest, and a line cut short, are lost.
		written := bytes.Count(w.pending[:n], []byte("\n"))
		if w.pending[0] == '\n' && n > 0 {
			written-- // the separator after a broken line is not a record
		}
		w.lost += int64(w.pendingN - written)
		w.inFile += int64(written)
		if n > 0 {
			w.newline = true
		}
		w.pending, w.pendingN = w.pending[:0], 0
		return errors.Join(rotateErr, fmt.Errorf("writing the capture file: %w", err))
	}
	w.inFile += int64(w.pendingN)
	w.newline, w.pendingN = false, 0
	if cap(w.pending) > maxKeptBuffer {
		w.pending = nil // one huge delivery does not hold memory for the rest of the run
	} else {
		w.pending = w.pending[:0]
	}
	return rotateErr
}

// Rotations is how many times the file was moved to its older part.
func (w *Writer) Rotations() int { return w.rotations }

// Dropped is how many of the records written were removed by rotations to keep the bound:
// the file and its older part hold the others.
func (w *Writer) Dropped() int64 { return w.dropped }

func (w *Writer) Close() error {
	ferr := w.Flush()
	if w.f == nil {
		return ferr
	}
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("closing the capture file: %w", err)
	}
	return ferr
}

// OpenBounded creates (or appends to) the capture file at path and keeps it within max bytes:
// the file rotates past half of max (SetMax). When dir is not "" it is the capture directory
// the file is in, and older runs and the file's older part are pruned to the other half of
// max now and at each rotation, so the directory stays within max at all times. warn hears of
// failed pruning and, once, of the first rotation, with what to do about it (maxText is how
// the user wrote max).
func OpenBounded(path, dir string, max int64, maxText string, warn func(string)) (*Writer, error) {
	prune := func() {
		if dir == "" {
			return
		}
		if _, err := Prune(dir, max-max/2, path); err != nil {
			warn("pruning old captures: " + err.Error())
		}
	}
	prune()
	w, err := Create(path)
	if err != nil {
		return nil, err
	}
	w.SetMax(max)
	w.OnRotate = func(older string) {
		prune()
		if w.Rotations() == 1 { // said once: from now on the oldest deliveries make room
			warn(fmt.Sprintf("capture: this run's capture reached half of --capture-max %s; its older deliveries are in %s, and the oldest now make room for new ones (raise --capture-max to keep more)",
				maxText, older))
		}
	}
	return w, nil
}
