// Package pipeline carries every delivery `comethook listen` answered to its sinks: the
// terminal view, the --json lines, the capture file, --save and the web inspector.
//
// The receiver answers CometChat first and then hands the delivery to Emit, on the request's
// own goroutine. Emit does there the work that belongs to one delivery (its record, the
// record's JSON line, the event's gist, the terminal's text), so that it scales with the
// cores, and queues the result. One goroutine takes the queue in order and hands each entry
// to every sink; only ordered writes happen there, batched while the queue is not empty.
//
// No sink may block that goroutine on a reader: the terminal view and the --json lines have
// goroutines and bounded buffers of their own, and count what they had to leave out (a
// terminal paused with Ctrl-S, a pipe nobody reads), so an answer to CometChat, a capture line
// or an inspector update never waits on stdout.
package pipeline

import (
	"net/http"
	"runtime"
	"sync"

	"github.com/comethook/comethook/internal/receiver"
	"github.com/comethook/comethook/internal/record"
	"github.com/comethook/comethook/internal/webhook"
	"github.com/comethook/comethook/simulate"
)

// Entry is one delivery with what its sinks need, worked out once on the request's goroutine.
type Entry struct {
	Delivery *receiver.Delivery
	Record   record.Record
	// Line is Record as one JSON line, newline included: the capture's and --json's bytes.
	// Nil when the record could not be encoded.
	Line []byte
	// Summary is the event's gist; nil when the body was not an event.
	Summary *webhook.Summary
	// Shown says the delivery passes the -t filter: the terminal and --json show it.
	Shown bool
	// Text is the terminal view's rendering (see View.Prepare).
	Text []byte
	// Warnings are the terminal view's warning lines for it, rendered.
	Warnings []byte
}

// Sink takes entries on the pipeline's goroutine, in the order they were emitted.
type Sink interface {
	// Add takes one entry. It must not wait on a reader (a terminal, a pipe).
	Add(*Entry)
	// Flush is called whenever the queue runs empty: write what was batched.
	Flush()
	// Close is called once, after the last entry: write everything and let go.
	Close()
}

// Preparer is a sink with work of its own to do per delivery, on the request's goroutine.
type Preparer interface {
	Prepare(*Entry)
}

// Queue is how many answered deliveries may wait for the sinks. Each holds its body and
// decoded event (about 10 KB), so the bound is what keeps memory flat in a flood; past it
// a handler waits after answering, never before, and only on the capture and the inspector.
const Queue = 256

// Pipeline fans deliveries out to sinks.
type Pipeline struct {
	sinks []Sink
	preps []Preparer
	shown func(*receiver.Delivery) bool

	mu     sync.RWMutex // guards closed against Emit
	closed bool
	ch     chan *Entry
	done   chan struct{}

	counts Counts
}

// Counts are what the pipeline saw, by outcome.
type Counts struct {
	Total    int
	Outcomes map[simulate.Outcome]int
}

// Filter is listen's -t filter: deliveries of the triggers matching patterns (all, with
// none). What needs attention is shown whatever the filter: a POST rejected (a wrong
// password in the dashboard, say) or whose body is not a webhook. Not a GET of /favicon.ico.
func Filter(patterns []string) func(*receiver.Delivery) bool {
	return func(d *receiver.Delivery) bool {
		trigger := ""
		if d.Event != nil {
			trigger = d.Event.Trigger
		}
		if d.Method == http.MethodPost && (trigger == "" || d.Outcome == simulate.Rejected) {
			return true
		}
		return webhook.Match(patterns, trigger)
	}
}

// New starts a pipeline feeding sinks; shown is the -t filter (nil shows everything).
func New(shown func(*receiver.Delivery) bool, sinks ...Sink) *Pipeline {
	p := &Pipeline{sinks: sinks, shown: shown, ch: make(chan *Entry, Queue), done: make(chan struct{}),
		counts: Counts{Outcomes: map[simulate.Outcome]int{}}}
	for _, s := range sinks {
		if pr, ok := s.(Preparer); ok {
			p.preps = append(p.preps, pr)
		}
	}
	go p.run()
	return p
}

// Emit hands a delivery over (receiver.Config.Emit). It does the delivery's own work on the
// caller's goroutine and queues it; after Close (a handler that outlived the shutdown) it
// drops it.
func (p *Pipeline) Emit(d *receiver.Delivery) {
	e := &Entry{Delivery: d, Record: d.Record(), Shown: p.shown == nil || p.shown(d)}
	// Sized for the payload and the rest of the record at once. It cannot fail (every field
	// encodes); a nil Line would be counted lost.
	e.Line, _ = e.Record.AppendLine(make([]byte, 0, len(e.Record.Payload)+len(d.Response.Body)+1024))
	if d.Event != nil {
		s := d.Summary()
		e.Summary = &s
	}
	for _, pr := range p.preps {
		pr.Prepare(e)
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if !p.closed {
		p.ch <- e
	}
}

func (p *Pipeline) run() {
	defer close(p.done)
	for e := range p.ch {
		p.counts.Total++
		p.counts.Outcomes[e.Delivery.Outcome]++
		for _, s := range p.sinks {
			s.Add(e)
		}
		if caughtUp(p.ch) { // write what was batched
			for _, s := range p.sinks {
				s.Flush()
			}
		}
	}
	for _, s := range p.sinks {
		s.Close()
	}
}

// caughtUp says the queue is empty, after letting the goroutines that are about to add to it
// run once: in a flood the queue empties between every two deliveries (this goroutine does
// little per entry), and a write per delivery would cost more than all the rest.
func caughtUp[T any](ch chan T) bool {
	if len(ch) > 0 {
		return false
	}
	runtime.Gosched()
	return len(ch) == 0
}

// Close takes the deliveries still queued to the sinks, closes them (each writes what it
// holds: its losses count too), and returns the counts and every sink's losses.
func (p *Pipeline) Close() Summary {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.ch)
	}
	p.mu.Unlock()
	<-p.done
	sum := Summary{Counts: p.counts}
	for _, s := range p.sinks {
		if l, ok := s.(lossCounter); ok {
			l.countLosses(&sum)
		}
	}
	return sum
}

// lossCounter is a sink that can fail to write: it says how often in the summary.
type lossCounter interface{ countLosses(*Summary) }
