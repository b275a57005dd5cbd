package render

import (
	"fmt"
	"sort"
	"time"

	"github.com/comethook/comethook/internal/record"
	"github.com/comethook/comethook/internal/webhook"
	"github.com/comethook/comethook/simulate"
)

// RecordRow prints one captured delivery on one line (comethook events).
func (p *Printer) RecordRow(r record.Record) {
	st := p.st
	when := Clean(r.ReceivedAt, false) // shown as it is when it is not a time: untrusted text
	if t, err := time.Parse(time.RFC3339Nano, r.ReceivedAt); err == nil {
		when = t.Local().Format(time.DateTime)
	}
	words := st.faint.Sprintf("(%s, no JSON payload)", Clean(r.Method, false))
	if e, err := webhook.Parse(r.Payload); err == nil {
		words = st.eventWords(e)
	}
	dup := ""
	if r.DuplicateOf != nil {
		dup = "  " + st.yellow.Sprintf("↻ duplicate of #%d", *r.DuplicateOf)
	}
	fmt.Fprintf(p.Out, "%s  %s  %s  ← %s %s  %s%s\n", st.bold.Sprintf("#%d", r.Seq), st.faint.Sprint(when), words,
		st.statusWord(r.Response.Status), st.outcomeWord(simulate.Outcome(r.Outcome)),
		st.faint.Sprint(Millis(time.Duration(r.Response.DurationMs*float64(time.Millisecond)))), dup)
}

// RecordDetail prints one captured delivery whole (comethook events show).
func (p *Printer) RecordDetail(r record.Record) {
	st, w := p.st, p.Out
	p.RecordRow(r)
	path := r.Path
	if r.Query != "" {
		path += "?" + r.Query
	}
	fmt.Fprintf(w, "\n%s %s\n", st.bold.Sprint(Clean(r.Method, false)), Clean(path, false))
	keys := sortedKeys(r.Headers)
	for _, k := range keys {
		fmt.Fprintf(w, "  %s\n", st.faint.Sprint(Clean(k, false)+": "+Clean(r.Headers[k], false)))
	}
	fmt.Fprintf(w, "\n%s\n", st.bold.Sprint("payload"))
	if pretty, ok := st.prettyJSON(r.RawBody()); ok {
		fmt.Fprintln(w, indent(pretty, "  "))
	} else {
		fmt.Fprintln(w, indent(Clean(string(r.RawBody()), true), "  "))
	}
	fmt.Fprintf(w, "\n%s %s %s (%s)\n", st.bold.Sprint("answer"), st.statusWord(r.Response.Status),
		st.outcomeWord(simulate.Outcome(r.Outcome)), Clean(r.Response.Source, false))
	if b, err := simulate.Marshal(r.Response.Body); err == nil && r.Response.Body != nil {
		if pretty, ok := st.prettyJSON(b); ok {
			fmt.Fprintln(w, indent(pretty, "  "))
		} else if s, isText := r.Response.Body.(string); isText {
			fmt.Fprintln(w, indent(Clean(s, true), "  "))
		}
	}
	for _, a := range r.Assumptions {
		fmt.Fprintf(w, "  %s\n", st.faint.Sprint(Clean(a, false)))
	}
	if r.Error != nil {
		fmt.Fprintf(w, "  %s %s\n", st.red.Sprint("error:"), Clean(*r.Error, false))
	}
	for _, msg := range r.Warnings {
		fmt.Fprintf(w, "  %s %s\n", st.yellow.Sprint("warning:"), Clean(msg, false))
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
