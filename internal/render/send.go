package render

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/comethook/comethook/internal/webhook"
	"github.com/comethook/comethook/simulate"
)

// SendReport is one delivery made by `comethook send`, ready to print.
type SendReport struct {
	Event    *webhook.Event
	URL      string
	Body     []byte      // as sent
	Header   http.Header // request headers as sent
	Response simulate.Response
	Verdict  simulate.Verdict
	Message  map[string]any // before_message: the message as CometChat delivers it; nil when dropped
	Warnings []string       // notes from building the payload, the verdict's warnings
	Hints    []string       // what to try next (not in the JSON record)
	Error    string         // the failure, explained
	Attempt  int            // with --retry: which attempt this is (1-based); 0 otherwise
	Of       int            // with --retry: how many attempts at most
	Step     int            // with --scenario: which step this is (1-based); 0 otherwise
	Steps    int            // with --scenario: how many steps
	Scenario string         // with --scenario: its name
	ReplayOf int64          // with replay: the captured delivery it sends again; 0 otherwise
}

// Send prints the human report of one delivery on stdout and its warnings on stderr.
func (p *Printer) Send(r SendReport) {
	st, w := p.st, p.Out
	prefix := ""
	if r.Step > 0 {
		prefix = st.faint.Sprintf("%s %d/%d  ", r.Scenario, r.Step, r.Steps)
	}
	if r.Attempt > 0 {
		prefix = st.faint.Sprintf("attempt %d/%d  ", r.Attempt, r.Of)
	}
	if r.Attempt > 1 {
		// The same bytes again: listen marks it with the same badge.
		prefix += st.yellow.Sprint("↻ duplicate of attempt 1") + "  "
	}
	if r.ReplayOf > 0 {
		prefix = st.faint.Sprintf("#%d  ", r.ReplayOf) + prefix
	}
	fmt.Fprintf(w, "%s→ %s\n", prefix, st.eventWords(r.Event))
	fmt.Fprintf(w, "  %s %s\n", st.faint.Sprint("POST"), Clean(SafeURL(r.URL), false))
	if p.Verbose {
		p.verboseRequest(r)
	}
	resp, v := r.Response, r.Verdict
	if resp.Err != nil {
		fmt.Fprintf(w, "← %s  %s  %s\n", st.outcomeWord(v.Outcome), Clean(r.Error, false), st.faint.Sprint(Millis(resp.Duration)))
	} else {
		line := fmt.Sprintf("← %s %s  %s  %s", st.statusWord(resp.Status), Clean(http.StatusText(resp.Status), false),
			st.faint.Sprint(Millis(resp.Duration)), st.outcomeWord(v.Outcome))
		if v.Reason != "" {
			line += "  " + Clean(v.Reason, false)
		}
		fmt.Fprintln(w, line)
		if p.Verbose {
			for _, h := range headerLines(resp.Header) {
				fmt.Fprintf(w, "  %s\n", st.faint.Sprint(h))
			}
		}
		p.answerBody(resp.Body)
	}
	if webhook.IsSync(r.Event.Trigger) {
		p.beforeMessageVerdict(r)
	}
	for _, wmsg := range r.Warnings {
		p.Warn(Clean(wmsg, false))
	}
	for _, h := range r.Hints {
		fmt.Fprintf(p.Err, "%s %s\n", p.est.faint.Sprint("hint:"), Clean(h, true))
	}
}

func (p *Printer) verboseRequest(r SendReport) {
	st, w := p.st, p.Out
	for _, h := range headerLines(r.Header) {
		fmt.Fprintf(w, "  %s\n", st.faint.Sprint(h))
	}
	if pretty, ok := st.prettyJSON(r.Body); ok {
		fmt.Fprintln(w, indent(pretty, "  "))
	}
}

// answerBody prints the answer: pretty JSON, or cleaned text, shortened unless verbose.
func (p *Printer) answerBody(b []byte) {
	if len(strings.TrimSpace(string(b))) == 0 {
		return
	}
	text, ok := p.st.prettyJSON(b)
	if !ok {
		text = Clean(string(b), true)
	}
	if !p.Verbose {
		if lines := strings.Split(text, "\n"); len(lines) > 40 {
			text = strings.Join(lines[:40], "\n") + fmt.Sprintf("\n… %d more lines (-v shows all)", len(lines)-40)
		}
	}
	fmt.Fprintln(p.Out, indent(text, "  "))
}

func (p *Printer) beforeMessageVerdict(r SendReport) {
	st, w, v := p.st, p.Out, r.Verdict
	hook := Clean(r.Event.Webhook, false)
	switch {
	case v.Outcome == simulate.Dropped:
		fmt.Fprintf(w, "  %s CometChat drops the message: it is not stored and nobody receives it\n", st.magenta.Sprint("verdict:"))
	case v.Drop:
		fmt.Fprintf(w, "  %s CometChat drops the message\n", st.red.Sprint("verdict:"))
	case v.Injected != nil:
		b, _ := simulate.Marshal(v.Injected)
		fmt.Fprintf(w, "  %s CometChat delivers the message with metadata[\"@injected\"].webhooks[%q] = %s\n",
			st.cyan.Sprint("verdict:"), hook, Clean(Shorten(string(b), 200), false))
	default:
		fmt.Fprintf(w, "  %s CometChat delivers the message unchanged\n", st.green.Sprint("verdict:"))
	}
	for _, a := range v.Assumptions {
		fmt.Fprintf(w, "  %s\n", st.faint.Sprint(a))
	}
	if p.Verbose && r.Message != nil {
		b, _ := json.Marshal(r.Message)
		if pretty, ok := st.prettyJSON(b); ok {
			fmt.Fprintf(w, "  %s\n%s\n", st.faint.Sprint("the message as delivered:"), indent(pretty, "    "))
		}
	}
}

