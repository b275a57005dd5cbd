package pipeline

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/comethook/comethook/internal/receiver"
	"github.com/comethook/comethook/internal/render"
	"github.com/comethook/comethook/internal/webhook"
	"github.com/comethook/comethook/simulate"
)

// blocked is a reader that is not reading: writes wait until release, then go to buf.
type blocked struct {
	open chan struct{}
	mu   sync.Mutex
	buf  bytes.Buffer
}

func newBlocked() *blocked { return &blocked{open: make(chan struct{})} }

func (b *blocked) Write(p []byte) (int, error) {
	<-b.open
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *blocked) release() { close(b.open) }

func (b *blocked) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func delivery(seq int64) *receiver.Delivery {
	body := []byte(fmt.Sprintf(`{"trigger":"after_message","appId":"app","webhook":"w","data":{"message":{"id":"%d","sender":"a","receiver":"b","receiverType":"user","type":"text","category":"message","data":{"text":"hi %d"}}}}`, seq, seq))
	ev, err := webhook.Parse(body)
	if err != nil {
		panic(err)
	}
	return &receiver.Delivery{Seq: seq, ReceivedAt: time.Unix(1700000000, 0), Method: "POST", Path: "/", Body: body, Event: ev,
		Response: receiver.Response{Status: 200, Body: []byte("{}"), Source: receiver.SourceMock}, Outcome: simulate.Delivered}
}

// recorder is a sink that keeps what it was given, for order and count checks.
type recorder struct {
	seqs           []int64
	flushes, close int
}

func (r *recorder) Add(e *Entry) { r.seqs = append(r.seqs, e.Record.Seq) }
func (r *recorder) Flush()       { r.flushes++ }
func (r *recorder) Close()       { r.close++ }

// Every sink sees every delivery once, in the order emitted, with its line already made;
// Close counts them by outcome, and a delivery emitted after Close is dropped, not a panic.
func TestPipelineFansOut(t *testing.T) {
	a, b := &recorder{}, &recorder{}
	var lines []string
	var mu sync.Mutex
	check := sinkFunc(func(e *Entry) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, string(e.Line))
		if e.Shown != (e.Record.Seq%2 == 0) || e.Summary == nil {
			t.Errorf("#%d: shown %v, summary %v", e.Record.Seq, e.Shown, e.Summary)
		}
	})
	p := New(func(d *receiver.Delivery) bool { return d.Seq%2 == 0 }, a, b, check)
	for seq := int64(1); seq <= 500; seq++ {
		p.Emit(delivery(seq))
	}
	counts := p.Close()
	p.Emit(delivery(501))
	if counts.Total != 500 || counts.Outcomes[simulate.Delivered] != 500 {
		t.Errorf("counts %+v, want 500 delivered", counts)
	}
	for _, r := range []*recorder{a, b} {
		if len(r.seqs) != 500 || r.seqs[0] != 1 || r.seqs[499] != 500 || r.close != 1 || r.flushes == 0 {
			t.Errorf("a sink got %d entries (%v…), closed %d times, flushed %d times", len(r.seqs), r.seqs[:min(3, len(r.seqs))], r.close, r.flushes)
		}
	}
	if !strings.HasPrefix(lines[0], `{"seq":1,`) || !strings.HasSuffix(lines[0], "}\n") {
		t.Errorf("the first line %q is not the record's JSON line", lines[0])
	}
}

type sinkFunc func(*Entry)

func (f sinkFunc) Add(e *Entry) { f(e) }
func (sinkFunc) Flush()         {}
func (sinkFunc) Close()         {}

