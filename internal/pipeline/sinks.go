package pipeline

import (
	"fmt"

	"github.com/comethook/comethook/internal/history"
	"github.com/comethook/comethook/internal/record"
	"github.com/comethook/comethook/internal/webhook"
)

// warnOnce warns about a failing sink the first time only, so that a full disk does not
// flood the terminal; the losses themselves are counted by the sink.
type warnOnce struct {
	warn func(string)
	said bool
}

func (w *warnOnce) check(what string, err error) {
	if err == nil || w.said || w.warn == nil {
		return
	}
	w.said = true
	w.warn(fmt.Sprintf("%s: %v (further errors of this kind are not shown)", what, err))
}

// Capture appends every delivery to the capture file, batched while the queue is not empty.
type Capture struct {
	w    *history.Writer
	once warnOnce
}

// NewCapture is the capture sink; warn hears the first failure (listen's terminal view).
func NewCapture(w *history.Writer, warn func(string)) *Capture {
	return &Capture{w: w, once: warnOnce{warn: warn}}
}

func (c *Capture) Add(e *Entry) { c.once.check("capture", c.w.AddLine(e.Record.Seq, e.Line)) }
func (c *Capture) Flush()       { c.once.check("capture", c.w.Flush()) }

// Close writes the last batch; its failure counts in Lost like any other.
func (c *Capture) Close() { c.once.check("capture", c.w.Close()) }

func (c *Capture) countLosses(s *Summary) { s.NotCaptured = c.w.Lost() }

// Inspector is what the web inspector takes: every record, with its gist.
type Inspector interface {
	Add(record.Record, *webhook.Summary)
}

// InspectorSink feeds the web inspector, which keeps the newest records in memory and pushes
// each to the open pages without waiting for them.
type InspectorSink struct{ ins Inspector }

func NewInspector(ins Inspector) *InspectorSink { return &InspectorSink{ins: ins} }
func (s *InspectorSink) Add(e *Entry)           { s.ins.Add(e.Record, e.Summary) }
func (s *InspectorSink) Flush()                 {}
func (s *InspectorSink) Close()                 {}

// Save writes each event as a fixture file (--save DIR).
type Save struct {
	dir      string
	once     warnOnce
	notSaved int
}

func NewSave(dir string, warn func(string)) *Save { return &Save{dir: dir, once: warnOnce{warn: warn}} }

func (s *Save) Add(e *Entry) {
	if e.Delivery.Event == nil {
		return
	}
	_, err := history.SaveFixture(s.dir, e.Record)
	if err != nil {
		s.notSaved++
	}
	s.once.check("--save", err)
}
func (s *Save) Flush() {}
func (s *Save) Close() {}

// NotSaved is how many events could not be written as fixtures; read it after Close.
func (s *Save) NotSaved() int { return s.notSaved }

func (s *Save) countLosses(sum *Summary) { sum.NotSaved = s.notSaved }
