package history

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/comethook/comethook/internal/receiver"
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
	f    *os.File
	path string
	buf  bytes.Buffer
	enc  *json.Encoder
	// newline says the file ends in the middle of a line (an earlier run crashed while
	// writing, or a write of ours failed half-way), so the next record starts a line first
	// instead of being glued to the broken one.
	newline bool
}

// maxKeptBuffer is the largest encoding buffer kept between writes: a 20 MiB delivery should
// not pin 20 MiB for the rest of the run.
const maxKeptBuffer = 1 << 20

// Create opens path for appending records, creating it with mode 0600 (and its directory with
// mode 0700) when missing. An existing file is appended to and keeps its mode.
func Create(path string) (*Writer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the capture directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the capture file: %w", err)
	}
	w := &Writer{f: f, path: path}
	w.enc = json.NewEncoder(&w.buf)
	w.enc.SetEscapeHTML(false) // payloads keep <@uid:...> mentions and & as they arrived
	if w.newline, err = endsMidLine(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("opening the capture file: %w", err)
	}
	return w, nil
}

// endsMidLine says whether f is not empty and does not end with a newline.
func endsMidLine(f *os.File) (bool, error) {
	info, err := f.Stat()
	if err != nil || info.Size() == 0 {
		return false, err
	}
	var last [1]byte
	if _, err := f.ReadAt(last[:], info.Size()-1); err != nil && err != io.EOF {
		return false, err
	}
	return last[0] != '\n', nil
}

// Path is the capture file's path.
func (w *Writer) Path() string { return w.path }

// Write appends r as one line. Not safe for concurrent use.
func (w *Writer) Write(r receiver.Record) error {
	w.buf.Reset()
	if w.newline {
		w.buf.WriteByte('\n')
	}
	if err := w.enc.Encode(r); err != nil { // Encode ends the line with '\n'
		return fmt.Errorf("capturing delivery #%d: %w", r.Seq, err)
	}
	n, err := w.f.Write(w.buf.Bytes())
	if err != nil {
		if n > 0 {
			w.newline = true
		}
		return fmt.Errorf("capturing delivery #%d: %w", r.Seq, err)
	}
	w.newline = false
	if w.buf.Cap() > maxKeptBuffer {
		w.buf = bytes.Buffer{} // the encoder holds &w.buf, which stays the same
	}
	return nil
}

// Close closes the capture file.
func (w *Writer) Close() error {
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("closing the capture file: %w", err)
	}
	return nil
}
