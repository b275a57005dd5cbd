package render

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/comethook/comethook/internal/cometchat"
	"github.com/comethook/comethook/simulate"
)

// TriggerCall prints one API call of comethook trigger: what it did and what CometChat said.
func (p *Printer) TriggerCall(c cometchat.Call, errText string) {
	st := p.st
	status := st.faint.Sprint("no answer")
	if c.Status > 0 {
		status = st.statusWord(c.Status) + " " + http.StatusText(c.Status)
	}
	path := c.Path
	if p, err := url.PathUnescape(path); err == nil {
		path = p // the reaction's emoji, not its escapes
	}
	line := fmt.Sprintf("→ %s %s  %s  %s", c.Method, Clean(path, false), st.faint.Sprint(c.What), status)
	if c.ID != "" && c.Err == nil {
		line += "  " + st.faint.Sprint(Clean(c.ID, false))
	}
	fmt.Fprintln(p.Out, line)
	if errText != "" {
		fmt.Fprintf(p.Out, "  %s\n", st.red.Sprint(Clean(errText, false)))
	}
}

// Exchange prints an API call in full for -v, its credentials masked (the client masks them).
func (p *Printer) Exchange(ex cometchat.Exchange) {
	st := p.est
	fmt.Fprintf(p.Err, "%s %s %s\n", st.faint.Sprint(">"), ex.Method, Clean(ex.URL, false))
	for _, l := range headerLines(ex.Header) {
		fmt.Fprintf(p.Err, "%s %s\n", st.faint.Sprint(">"), l)
	}
	if len(ex.Body) > 0 {
		fmt.Fprintf(p.Err, "%s %s\n", st.faint.Sprint(">"), Clean(Shorten(string(ex.Body), 2000), false))
	}
	if ex.Err != nil {
		fmt.Fprintf(p.Err, "%s %s\n", st.faint.Sprint("<"), Clean(ex.Err.Error(), false))
		return
	}
	fmt.Fprintf(p.Err, "%s %d %s  %s\n", st.faint.Sprint("<"), ex.Status, http.StatusText(ex.Status), Millis(ex.Duration))
	if len(ex.Answer) > 0 {
		fmt.Fprintf(p.Err, "%s %s\n", st.faint.Sprint("<"), Clean(Shorten(strings.TrimSpace(string(ex.Answer)), 2000), false))
	}
}

// Arrival says a webhook trigger awaited arrived at the listener.
func (p *Printer) Arrival(trigger string, after time.Duration, seq int64, outcome string) {
	st := p.st
	line := fmt.Sprintf("%s %s arrived %s after the API call  %s", st.green.Sprint("✓"), st.bold.Sprint(Clean(trigger, false)),
		Millis(after), st.faint.Sprintf("#%d", seq))
	if outcome != "" && outcome != "delivered" && outcome != "injected" {
		line += "  " + st.outcomeWord(simulate.Outcome(outcome))
	}
	fmt.Fprintln(p.Out, line)
}

// Missing says a webhook did not arrive in time, and the likely causes.
func (p *Printer) Missing(trigger string, wait time.Duration, causes []string) {
	st := p.st
	fmt.Fprintf(p.Out, "%s %s did not arrive within %s\n", st.red.Sprint("✗"), st.bold.Sprint(Clean(trigger, false)), wait)
	for _, c := range causes {
		fmt.Fprintf(p.Out, "  %s %s\n", st.faint.Sprint("likely:"), Clean(c, false))
	}
}
