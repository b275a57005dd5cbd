package pipeline

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/comethook/comethook/internal/render"
)

// viewQueue is how many deliveries' lines may wait for the terminal; past it, while the
// terminal is paused (Ctrl-S, a pager not scrolled), lines are skipped and counted.
const viewQueue = 1024

// maxHeldWarnings bounds the warnings held while the terminal is paused; more are counted.
const maxHeldWarnings = 64

// View is the terminal: delivery lines on stdout, warnings on stderr, written by a goroutine
// of its own so that a paused terminal holds up nothing else. When it falls behind it skips
// deliveries and says so once it catches up.
type View struct {
	p     *render.Printer
	lines bool   // delivery lines; off with --json, where the View carries warnings only
	hint  string // where skipped deliveries can be found, e.g. "comethook events has them"
	out   *bufio.Writer
	errw  io.Writer

	renderers sync.Pool // of *renderer

	mu     sync.RWMutex // guards closed against Add and Warn
	closed bool
	ch     chan viewItem
	done   chan struct{}

	held         [][]byte // warnings waiting while ch was full
	heldMu       sync.Mutex
	notShown     atomic.Int64 // deliveries skipped, in all
	unsaid       atomic.Int64 // deliveries skipped and not said yet
	warningsLost atomic.Int64
}

type viewItem struct{ out, err []byte }

// NewView writes to p's streams; lines says whether deliveries are shown (not with --json);
// hint completes the line that counts skipped deliveries.
func NewView(p *render.Printer, lines bool, hint string) *View {
	v := &View{p: p, lines: lines, hint: hint, out: bufio.NewWriterSize(p.RawOut, 64<<10), errw: p.RawErr,
		ch: make(chan viewItem, viewQueue), done: make(chan struct{})}
	go v.run()
	return v
}

// renderer is a printer writing into its own buffers; the View keeps a pool of them, so
// rendering a delivery costs its text and nothing else.
type renderer struct {
	out, err bytes.Buffer
	p        *render.Printer
}

// Prepare renders the delivery's lines on the request's goroutine.
func (v *View) Prepare(e *Entry) {
	if !v.lines || !e.Shown {
		return
	}
	r, _ := v.renderers.Get().(*renderer)
	if r == nil {
		r = &renderer{}
		r.p = v.p.WithOutErr(&r.out, &r.err)
	}
	r.out.Reset()
	r.err.Reset()
	r.p.Delivery(e.Delivery)
	e.Text = bytes.Clone(r.out.Bytes())
	if r.err.Len() > 0 {
		e.Warnings = bytes.Clone(r.err.Bytes())
	}
	if r.out.Cap() <= 64<<10 { // a -v delivery's big buffer is not kept
		v.renderers.Put(r)
	}
}

// Add queues the entry's lines, or skips them when the terminal is that far behind.
func (v *View) Add(e *Entry) {
	if e.Text == nil && e.Warnings == nil {
		return
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.closed {
		return
	}
	select {
	case v.ch <- viewItem{out: e.Text, err: e.Warnings}:
	default:
		v.notShown.Add(1)
		v.unsaid.Add(1)
	}
}

func (v *View) Flush() {}

// Close writes what is queued and stops the goroutine; later warnings are written at once.
func (v *View) Close() {
	v.mu.Lock()
	if !v.closed {
		v.closed = true
		close(v.ch)
	}
	v.mu.Unlock()
	<-v.done
}

// NotShown is how many deliveries the terminal skipped while it was paused.
func (v *View) NotShown() int64 { return v.notShown.Load() }

func (v *View) countLosses(s *Summary) { s.NotShown = v.NotShown() }

// Warn shows a warning without waiting for the terminal: it is queued behind the lines
// already there, or held (up to maxHeldWarnings, then counted) while the queue is full.
// After Close it is written at once. Safe from any goroutine.
func (v *View) Warn(msg string) {
	var b bytes.Buffer
	v.p.WithOutErr(io.Discard, &b).Warn(msg)
	v.mu.RLock()
	if v.closed {
		v.mu.RUnlock()
		v.errw.Write(b.Bytes())
		return
	}
	defer v.mu.RUnlock()
	select {
	case v.ch <- viewItem{err: b.Bytes()}:
	default:
		v.heldMu.Lock()
		if len(v.held) < maxHeldWarnings {
			v.held = append(v.held, b.Bytes())
		} else {
			v.warningsLost.Add(1)
		}
		v.heldMu.Unlock()
	}
}

func (v *View) run() {
	defer close(v.done)
	for it := range v.ch {
		v.write(it)
		if caughtUp(v.ch) {
			v.catchUp()
		}
	}
	v.catchUp()
}

func (v *View) write(it viewItem) {
	if len(it.out) > 0 {
		v.out.Write(it.out)
	}
	if len(it.err) > 0 { // stdout first, so that a warning follows its delivery's lines
		v.out.Flush()
		v.errw.Write(it.err)
	}
}

// catchUp writes what waited and says what was skipped; the queue is empty.
func (v *View) catchUp() {
	v.out.Flush()
	v.heldMu.Lock()
	held := v.held
	v.held = nil
	v.heldMu.Unlock()
	for _, w := range held {
		v.errw.Write(w)
	}
	if n := v.warningsLost.Swap(0); n > 0 {
		v.note(fmt.Sprintf("… %d more warnings not shown while the terminal was paused", n))
	}
	if n := v.unsaid.Swap(0); n > 0 {
		what := fmt.Sprintf("… %s not shown while the terminal was paused", render.Deliveries(int(n)))
		if v.hint != "" {
			what += "; " + v.hint
		}
		v.note(what)
	}
}

func (v *View) note(msg string) {
	var b bytes.Buffer
	v.p.WithOutErr(io.Discard, &b).Note(msg)
	v.errw.Write(b.Bytes())
}