// --json holds up to its bound for a reader that does not read, then drops and counts, with
// one warning; what it held is written in order once the reader reads.
func TestJSONBounded(t *testing.T) {
	out := newBlocked()
	var warnings []string
	line, _ := delivery(10).Record().AppendLine(nil) // #10 to #39: lines of one length
	j := NewJSON(out, 10*len(line), func(w string) { warnings = append(warnings, w) })
	for seq := int64(10); seq <= 39; seq++ {
		d := delivery(seq)
		e := &Entry{Delivery: d, Record: d.Record(), Shown: true}
		e.Line, _ = e.Record.AppendLine(nil)
		j.Add(e) // never waits on the reader
	}
	// The writer may hold one batch while blocked; the rest waits in the buffer: 10 lines in
	// all, whatever the split.
	if got := j.Dropped(); got != 20 {
		t.Errorf("dropped %d, want 20 (10 fit the bound)", got)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "stdout is not being read") {
		t.Errorf("warnings %q, want one", warnings)
	}
	out.release()
	j.Close()
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(got) != 10 {
		t.Fatalf("%d lines written, want 10", len(got))
	}
	for i, l := range got {
		if !strings.HasPrefix(l, fmt.Sprintf(`{"seq":%d,`, i+10)) {
			t.Fatalf("line %d is %.40q, want #%d: the first ones, in order", i, l, i+10)
		}
	}
}

// A paused terminal: the view never makes the pipeline wait; it skips what does not fit its
// queue and, once the terminal reads again, says how many it skipped. Warnings wait too.
func TestViewSkipsWhilePaused(t *testing.T) {
	out, errw := newBlocked(), newBlocked()
	pr := render.NewPrinter(render.Streams{Out: out, ErrOut: errw}, false, false)
	v := NewView(pr, true, "comethook events has them")
	p := New(nil, v)
	const n = 3 * viewQueue
	done := make(chan struct{})
	go func() {
		for seq := int64(1); seq <= n; seq++ {
			p.Emit(delivery(seq))
		}
		v.Warn("something to know")
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Emit waited on the paused terminal")
	}
	out.release()
	errw.release()
	p.Close()
	skipped := v.NotShown()
	shown := int64(strings.Count(out.String(), "  → "))
	if skipped == 0 || shown+skipped != n {
		t.Errorf("%d shown and %d skipped, want them to add up to %d with some skipped", shown, skipped, n)
	}
	// Said each time it catches up: once the terminal reads again, and again if the rest of
	// the burst (still in the pipeline's queue at that moment) overran it once more.
	said := int64(0)
	notes := regexp.MustCompile(`… (\d+) deliver(?:y|ies) not shown while the terminal was paused; comethook events has them\n`).FindAllStringSubmatch(errw.String(), -1)
	for _, m := range notes {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		said += n
	}
	if e := errw.String(); len(notes) == 0 || said != skipped || !strings.Contains(e, "warning: something to know") {
		t.Errorf("stderr %q: the notes count %d, want %d skipped, and the warning", e, said, skipped)
	}
	v.Warn("after close") // written at once
	if !strings.Contains(errw.String(), "after close") {
		t.Error("a warning after Close was not written")
	}
}

var _ io.Writer = (*blocked)(nil)

// BenchmarkEmit is the per-delivery work done on the request's goroutine, for the terminal
// view and the other sinks.
func BenchmarkEmit(b *testing.B) {
	pr := render.NewPrinter(render.Streams{Out: io.Discard, ErrOut: io.Discard}, false, false)
	v := NewView(pr, true, "")
	p := New(nil, v)
	d := delivery(1)
	b.ReportAllocs()
	for b.Loop() {
		p.Emit(d)
	}
	p.Close()
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

// Records that could not be written (stdout closed) are counted like those dropped.
func TestJSONCountsWriteFailures(t *testing.T) {
	j := NewJSON(failingWriter{}, 0, nil)
	for seq := int64(10); seq < 15; seq++ {
		d := delivery(seq)
		e := &Entry{Delivery: d, Record: d.Record(), Shown: true}
		e.Line, _ = e.Record.AppendLine(nil)
		j.Add(e)
	}
	j.Close()
	if got := j.Dropped(); got != 5 {
		t.Errorf("Dropped = %d after 5 records to a closed stdout, want 5", got)
	}
}
