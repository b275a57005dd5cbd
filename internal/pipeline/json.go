package pipeline

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/comethook/comethook/internal/bytesize"
)

// JSONMax bounds what --json holds for a reader that does not keep up.
const JSONMax = 64 << 20

// JSONLines writes the --json records to stdout from a goroutine of its own. stdout is data
// there, so it is buffered rather than skipped: up to JSONMax bytes wait for a slow reader
// (a pipe into a busy script, `| less`); past it, records are dropped and counted, with one
// warning, and the summary says how many.
type JSONLines struct {
	w    io.Writer
	max  int
	warn func(string)

	mu       sync.Mutex
	ready    *sync.Cond // signalled when buf has bytes or closed is set
	buf      []byte     // waiting for the writer
	writing  int        // bytes the writer holds: they count in max until written
	closed   bool
	dropped  atomic.Int64
	writeErr error
	done     chan struct{}
}

// NewJSON writes lines to w, holding at most max bytes for it (JSONMax when max is 0); warn
// hears the first drop.
func NewJSON(w io.Writer, max int, warn func(string)) *JSONLines {
	if max <= 0 {
		max = JSONMax
	}
	j := &JSONLines{w: w, max: max, warn: warn, done: make(chan struct{})}
	j.ready = sync.NewCond(&j.mu)
	go j.run()
	return j
}

func (j *JSONLines) Add(e *Entry) {
	if !e.Shown || e.Line == nil {
		return
	}
	j.mu.Lock()
	fits := j.writing+len(j.buf)+len(e.Line) <= j.max
	if fits {
		j.buf = append(j.buf, e.Line...)
		j.ready.Signal()
	}
	j.mu.Unlock()
	if !fits && j.dropped.Add(1) == 1 && j.warn != nil {
		j.warn(fmt.Sprintf("--json: stdout is not being read: %s of records wait for it; further records are dropped and counted", bytesize.Text(int64(j.max))))
	}
}

func (j *JSONLines) Flush() {}

// Close waits until everything held has been written.
func (j *JSONLines) Close() {
	j.mu.Lock()
	j.closed = true
	j.ready.Signal()
	j.mu.Unlock()
	<-j.done
}

// Dropped is how many records were not printed: the reader fell too far behind, or stdout
// could no longer be written. Read it after Close.
func (j *JSONLines) Dropped() int64 { return j.dropped.Load() }

func (j *JSONLines) countLosses(s *Summary) { s.NotPrinted = j.Dropped() }

func (j *JSONLines) run() {
	defer close(j.done)
	var out []byte
	for {
		j.mu.Lock()
		for len(j.buf) == 0 && !j.closed {
			j.ready.Wait()
		}
		if len(j.buf) == 0 { // closed and written
			j.mu.Unlock()
			return
		}
		out, j.buf = j.buf, out[:0] // the writer takes the batch; Add fills the other buffer
		j.writing = len(out)
		j.mu.Unlock()
		if j.writeErr == nil {
			_, j.writeErr = j.w.Write(out)
		}
		if j.writeErr != nil { // stdout gone (a closed pipe): the rest goes nowhere, counted
			j.dropped.Add(int64(bytes.Count(out, []byte{'\n'})))
		}
		j.mu.Lock()
		j.writing = 0
		j.mu.Unlock()
		if cap(out) > 4<<20 {
			out = nil // a burst's big buffer is not kept for the rest of the run
		}
	}
}