// SendRecord is the `send --json` record (design.md §3).
type SendRecord struct {
	Trigger     string          `json:"trigger"`
	URL         string          `json:"url"`
	Payload     json.RawMessage `json:"payload"`
	Response    *ResponseRecord `json:"response"`
	Outcome     string          `json:"outcome"`
	Message     map[string]any  `json:"message"`
	Warnings    []string        `json:"warnings"`
	Assumptions []string        `json:"assumptions,omitempty"`
	Attempt     int             `json:"attempt,omitempty"`
	Scenario    string          `json:"scenario,omitempty"`
	ReplayOf    int64           `json:"replayOf,omitempty"`
	Step        int             `json:"step,omitempty"`
	Error       *string         `json:"error"`
}

// ResponseRecord is an HTTP answer inside a JSON record.
type ResponseRecord struct {
	Status     int               `json:"status"`
	Headers    map[string]string `json:"headers"`
	Body       any               `json:"body"`
	DurationMs float64           `json:"durationMs"`
}

// NewSendRecord builds the JSON record of a report.
func NewSendRecord(r SendReport) SendRecord {
	rec := SendRecord{
		Trigger:     r.Event.Trigger,
		URL:         SafeURL(r.URL),
		Payload:     json.RawMessage(r.Body),
		Outcome:     string(r.Verdict.Outcome),
		Message:     r.Message,
		Warnings:    append([]string{}, r.Warnings...),
		Assumptions: r.Verdict.Assumptions,
		Attempt:     r.Attempt,
		Scenario:    r.Scenario,
		ReplayOf:    r.ReplayOf,
		Step:        r.Step,
	}
	if r.Response.Err == nil {
		rec.Response = &ResponseRecord{
			Status:     r.Response.Status,
			Headers:    simulate.MaskHeaders(r.Response.Header),
			Body:       simulate.BodyValue(r.Response.Body),
			DurationMs: simulate.DurationMs(r.Response.Duration),
		}
	}
	if r.Error != "" {
		rec.Error = &r.Error
	}
	return rec
}

// LoadRecord is the `send --count` summary record (design.md §3).
type LoadRecord struct {
	Trigger    string         `json:"trigger"`
	URL        string         `json:"url"`
	Count      int            `json:"count"`
	OK         int            `json:"ok"`
	Failed     int            `json:"failed"`
	DurationMs float64        `json:"durationMs"`
	RPS        float64        `json:"rps"`
	LatencyMs  LatencyRecord  `json:"latencyMs"`
	Outcomes   map[string]int `json:"outcomes"`
	Error      *string        `json:"error,omitempty"`
}

// LatencyRecord holds latency percentiles in milliseconds.
type LatencyRecord struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// NewLoadRecord builds the summary record of a burst.
func NewLoadRecord(trigger, url string, s simulate.LoadSummary) LoadRecord {
	rec := LoadRecord{
		Trigger: trigger, URL: SafeURL(url), Count: s.Count, OK: s.OK, Failed: s.Failed,
		DurationMs: simulate.DurationMs(s.Duration),
		RPS:        float64(int(s.RPS()*10)) / 10,
		LatencyMs: LatencyRecord{P50: simulate.DurationMs(s.P50), P90: simulate.DurationMs(s.P90),
			P99: simulate.DurationMs(s.P99), Max: simulate.DurationMs(s.Max)},
		Outcomes: map[string]int{},
	}
	for o, n := range s.Outcomes {
		rec.Outcomes[string(o)] = n
	}
	if s.FirstError != "" {
		rec.Error = &s.FirstError
	}
	return rec
}

// Load prints the human summary of a burst on stdout.
func (p *Printer) Load(rec LoadRecord) {
	st, w := p.st, p.Out
	fmt.Fprintf(w, "%s %s × %d → %s\n", st.bold.Sprint("sent"), Clean(rec.Trigger, false), rec.Count, Clean(rec.URL, false))
	okWord := st.green.Sprintf("%d ok", rec.OK)
	failWord := fmt.Sprintf("%d failed", rec.Failed)
	if rec.Failed > 0 {
		failWord = st.red.Sprint(failWord)
	}
	fmt.Fprintf(w, "  %s  %s  in %.0f ms  %.1f req/s\n", okWord, failWord, rec.DurationMs, rec.RPS)
	l := rec.LatencyMs
	fmt.Fprintf(w, "  latency  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms\n", l.P50, l.P90, l.P99, l.Max)
	words := make([]string, 0, len(rec.Outcomes))
	for o := range rec.Outcomes {
		words = append(words, o)
	}
	sort.Strings(words)
	for i, o := range words {
		words[i] = fmt.Sprintf("%s %d", st.outcomeWord(simulate.Outcome(o)), rec.Outcomes[o])
	}
	fmt.Fprintf(w, "  outcomes  %s\n", strings.Join(words, "  "))
	if rec.Error != nil {
		fmt.Fprintf(w, "  %s %s\n", st.red.Sprint("first failure:"), Clean(*rec.Error, false))
	}
}

// Progress rewrites one status line on stderr (only call it when stderr is a terminal).
func (p *Printer) Progress(done, failed int64, total int) {
	line := fmt.Sprintf("%d/%d sent, %d failed", done, total, failed)
	if done == int64(total) {
		// Blank the line with spaces, not an erase escape: with colour off (NO_COLOR on a
		// terminal) escapes are stripped and the line would stay.
		line = strings.Repeat(" ", len(line)) + "\r"
	}
	fmt.Fprint(p.Err, "\r"+line)
}
